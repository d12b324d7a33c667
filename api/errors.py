"""RFC 9457 problem+json for every error: DRF's, the domain's and Django's own 4xx/5xx."""

import logging
import sys
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, FieldError, Invalid, RetryLater, Unauthenticated
from jobs.engine.outage import DATABASE_ERRORS

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:conveyor:problem:"
# A request that met the database unreachable (a restart, a failover, the pool exhausted) is told
# to come back: a PostgreSQL restart under load lasted about this long in tests/cluster.
DATABASE_RETRY_AFTER = 5


def problem_body(
    status: int, *, code: str, detail: str, request: HttpRequest | None, errors: list[FieldError] | None = None
) -> dict[str, Any]:
    """Return the problem document for one error."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "request_id": getattr(request, "request_id", None),
    }
    if errors:
        body["errors"] = [{"pointer": e.pointer, "detail": e.detail, "code": e.code} for e in errors]
    return body


def _field_errors(detail: Any, pointer: str = "") -> list[FieldError]:
    """Flatten DRF's nested validation detail into JSON-Pointer field errors."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            sub = pointer if key in ("non_field_errors", "__all__") else f"{pointer}/{key}"
            out.extend(_field_errors(value, sub))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [FieldError(pointer, str(item), getattr(item, "code", "invalid")) for item in detail]
        out = []
        for index, item in enumerate(detail):
            out.extend(_field_errors(item, f"{pointer}/{index}"))
        return out
    return [FieldError(pointer, str(detail), getattr(detail, "code", "invalid"))]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: domain errors and API exceptions as problem+json."""
    request = context.get("request")
    if isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException("request body too large", code="too_large")
        exc.status_code = 413
    elif isinstance(exc, Http404):  # as DRF's own handler does, so that the code below sees DRF's
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DomainError):
        errors = exc.errors if isinstance(exc, Invalid) else None
        body = problem_body(exc.status, code=exc.code, detail=exc.detail, request=request, errors=errors)
        headers = {}
        if isinstance(exc, RetryLater):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, Unauthenticated):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'  # RFC 9110: a 401 names a scheme
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE, headers=headers)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        body = problem_body(400, code="invalid", detail="the request is invalid", request=request, errors=errors)
    else:
        assert isinstance(exc, exceptions.APIException)  # what DRF's handler answers, converted above
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        detail = response.data.get("detail", str(exc)) if isinstance(response.data, dict) else str(exc)
        body = problem_body(response.status_code, code=str(code), detail=str(detail), request=request)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _django_problem(request: HttpRequest, status: int, code: str, detail: str) -> JsonResponse:
    body = problem_body(status, code=code, detail=detail, request=request)
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler400."""
    return _django_problem(request, 400, "bad_request", "the request could not be understood")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler403."""
    return _django_problem(request, 403, "forbidden", "you may not do this")


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler404."""
    return _django_problem(request, 404, "not_found", "no such resource")


def server_error(request: HttpRequest) -> JsonResponse:
    """handler500: the traceback goes to the log, never to the client. The database being
    unreachable passes with time: 503 `unavailable` with Retry-After instead (Django calls this
    inside its `except`, for DRF's views and its own alike, so the error is `sys.exc_info()`'s)."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        response = _django_problem(request, 503, "unavailable", "the database is unavailable; retry later")
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    return _django_problem(request, 500, "server_error", "the server failed; the error has been logged")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """CSRF_FAILURE_VIEW."""
    return _django_problem(request, 403, "csrf_failed", f"CSRF check failed: {reason}")
