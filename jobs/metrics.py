"""Metrics: counters and histograms kept in Redis (so every web, worker and scheduler process,
on any host, adds to the same numbers) and gauges read at scrape time, exposed through a
prometheus-client collector. The hot paths' metrics (HTTP requests, a worker's job starts and
ends) are summed in the process and added every METRICS_FLUSH_SECONDS (`SUMS`).
"""

import atexit
import bisect
import functools
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import Worker

from core.redis import redis_connection
from jobs.models import UNFINISHED_STATES, Job, JobState

PREFIX = "conveyor:metrics:"
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, math.inf)
LATENESS_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, math.inf)


def count(pipe: "Pipeline | MetricSums", name: str, labels: tuple[str, ...], amount: int = 1) -> None:
    """Add `amount` to counter `name` with these label values (on a pipeline the caller runs)."""
    pipe.hincrby(PREFIX + name, "|".join(labels), amount)


def observe(
    pipe: "Pipeline | MetricSums", name: str, labels: tuple[str, ...], seconds: float, buckets: tuple[float, ...]
) -> None:
    """Record one observation in histogram `name` (cumulative buckets, sum and count): what
    `observe_many` does for one value, without its per-bucket count and field names (each
    request pays one: ~1 % of a submit's web CPU)."""
    key, label = PREFIX + name, "|".join(labels)
    for field in _bucket_fields(label, buckets)[bisect.bisect_left(buckets, seconds) :]:
        pipe.hincrby(key, field, 1)
    pipe.hincrbyfloat(key, f"{label}|sum", seconds)


@functools.lru_cache(maxsize=256)  # bounded: a label may hold a client's HTTP method
def _bucket_fields(label: str, buckets: tuple[float, ...]) -> tuple[str, ...]:
    return tuple(f"{label}|{bound}" for bound in buckets)


def observe_many(
    pipe: "Pipeline | MetricSums", name: str, labels: tuple[str, ...], values: list[float], buckets: Iterable[float]
) -> None:
    """Record several observations in histogram `name`: one command per bucket, not per value."""
    key, label = PREFIX + name, "|".join(labels)
    for bound in buckets:
        if within := sum(1 for seconds in values if seconds <= bound):
            pipe.hincrby(key, f"{label}|{bound}", within)
    pipe.hincrbyfloat(key, f"{label}|sum", sum(values))


def record_submitted(pipe: Pipeline, jobs: Iterable[Job]) -> None:
    """Count submitted jobs by task (on the pipeline that pushes them)."""
    for task, n in Counter(job.task for job in jobs).items():
        count(pipe, "jobs_submitted", (task,), n)


def record_finished(pipe: "Pipeline | MetricSums", job: Job) -> None:
    """Count a job that reached a final state, with its run time."""
    count(pipe, "jobs_finished", (job.task, job.state))
    if job.started_at and job.ended_at:
        seconds = (job.ended_at - job.started_at).total_seconds()
        observe(pipe, "job_duration", (job.task,), seconds, DURATION_BUCKETS)


def record_started(pipe: "Pipeline | MetricSums", job: Job) -> None:
    """Record how long a job waited between becoming due and starting."""
    if job.started_at is None:
        return
    due = max(moment for moment in (job.created_at, job.run_at) if moment is not None)
    observe(pipe, "queue_wait", (job.queue,), max(0.0, (job.started_at - due).total_seconds()), DURATION_BUCKETS)


class MetricSums:
    """Stands in for the Redis pipeline the functions above write to: HINCRBY and HINCRBYFLOAT
    are summed in memory, and `flush()` adds the sums to Redis in one pipeline. A thread of the
    process flushes every METRICS_FLUSH_SECONDS (0: at every addition), and the process flushes
    at exit; what a flush fails to send is dropped (metrics never fail a request or a job). A
    forked child (a work horse) starts with nothing of its parent's sums."""

    def __init__(self) -> None:
        self._forget()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._ints: Counter[tuple[str, str]] = Counter()
        self._floats: dict[tuple[str, str], float] = {}
        self._flusher_pid: int | None = None

    def hincrby(self, key: str, field: str, amount: int) -> None:
        self._ints[key, field] += amount

    def hincrbyfloat(self, key: str, field: str, amount: float) -> None:
        self._floats[key, field] = self._floats.get((key, field), 0.0) + amount

    @contextmanager
    def adding(self) -> Iterator["MetricSums"]:
        """Add to the sums inside (as to a pipeline); they go to Redis with the next flush."""
        with self._lock:
            yield self
        if settings.METRICS_FLUSH_SECONDS <= 0:
            self.flush()
        elif self._flusher_pid != os.getpid():  # the first addition of this process
            self._flusher_pid = os.getpid()
            threading.Thread(target=self._flush_every, daemon=True, name="metrics-flush").start()

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
            time.sleep(settings.METRICS_FLUSH_SECONDS or 1)
            self.flush()


