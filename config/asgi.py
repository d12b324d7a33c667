"""ASGI entry point (uvicorn serves this).

Requests that may wait go to Django's ASGI handler, where a waiting request is a coroutine
holding no database connection and no busy thread (Django parks one idle thread per request):
a job detail with `?wait=N` (the long-poll) and a job's `/events/` stream. Every other request
is plain synchronous Django and goes to the WSGI handler on a fixed pool of threads (a2wsgi):
one thread hop per request, where Django's ASGI handler makes one per sync middleware hook and
view (see docs/benchmarks.md, P1 and P3). On that handler the job detail resolves to the
synchronous view itself (config.urls_plain), not to the async long-poll wrapper around it.
"""

import os
import re
from typing import Any
from urllib.parse import parse_qs

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class PlainRequest(WSGIRequest):
    urlconf = "config.urls_plain"


class PlainHandler(WSGIHandler):
    request_class = PlainRequest


waiting = get_asgi_application()  # also sets Django up
plain = WSGIMiddleware(PlainHandler(), workers=settings.WEB_THREADS)  # type: ignore[arg-type]

JOB_DETAIL = re.compile(r"^/api/v1/jobs/[^/]+/$")
JOB_EVENTS = re.compile(r"^/api/v1/jobs/[^/]+/events/$")


def may_wait(scope: dict[str, Any]) -> bool:
    """Whether this request may wait: a job's event stream, or its detail with `?wait`."""
    path = scope.get("path", "")
    if JOB_EVENTS.match(path):
        return True
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return "wait" in query and JOB_DETAIL.match(path) is not None


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not may_wait(scope):
        await plain(scope, receive, send)  # type: ignore[arg-type]
    else:
        await waiting(scope, receive, send)
