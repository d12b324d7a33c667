"""The submit's short way through a web process: a plain bearer-token `POST /api/v1/jobs/`
answered without Django's middleware chain and DRF's view machinery.

Those two layers cost a submit ~0.3 ms of its ~1.45 ms of web CPU (measured in-process,
bench/analysis.md, P1), more than any step of its own. `Handler`, the WSGI handler config.asgi
serves, answers a request itself only when nothing in it needs them: POST to the job list, no
query string, `Authorization: Bearer`, a JSON body, an `Accept` that JSON satisfies, and no
`Idempotency-Key` (api.idempotency), `Origin` (CORS) or cookie (a browser's session). The checks
that can refuse the request (its host, token, body and input) come first and change nothing;
if any fails, the request goes the usual way, which answers it as it always has. From the
service call on, the answer is the view's: the same service, serializer, renderer and problem
documents (api.errors), the same attribution (audit.middleware), metrics (api.middleware) and
logging, and the headers the middleware adds (tests/api/test_fastsubmit.py holds the two ways
equal, status, headers and body, for a 202 and for each refusal of the service).
"""

import functools
import io
import time
from typing import Any, cast

from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import get_script_prefix, reverse
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.authentication import BearerTokenAuthentication
from api.errors import exception_handler
from api.middleware import record
from api.parsers import JSONParser
from api.serializers.jobs import JobOutput, JobSubmitInput
from api.serializers.validation import validated
from api.views.jobs import POLL_AFTER, JobViewSet
from audit.context import attribute
from audit.middleware import context_for
from jobs.services.jobs import JobSpec, job_submit

# What DRF's view adds to its answers (the job list's methods) and the middleware to every one.
ALLOW = "GET, POST, HEAD, OPTIONS"
_HEADER_MIDDLEWARE = [
    middleware(lambda request: HttpResponse())
    for middleware in (SecurityMiddleware, ContentSecurityPolicyMiddleware, XFrameOptionsMiddleware)
]
_ASIDE = ("HTTP_IDEMPOTENCY_KEY", "HTTP_ORIGIN", "HTTP_COOKIE")
_authentication = BearerTokenAuthentication()
_parser = JSONParser()
_renderer = JSONRenderer()


class Handler(WSGIHandler):
    """Django's WSGI handler, answering a plain submit itself (`answer`)."""

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        response = answer(request) if is_plain_submit(request.META) else None
        if response is None:
            return super().get_response(request)
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]  # as Django's does
        return response


@functools.cache
def _job_list(script_prefix: str) -> str:
    """The job list's path as PATH_INFO holds it (without the script prefix)."""
    return "/" + reverse("job-list").removeprefix(script_prefix)


def is_plain_submit(meta: dict[str, Any]) -> bool:
    """Whether the request is one the short way may answer (see the module's docstring)."""
    return (
        meta.get("REQUEST_METHOD") == "POST"
        and meta.get("PATH_INFO") == _job_list(get_script_prefix())
        and not meta.get("QUERY_STRING")
        and meta.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
        and meta.get("CONTENT_TYPE") == "application/json"
        and meta.get("HTTP_ACCEPT", "*/*") in ("*/*", "application/json")
        and not any(name in meta for name in _ASIDE)
        and _view_checks_what_answer_does()  # last: every other request is out by now
    )


def _view_checks_what_answer_does() -> bool:
    """Whether the view's own policy is the one `answer` applies: the bearer token first, then
    IsAuthenticated, no throttle, the JSON parser and renderer. A view given more (a throttle,
    another permission) keeps every submit to itself."""
    view = JobViewSet
    return (
        view.authentication_classes[0] is BearerTokenAuthentication
        and list(view.permission_classes) == [IsAuthenticated]
        and not view.throttle_classes
        and list(view.parser_classes) == [JSONParser]
        and list(view.renderer_classes) == [JSONRenderer]
    )


def answer(request: HttpRequest) -> HttpResponse | None:
    """The submit's answer, or None for the usual way to give it (the request is not plainly
    valid: a bad host, token, body or input)."""
    started = time.perf_counter()
    try:
        request.get_host()
        authenticated = _authentication.authenticate(request)  # type: ignore[arg-type]
        data = _parser.parse(io.BytesIO(request.body), "application/json", {"request": request})
        spec = JobSpec(**validated(JobSubmitInput, data))
    except Exception:  # noqa: BLE001 (the usual way answers it, with the error it deserves)
        return None
    if authenticated is None:
        return None
    request.user = user = authenticated[0]  # as DRF leaves it on Django's request: the audit's actor
    with attribute(**context_for(request)):
        try:
            job = job_submit(spec=spec, actor=user)
        except Exception as exc:  # noqa: BLE001 (answered as the view's exception handling would)
            response = _problem(request, exc)
        else:
            data = JobOutput(job, context={"request": request}).data
            response = _rendered(
                Response(data, status=202, headers={"Location": data["url"], "Retry-After": POLL_AFTER})
            )
    for middleware in _HEADER_MIDDLEWARE:
        response = middleware.process_response(request, response)
    response["Content-Length"] = str(len(response.content))  # CommonMiddleware's
    patch_vary_headers(response, ("origin",))  # CorsMiddleware's, for a request without Origin
    response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
    record("POST", response.status_code, time.perf_counter() - started)
    if response.status_code >= 400:
        log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
    return response


def _problem(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The service's refusal as DRF's exception handling answers it; anything else as Django
    answers an uncaught exception (called while `exc` is handled: api.errors.server_error reads
    it, 503 for a database outage)."""
    handled = exception_handler(exc, {"request": request, "view": None})
    return _rendered(handled) if handled is not None else cast(HttpResponse, response_for_exception(request, exc))


def _rendered(response: Response) -> Response:
    """A DRF response rendered as the view's is (finalize_response, then Django's render)."""
    response.accepted_renderer = _renderer
    response.accepted_media_type = _renderer.media_type
    response.renderer_context = {}  # type: ignore[attr-defined]
    response["Allow"] = ALLOW
    response.render()
    return response
