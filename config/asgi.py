"""ASGI entry point (uvicorn serves this).

Requests that may wait go to Django's ASGI handler, where each has a thread of its own (a
long-poll) or none (an event stream), and no database connection while it waits:
`GET /api/v1/jobs/{id}/?wait=N` and `/events/`. Every other request is plain synchronous Django
and goes to the WSGI handler on a fixed pool of threads (a2wsgi): one thread hop per request,
where Django's ASGI handler makes one per sync middleware hook and view (see
docs/benchmarks.md, P1).
"""

import os
import re
from typing import Any
from urllib.parse import parse_qs

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

waiting = get_asgi_application()
plain = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)  # type: ignore[arg-type]

ASYNC_VIEW = re.compile(r"^/api/v1/jobs/[^/]+/(events/)?$")


def may_wait(scope: dict[str, Any]) -> bool:
    """Whether this request may wait for a job change: an event stream, or a job GET with `wait`."""
    match = ASYNC_VIEW.match(scope.get("path", ""))
    if match is None:
        return False
    return bool(match.group(1)) or "wait" in parse_qs(scope.get("query_string", b"").decode("latin-1"))


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not may_wait(scope):
        await plain(scope, receive, send)  # type: ignore[arg-type]
    else:
        await waiting(scope, receive, send)