SUMS = MetricSums()
atexit.register(SUMS.flush)


def _split(field: str, size: int) -> tuple[list[str], str]:
    parts = field.split("|")
    return parts[:size], "|".join(parts[size:])


# The counters and histograms kept in Redis (a hash each, under PREFIX).
STORED = (
    "jobs_submitted",
    "jobs_finished",
    "job_duration",
    "queue_wait",
    "schedule_lateness",
    "http_requests",
    "http_duration",
    "jobs_refused",
)


class ConveyorCollector(Collector):
    """Reads the Redis counters and the live gauges when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        connection = redis_connection()
        with connection.pipeline(transaction=False) as pipe:
            for name in STORED:
                pipe.hgetall(PREFIX + name)
            for name in settings.QUEUE_NAMES:
                pipe.llen(f"rq:queue:{name}")
            raw = pipe.execute()
        stored = {name: {k.decode(): v.decode() for k, v in h.items()} for name, h in zip(STORED, raw, strict=False)}

        yield self._counter("conveyor_jobs_submitted", "Jobs submitted", ["task"], stored["jobs_submitted"])
        refused = "Jobs refused by back-pressure (jobs.services.admission), by reason"
        yield self._counter("conveyor_jobs_refused", refused, ["reason"], stored["jobs_refused"])
        finished = "Jobs that reached a final state"
        yield self._counter("conveyor_jobs_finished", finished, ["task", "state"], stored["jobs_finished"])
        yield self._histogram(
            "conveyor_job_duration_seconds", "Run time of finished jobs", ["task"], stored["job_duration"]
        )
        yield self._histogram("conveyor_queue_wait_seconds", "Wait from due to start", ["queue"], stored["queue_wait"])
        lateness = "Fire time after the due instant"
        yield self._histogram(
            "conveyor_schedule_lateness_seconds",
            lateness,
            ["schedule_kind"],
            stored["schedule_lateness"],
            LATENESS_BUCKETS,
        )
        yield self._counter("conveyor_http_requests", "HTTP requests", ["method", "status"], stored["http_requests"])
        latency = "HTTP request latency"
        yield self._histogram("conveyor_http_request_duration_seconds", latency, ["method"], stored["http_duration"])

        depth = GaugeMetricFamily("conveyor_queue_depth", "Jobs waiting in each RQ queue", labels=["queue"])
        for name, length in zip(settings.QUEUE_NAMES, raw[len(STORED) :], strict=True):
            depth.add_metric([name], length)
        yield depth
        workers = GaugeMetricFamily("conveyor_workers", "Live RQ workers")
        workers.add_metric([], Worker.count(connection=connection))
        yield workers
        waiting = GaugeMetricFamily("conveyor_jobs_waiting", "Jobs not yet done, by state", labels=["state"])
        rows = dict(
            Job.objects.filter(state__in=UNFINISHED_STATES)
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
        for state in sorted(UNFINISHED_STATES):
            waiting.add_metric([state], rows.get(state, 0))
        yield waiting
        oldest = Job.objects.filter(state=JobState.QUEUED).aggregate(at=Min("enqueued_at"))["at"]
        age = GaugeMetricFamily("conveyor_oldest_queued_seconds", "Age of the oldest queued job")
        age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        yield age

    @staticmethod
    def _counter(name: str, doc: str, labels: list[str], data: dict[str, str]) -> CounterMetricFamily:
        family = CounterMetricFamily(name, doc, labels=labels)
        for field, value in sorted(data.items()):
            family.add_metric(field.split("|"), float(value))
        return family

    @staticmethod
    def _histogram(
        name: str, doc: str, labels: list[str], data: dict[str, str], bounds: Iterable[float] = DURATION_BUCKETS
    ) -> HistogramMetricFamily:
        family = HistogramMetricFamily(name, doc, labels=labels)
        series: dict[tuple[str, ...], dict[str, Any]] = {}
        for field, value in data.items():
            values, rest = _split(field, len(labels))
            entry = series.setdefault(tuple(values), {"buckets": dict.fromkeys(bounds, 0.0), "sum": 0.0})
            if rest == "sum":
                entry["sum"] = float(value)
            else:
                entry["buckets"][float(rest)] = float(value)
        for label_values, entry in sorted(series.items()):
            buckets = sorted(entry["buckets"].items())
            family.add_metric(
                list(label_values),
                [("+Inf" if math.isinf(bound) else str(bound), value) for bound, value in buckets],
                entry["sum"],
            )
        return family
