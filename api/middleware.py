"""HTTP request metrics, summed per process and added to Redis at most once a second
(jobs.metrics.SUMS), so every web process adds to the same numbers without a Redis round trip
per request."""

import time
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

from jobs import metrics


def record(method: str, status: int, seconds: float) -> None:
    """Count one request and its duration (summed in the process: jobs.metrics.SUMS)."""
    with metrics.SUMS.adding() as sums:
        metrics.count(sums, "http_requests", (method, f"{status // 100}xx"))
        metrics.observe(sums, "http_duration", (method,), seconds, metrics.DURATION_BUCKETS)


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
        record(request.method or "", response.status_code, time.perf_counter() - started)  # type: ignore[union-attr]
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = await self.get_response(request)  # type: ignore[misc]
        record(request.method or "", response.status_code, time.perf_counter() - started)
        return response  # type: ignore[no-any-return]
