"""`GET /api/v1/jobs/{id}/?wait=N`: the long-poll around the job view, and `releasing()` for
the event stream.

The synchronous DRF view does all the work (auth, ownership, ETag, 304). The long-poll
subscribes to the job's change channel first, asks the view, and if the job has not changed
from the client's ETag (or from its state on arrival) waits for a change notice or the
deadline, then asks the view again.
"""

import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django import db
from django.http import HttpRequest, HttpResponseBase
from redis.exceptions import RedisError

from jobs.dispatch import redis_connection

MAX_WAIT = 30
NOTICE_POLL = 5.0  # seconds per blocking read of the subscription


def _wait_seconds(request: HttpRequest) -> int:
    raw = request.GET.get("wait", "0")
    return int(raw) if raw.isdigit() and int(raw) <= MAX_WAIT else 0


def releasing(view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
    """`view` as a coroutine run on the shared thread pool that hands its database connection
    back to the pool when it returns, so a waiting request holds neither a thread nor a
    connection (Django's default would keep both for the whole wait)."""

    def call(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        finally:
            db.connections.close_all()

    return sync_to_async(call, thread_sensitive=False)


def with_long_poll(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap the job detail view so that `?wait=N` waits for a change.

    config/asgi.py sends requests with `wait` (parsed as Django parses it) to the ASGI handler,
    where every request has a thread of its own, never to the small WSGI thread pool. While
    waiting, the request holds a Redis subscription and its thread, not a database connection.
    """

    def long_poll(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        wait = _wait_seconds(request) if request.method == "GET" else 0
        if wait == 0:  # also when `wait` is malformed: the view answers 400
            return view(request, *args, **kwargs)
        pubsub = redis_connection().pubsub(ignore_subscribe_messages=True)
        try:
            try:
                pubsub.subscribe(f"conveyor:job:{kwargs.get('id')}")
            except RedisError:
                return view(request, *args, **kwargs)  # no notices: answer now
            response = view(request, *args, **kwargs)
            if response.status_code not in (200, 304) or response.get("Retry-After") is None:
                return response  # an error, or the job is done and will not change again
            baseline = request.headers.get("If-None-Match") or response.get("ETag")
            if response.get("ETag") != baseline:
                return response  # already different from what the client has
            deadline = time.monotonic() + wait
            while (remaining := deadline - time.monotonic()) > 0:
                db.connections.close_all()  # back to the pool while waiting
                if pubsub.get_message(timeout=min(remaining, NOTICE_POLL)) is None:
                    continue
                response = view(request, *args, **kwargs)
                if response.get("ETag") != baseline:
                    return response
            return view(request, *args, **kwargs)
        except RedisError:
            return view(request, *args, **kwargs)
        finally:
            pubsub.close()

    return long_poll
