"""ASGI entry point (uvicorn serves this).

Requests for the two async views go to Django's ASGI handler, where a waiting request holds no
worker thread and no database connection: the job detail (`GET /api/v1/jobs/{id}/`, which
long-polls with `?wait=N`) and its `/events/` stream. Every other request is plain synchronous
Django and goes to the WSGI handler on a fixed pool of threads (a2wsgi): one thread hop per
request, where Django's ASGI handler makes one per sync middleware hook and view (see
docs/benchmarks.md, P1).
"""

import os
import re
from typing import Any

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

waiting = get_asgi_application()
plain = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)  # type: ignore[arg-type]

ASYNC_VIEW = re.compile(r"^/api/v1/jobs/[^/]+/(events/)?$")


def serves_async_view(scope: dict[str, Any]) -> bool:
    """Whether this request is for one of the two async views: the job detail (which long-polls
    with `?wait`) or its event stream."""
    return ASYNC_VIEW.match(scope.get("path", "")) is not None


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not serves_async_view(scope):
        await plain(scope, receive, send)  # type: ignore[arg-type]
    else:
        await waiting(scope, receive, send)
