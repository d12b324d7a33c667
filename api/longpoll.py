"""`GET /api/v1/jobs/{id}/?wait=N`: an async wrapper that holds the request without a thread.

The synchronous DRF view does all the work (auth, ownership, ETag, 304). This wrapper
subscribes to the job's change channel first, asks the view, and if the job has not changed
from the client's ETag (or from its state on arrival) awaits a change notice or the deadline,
then asks the view again. While it waits, it holds a Redis subscription, not a worker thread.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django import db
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from redis.exceptions import RedisError

MAX_WAIT = 30


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


def with_long_poll(view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
    """Wrap the job detail view so that `?wait=N` waits for a change asynchronously."""
    sync_view = releasing(view)

    async def long_poll(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        wait = _wait_seconds(request) if request.method == "GET" else 0
        if wait == 0:  # also when `wait` is malformed: the view answers 400
            return await sync_view(request, *args, **kwargs)
        client = aioredis.Redis.from_url(settings.REDIS_URL)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(f"conveyor:job:{kwargs.get('id')}")
        except (RedisError, OSError):
            await client.aclose()
            return await sync_view(request, *args, **kwargs)  # no notices: answer now
        try:
            response = await sync_view(request, *args, **kwargs)
            if response.status_code not in (200, 304) or response.get("Retry-After") is None:
                return response  # an error, or the job is done and will not change again
            baseline = request.headers.get("If-None-Match") or response.get("ETag")
            if response.get("ETag") != baseline:
                return response  # already different from what the client has
            deadline = time.monotonic() + wait
            while (remaining := deadline - time.monotonic()) > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=remaining)
                        if message is None:
                            continue
                response = await sync_view(request, *args, **kwargs)
                if response.get("ETag") != baseline:
                    return response
            return await sync_view(request, *args, **kwargs)
        finally:
            await pubsub.aclose()
            await client.aclose()

    return long_poll
