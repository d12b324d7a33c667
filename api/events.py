"""`GET /api/v1/jobs/{id}/events/`: Server-Sent Events for one job, served asynchronously.

Like the long-poll, the synchronous DRF job view does auth, ownership and serialization; this
stream registers for the job's change notices first (api.notices), then sends a `state` event
when the state changes and a `progress` event when progress does, each with the job's
`version` as its id, until the terminal state. A `: keep-alive` comment goes out every
HEARTBEAT seconds for proxies. `Last-Event-ID` resumes: nothing older than it is re-sent (a
malformed one starts over).

Browsers: an `EventSource` sends `Accept: text/event-stream` and no Authorization header (it
authenticates with the session cookie). Authentication and ownership come first (401/404
whatever the Accept), then the Accept header is checked (absent, `text/event-stream`, `text/*`
or `*/*` stream; anything else is a 406). An `EventSource` reconnects whenever a 200 stream
ends, so a done job whose last version the client has already seen answers 204, which the
SSE spec makes the signal to stop.
An open stream holds a coroutine and an asyncio.Event, not a thread or a Redis connection.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from asgiref.sync import sync_to_async
from django import db
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from api.errors import PROBLEM_CONTENT_TYPE, problem_body
from api.notices import job_notices

EVENT_STREAM = "text/event-stream"

HEARTBEAT = 15.0
MAX_STREAM_SECONDS = 3600  # a stream is closed after an hour; clients reconnect with Last-Event-ID


def _event(name: str, event_id: int, data: Any) -> bytes:
    return f"id: {event_id}\nevent: {name}\ndata: {JSONRenderer().render(data).decode()}\n\n".encode()


def _last_event_id(request: HttpRequest) -> int | None:
    """The client's Last-Event-ID: -1 when absent, None when it is not one of our ids (a
    non-negative integer; an EventSource only ever sends back an id it was given)."""
    raw = request.headers.get("Last-Event-ID")
    if raw is None:
        return -1
    return int(raw) if raw.isascii() and raw.isdigit() else None


class SnapshotNegotiation(BaseContentNegotiation):
    """The job view's snapshots for a stream are JSON whatever the client accepts (DRF would
    answer an EventSource's `Accept: text/event-stream` with 406, before authentication); the
    stream checks the Accept header itself, after authentication."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def _accepts_event_stream(request: HttpRequest) -> bool:
    return not request.headers.get("Accept", "").strip() or request.accepts(EVENT_STREAM)


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
    """Build the async events view around the synchronous job detail view (made with
    `content_negotiation_class=SnapshotNegotiation`)."""
    snapshot_view = releasing(view)

    async def events(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        first = await snapshot_view(request, *args, **kwargs)
        if request.method != "GET" or first.status_code != 200:
            return first  # 401/404 problem+json, as for the job itself
        if not _accepts_event_stream(request):
            detail = f"this endpoint answers {EVENT_STREAM} only"
            body = problem_body(406, code="not_acceptable", detail=detail, request=request)
            return JsonResponse(body, status=406, content_type=PROBLEM_CONTENT_TYPE)
        seen = _last_event_id(request)
        if seen is None:
            detail = "Last-Event-ID must be the id of an event this stream sent: a non-negative integer"
            body = problem_body(400, code="invalid", detail=detail, request=request)
            return JsonResponse(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
        if first.data["done"] and first.data["version"] <= seen:  # type: ignore[attr-defined]
            return HttpResponse(status=204)  # the client has the end: an EventSource stops here

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
