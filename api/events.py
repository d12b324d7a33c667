"""`GET /api/v1/jobs/{id}/events/`: Server-Sent Events for one job, served asynchronously.

Like the long-poll, the synchronous DRF job view does auth, ownership and serialization; this
stream registers for the job's change notices first (api.notices), then sends a `state` event
when the state changes and a `progress` event when progress does, each with the job's
`version` as its id, until the terminal state. A `: keep-alive` comment goes out every
HEARTBEAT seconds for proxies. `Last-Event-ID` resumes: nothing older than it is re-sent (a
malformed one starts over).
An open stream holds a coroutine and an asyncio.Event, not a thread or a Redis connection.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django import db
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from rest_framework.renderers import JSONRenderer

from api.notices import job_notices

HEARTBEAT = 15.0
MAX_STREAM_SECONDS = 3600  # a stream is closed after an hour; clients reconnect with Last-Event-ID


def _event(name: str, event_id: int, data: Any) -> bytes:
    return f"id: {event_id}\nevent: {name}\ndata: {JSONRenderer().render(data).decode()}\n\n".encode()


def _last_event_id(request: HttpRequest) -> int:
    raw = request.headers.get("Last-Event-ID", "")
    return int(raw) if raw.isdigit() else -1


def releasing(view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
    """`view` as a coroutine run on the shared thread pool that hands its database connection
    back when it returns, so an open stream holds neither a thread nor a connection (Django's
    default would keep both for the whole stream)."""

    def call(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        finally:
            db.connections.close_all()

    return sync_to_async(call, thread_sensitive=False)


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
            notices = job_notices()
            async with notices.watch(str(kwargs.get("id"))) as changed:
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
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(HEARTBEAT):
                            await changed.wait()
                    if not changed.is_set():
                        yield b": keep-alive\n\n"
                        continue
                    changed.clear()
                    job = await snapshot()

        response = StreamingHttpResponse(stream(), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response

    return events
