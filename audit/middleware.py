"""Middleware that opens the attribution context for each HTTP request."""

import re
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from audit.context import attribute

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")


def request_id_for(request: HttpRequest) -> str:
    """Return the client's X-Request-ID when it is well formed, else a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def client_ip_for(request: HttpRequest) -> str | None:
    """Return the client address, trusting X-Forwarded-For only up to TRUSTED_PROXY_COUNT hops."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def context_for(request: HttpRequest) -> dict[str, object]:
    """The attribution of `request` (its channel, request id and client address); sets
    `request.request_id`, which the response echoes as X-Request-ID."""
    request_id = request_id_for(request)
    request.request_id = request_id  # type: ignore[attr-defined]
    channel = "admin" if request.path.startswith("/admin/") else "api"
    return {"channel": channel, "request_id": request_id, "client_ip": client_ip_for(request), "request": request}


class RequestContextMiddleware:
    """Sets channel, request id and client IP for the request, and echoes X-Request-ID."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if iscoroutinefunction(self):
            return self.__acall__(request)
        with attribute(**context_for(request)):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined,index]
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        with attribute(**context_for(request)):
            response = await self.get_response(request)  # type: ignore[misc]
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response  # type: ignore[no-any-return]
