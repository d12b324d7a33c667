"""HTTP request metrics, summed per process and added to Redis at most once a second, so every
web process adds to the same numbers without a Redis round trip per request."""

import atexit
import os
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError

from core.redis import redis_connection
from jobs import metrics


class MetricSums:
    """Stands in for the Redis pipeline `jobs.metrics` writes to: its HINCRBY and HINCRBYFLOAT
    are summed in memory, and `flush()` adds the sums to Redis in one pipeline. A thread of
    the process flushes every HTTP_METRICS_FLUSH_SECONDS (0: on every request), and the
    process flushes at exit; what a flush fails to send is dropped (metrics never fail a
    request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ints: Counter[tuple[str, str]] = Counter()
        self._floats: dict[tuple[str, str], float] = {}
        self._flusher_pid: int | None = None

    def hincrby(self, key: str, field: str, amount: int) -> None:
        self._ints[key, field] += amount

    def hincrbyfloat(self, key: str, field: str, amount: float) -> None:
        self._floats[key, field] = self._floats.get((key, field), 0.0) + amount

    def record(self, method: str, status: int, seconds: float) -> None:
        """Count one request and its duration."""
        with self._lock:
            metrics.count(self, "http_requests", (method, f"{status // 100}xx"))  # type: ignore[arg-type]
            metrics.observe(self, "http_duration", (method,), seconds, metrics.DURATION_BUCKETS)  # type: ignore[arg-type]
        if settings.HTTP_METRICS_FLUSH_SECONDS <= 0:
            self.flush()
        elif self._flusher_pid != os.getpid():  # the first request of this process (or of a fork)
            self._flusher_pid = os.getpid()
            threading.Thread(target=self._flush_every, daemon=True, name="http-metrics-flush").start()

    def flush(self) -> None:
        """Add the sums so far to Redis, in one pipeline."""
        with self._lock:
            ints, floats = self._ints, self._floats
            self._ints, self._floats = Counter(), {}
        if not ints and not floats:
            return
        try:
            with redis_connection().pipeline(transaction=False) as pipe:
                for (key, field), amount in ints.items():
                    pipe.hincrby(key, field, amount)
                for (key, field), total in floats.items():
                    pipe.hincrbyfloat(key, field, total)
                pipe.execute()
        except RedisError:
            pass

    def _flush_every(self) -> None:
        while True:
            time.sleep(settings.HTTP_METRICS_FLUSH_SECONDS or 1)
            self.flush()


SUMS = MetricSums()
atexit.register(SUMS.flush)


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
        SUMS.record(request.method or "", response.status_code, time.perf_counter() - started)  # type: ignore[union-attr]
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = await self.get_response(request)  # type: ignore[misc]
        SUMS.record(request.method or "", response.status_code, time.perf_counter() - started)
        return response  # type: ignore[no-any-return]
