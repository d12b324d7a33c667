"""`GET /api/v1/jobs/{id}/events/`: Server-Sent Events for one job, served asynchronously.

Like the long-poll, the synchronous DRF job view does auth, ownership and serialization; this
stream subscribes to the job's change channel first, then sends a `state` event when the state
changes and a `progress` event when progress does, each with the job's `version` as its id,
until the terminal state. A `: keep-alive` comment goes out every HEARTBEAT seconds for
proxies. `Last-Event-ID` resumes: nothing older than it is re-sent (a malformed one starts over).
An open stream holds a coroutine and a Redis subscription, not a thread.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from rest_framework.renderers import JSONRenderer

from api.longpoll import releasing

HEARTBEAT = 15.0
MAX_STREAM_SECONDS = 3600  # a stream is closed after an hour; clients reconnect with Last-Event-ID


def _event(name: str, event_id: int, data: Any) -> bytes:
    return f"id: {event_id}\nevent: {name}\ndata: {JSONRenderer().render(data).decode()}\n\n".encode()


def _last_event_id(request: HttpRequest) -> int:
    raw = request.headers.get("Last-Event-ID", "")
    return int(raw) if raw.isdigit() else -1


def job_event_stream(view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
    """Build the async events view around the synchronous job detail view."""
    snapshot_view = releasing(view)

    async def events(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        first = await snapshot_view(request, *args, **kwargs)
        if request.method != "GET" or first.status_code != 200:
            return first  # 401/404 problem+json, as for the job itself
        seen = _last_event_id(request)

        async def snapshot() -> dict[str, Any] | None:
            response = await snapshot_view(request, *args, **kwargs)
            return response.data if response.status_code == 200 else None  # type: ignore[attr-defined]

        async def stream() -> AsyncIterator[bytes]:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(f"conveyor:job:{kwargs.get('id')}")
                job = await snapshot()
                last_state, last_progress = None, None
                loop = asyncio.get_running_loop()
                deadline = loop.time() + MAX_STREAM_SECONDS
                while job is not None:  # None: the job vanished or access was lost mid-stream
                    if job["version"] > seen:
                        if job["state"] != last_state:
                            yield _event("state", job["version"], job)
                        elif job["progress"] != last_progress:
                            yield _event("progress", job["version"], job["progress"])
                    last_state, last_progress = job["state"], job["progress"]
                    if job["done"] or loop.time() > deadline:
                        return
                    message = None
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(HEARTBEAT):
                            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=HEARTBEAT)
                    if message is None:
                        yield b": keep-alive\n\n"
                        continue
                    job = await snapshot()
            finally:
                await pubsub.aclose()
                await client.aclose()

        response = StreamingHttpResponse(stream(), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response

    return events
