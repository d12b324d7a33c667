"""ASGI entry point (uvicorn serves this).

Every request is plain synchronous Django on the WSGI handler with a fixed pool of threads
(config.bridge): one thread hop each way per request, where Django's ASGI handler makes one per
sync middleware hook and view (see docs/benchmarks.md, P1 and P3). Two kinds of request wait, and do it here,
without a thread: a job detail with `?wait=N` is the long-poll (api.longpoll), which asks the
WSGI handler on arrival and again when the job changes; a job's `/events/` stream goes to
Django's ASGI handler, where it holds a coroutine between snapshots (api.events). The first
request starts the process's change-notice listener (api.notices), which the long-polls, the
event streams and the poll cache (api.pollcache) share.
"""

import gc
import os
from typing import Any

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

streams = get_asgi_application()  # also sets Django up, which the app's own modules need first

from api.fastsubmit import Handler  # noqa: E402
from api.longpoll import job_in, long_poll, wait_seconds  # noqa: E402
from api.notices import job_notices  # noqa: E402
from config.bridge import WSGIBridge  # noqa: E402

plain = WSGIBridge(Handler(), workers=settings.WEB_THREADS)  # type: ignore[arg-type]

# What start-up built lives as long as the process: the URLconf imports every view now, then the
# heap so far is moved out of the collector's sight. A full collection otherwise walks it all,
# tens of milliseconds added to whichever request triggers it (bench/analysis.md, P7 and P1).
get_resolver().url_patterns  # noqa: B018
gc.freeze()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    job_notices()  # the process's change notices, from its first request on (api.pollcache needs them)
    path = scope.get("path", "")
    if scope["type"] != "http" or (path.endswith("/events/") and job_in(path, "job-events")):
        await streams(scope, receive, send)
    elif scope["method"] == "GET" and (wait := wait_seconds(scope)) and (job_id := job_in(path, "job-detail")):
        await long_poll(plain, scope, receive, send, job_id=job_id, wait=wait)
    else:
        await plain(scope, receive, send)
