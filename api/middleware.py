"""HTTP request metrics, counted in Redis so every web process adds to the same numbers."""

import time
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

from core.redis import redis_connection
from jobs import metrics


def _record(request: HttpRequest, status: int, seconds: float) -> None:
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            metrics.count(pipe, "http_requests", (request.method or "", f"{status // 100}xx"))
            metrics.observe(pipe, "http_duration", (request.method or "",), seconds, metrics.DURATION_BUCKETS)
            pipe.execute()
    except RedisError:
        pass  # metrics never fail a request


class HttpMetricsMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if iscoroutinefunction(self):
            return self.__acall__(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _record(request, response.status_code, time.perf_counter() - started)  # type: ignore[union-attr]
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = await self.get_response(request)  # type: ignore[misc]
        _record(request, response.status_code, time.perf_counter() - started)
        return response  # type: ignore[no-any-return]
