"""`GET /api/v1/jobs/{id}/?wait=N`: the long-poll, an ASGI layer over the synchronous app.

The synchronous job view does all the work (auth, ownership, ETag, 304, the 400 for a bad
`wait`) on the plain WSGI handler (config.asgi). This layer registers for the job's change
notices first (api.notices), asks the app, and if the job has not changed from the client's
ETag (or from its state on arrival) awaits a notice, the client's disconnect or the deadline,
then asks again. A waiting request holds an asyncio.Event: no thread, no database connection
and no Redis connection of its own. Every ask is a whole request through the middleware, so
auth and ownership are checked again each time; they share one X-Request-ID.
"""

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from django.urls import Resolver404, resolve

from api.notices import job_notices

MAX_WAIT = 30

Message = dict[str, Any]


@dataclass
class Answer:
    """A response of the app, held back until the long-poll decides to send it."""

    messages: list[Message]

    def header(self, name: bytes) -> bytes | None:
        return dict(self.messages[0]["headers"]).get(name)

    @property
    def may_change(self) -> bool:
        """A 200 or 304 with Retry-After: the job is not done, a wait makes sense."""
        return self.messages[0]["status"] in (200, 304) and self.header(b"retry-after") is not None


def wait_seconds(scope: dict[str, Any]) -> int:
    """The seconds a request asks to wait: `?wait=N` with 1 ≤ N ≤ MAX_WAIT, else 0 (the view
    answers a malformed or out-of-range value with a 400)."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True).get("wait")
    raw = values[-1] if values else ""  # the last one, as Django's QueryDict.get
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= MAX_WAIT else 0


async def _ask(app: Any, scope: dict[str, Any]) -> Answer:
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return Answer(messages)


async def _disconnected(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass  # the (empty) request body


def job_in(path: str, route: str) -> str | None:
    """The job id in `path` if it is the URL of `route` ("job-detail", "job-events"), as the
    URLconf (api.urls) reads it; else None."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return str(match.kwargs["id"]) if match.url_name == route else None


async def long_poll(app: Any, scope: dict[str, Any], receive: Any, send: Any, *, job_id: str, wait: int) -> None:
    """Serve the GET of job `job_id` with `?wait=wait` through `app`, the synchronous ASGI app."""
    headers = scope["headers"]
    if not any(name == b"x-request-id" for name, _ in headers):
        scope = {**scope, "headers": [*headers, (b"x-request-id", uuid.uuid4().hex.encode())]}
    notices = job_notices()
    async with notices.watch(job_id) as changed:
        answer = await _ask(app, scope)
        baseline = dict(headers).get(b"if-none-match") or answer.header(b"etag")
        if notices.subscribed.is_set() and answer.may_change and answer.header(b"etag") == baseline:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + wait
            gone = asyncio.ensure_future(_disconnected(receive))
            try:
                while True:
                    woken = asyncio.ensure_future(changed.wait())
                    await asyncio.wait({woken, gone}, timeout=deadline - loop.time(), return_when="FIRST_COMPLETED")
                    woken.cancel()
                    if gone.done():
                        return  # nobody to answer
                    changed.clear()
                    answer = await _ask(app, scope)
                    if answer.header(b"etag") != baseline or loop.time() >= deadline:
                        break
            finally:
                gone.cancel()
    for message in answer.messages:
        await send(message)
