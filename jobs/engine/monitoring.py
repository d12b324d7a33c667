"""Operator reads: queue counts and live workers, from RQ and the database, without scanning jobs."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from rq import Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.worker import BaseWorker

from core.redis import redis_connection
from jobs import alerts
from jobs.engine import dispatch
from jobs.engine.worker import ALIVE_KEY
from jobs.models import TERMINAL_STATES, UNFINISHED_STATES, Job, JobState


def live_workers() -> list[BaseWorker]:
    """RQ's registered workers, less busy ones whose liveness key expired.

    A busy worker renews `conveyor:worker-alive:<name>` every monitoring interval; one killed
    mid-job stops, and RQ's own entry would list it as busy for another minute. An idle worker
    is kept: it renews that key only before each wait for a job (minutes apart).
    """
    connection = redis_connection()
    workers = Worker.all(connection=connection)
    with connection.pipeline(transaction=False) as pipe:
        for worker in workers:
            pipe.exists(ALIVE_KEY.format(worker.name))
        alive = pipe.execute()
    return [worker for worker, vouched in zip(workers, alive, strict=True) if vouched or worker.get_state() != "busy"]


def queue_stats() -> list[dict[str, Any]]:
    """Per queue: jobs by waiting state and running (DB), failed in the last 24 h, RQ's own
    length, workers listening, and the age of the oldest queued job."""
    now = timezone.now()
    live = Job.objects.filter(state__in=UNFINISHED_STATES)
    counts: dict[tuple[str, str], int] = {
        (row["queue"], row["state"]): row["n"] for row in live.values("queue", "state").annotate(n=Count("pk"))
    }
    failed = dict(
        Job.objects.filter(state=JobState.FAILED, created_at__gte=now - timedelta(hours=24))
        .values_list("queue")
        .annotate(n=Count("pk"))
        .values_list("queue", "n")
    )
    oldest = dict(
        Job.objects.filter(state=JobState.QUEUED)
        .values_list("queue")
        .annotate(at=Min("enqueued_at"))
        .values_list("queue", "at")
    )
    connection = redis_connection()
    workers = live_workers()
    stats = []
    for name in settings.QUEUE_NAMES:
        rq_queue = dispatch.queue(name)
        stats.append(
            {
                "name": name,
                **{state: counts.get((name, state), 0) for state in ("scheduled", "deferred", "queued", "running")},
                "failed_24h": failed.get(name, 0),
                "rq_queued": rq_queue.count,
                "rq_started": StartedJobRegistry(name, connection=connection).count,
                "rq_failed": FailedJobRegistry(name, connection=connection).count,
                "workers": sum(1 for worker in workers if name in worker.queue_names()),
                "oldest_queued_seconds": (now - oldest[name]).total_seconds() if oldest.get(name) else None,
                "max_depth": settings.QUEUE_MAX_DEPTHS.get(name, settings.QUEUE_MAX_DEPTH) or None,
            }
        )
    return stats


def worker_list() -> list[dict[str, Any]]:
    """The RQ workers that are alive (`live_workers`), as RQ reports them."""
    workers = live_workers()
    return [
        {
            "name": worker.name,
            "state": worker.get_state(),
            "queues": worker.queue_names(),
            "current_job": worker.get_current_job_id(),
            "successful_jobs": worker.successful_job_count,
            "failed_jobs": worker.failed_job_count,
            "birth": worker.birth_date,
            "last_heartbeat": worker.last_heartbeat,
            "hostname": worker.hostname,
            "pid": worker.pid,
        }
        for worker in sorted(workers, key=lambda w: w.name)
    ]


QUEUE_HISTORY_MINUTES = 60


def queue_history(*, minutes: int = QUEUE_HISTORY_MINUTES, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per queue, one point per minute over the last `minutes` (the last is the current minute):
    the jobs waiting in RQ at the end of that minute (pushed, not yet started or ended; for the
    current minute, now) and the jobs that ended during it.

    Rebuilt from the job rows' own timestamps (enqueued_at, started_at, ended_at), so it needs
    no sampler and survives restarts; one aggregate query over the jobs that are waiting or
    running now or ended in the window. A job that was waiting, then ended within the window
    without starting, counts as waiting until it ended (canceled while queued).
    """
    # The last point is the end of the current minute: it counts what ended so far in it.
    end = (now or timezone.now()).replace(second=0, microsecond=0) + timedelta(minutes=1)
    instants = [end - timedelta(minutes=minutes - 1 - index) for index in range(minutes)]
    since = instants[0] - timedelta(minutes=1)
    candidates = Job.objects.filter(enqueued_at__isnull=False).filter(
        Q(state__in=[JobState.QUEUED, JobState.RUNNING]) | Q(state__in=TERMINAL_STATES, ended_at__gt=since)
    )
    aggregates: dict[str, Any] = {}
    for index, instant in enumerate(instants):
        not_started = Q(started_at__gt=instant) | Q(started_at__isnull=True) & (
            Q(ended_at__gt=instant) | Q(ended_at__isnull=True)
        )
        aggregates[f"depth_{index}"] = Count("pk", filter=Q(enqueued_at__lte=instant) & not_started)
        previous = instant - timedelta(minutes=1)
        aggregates[f"finished_{index}"] = Count("pk", filter=Q(ended_at__gt=previous, ended_at__lte=instant))
    rows: dict[str, dict[str, Any]] = {
        row["queue"]: dict(row) for row in candidates.values("queue").annotate(**aggregates).order_by()
    }
    history = []
    for name in settings.QUEUE_NAMES:
        row = rows.get(name, {})
        points = [
            {"at": instant, "depth": row.get(f"depth_{index}", 0), "finished": row.get(f"finished_{index}", 0)}
            for index, instant in enumerate(instants)
        ]
        history.append({"name": name, "points": points})
    return history


UNSERVED_AFTER = timedelta(minutes=5)
UNSERVED_KEY = "conveyor:queue-unserved:{}"  # + the queue name: a hash {since, alerted}


def unserved_queues(now: datetime | None = None) -> int:
    """Mail the admins once per episode about each queue that has had jobs waiting in RQ and no
    live worker listening for UNSERVED_AFTER; returns how many mails went out. Run periodically
    by the scheduler: an episode starts when a pass first sees the queue unserved and ends when
    one sees it empty or served."""
    moment = (now or timezone.now()).timestamp()
    connection = redis_connection()
    listening = {name for worker in live_workers() for name in worker.queue_names()}
    with connection.pipeline(transaction=False) as pipe:
        for name in settings.QUEUE_NAMES:
            pipe.llen(dispatch.queue(name).key)
        depths = pipe.execute()
    sent = 0
    for name, depth in zip(settings.QUEUE_NAMES, depths, strict=True):
        key = UNSERVED_KEY.format(name)
        if not depth or name in listening:
            connection.delete(key)
            continue
        connection.hsetnx(key, "since", moment)
        since, alerted = connection.hmget(key, "since", "alerted")
        waited = moment - float(since or moment)
        if (
            waited >= UNSERVED_AFTER.total_seconds()
            and not alerted
            and alerts.send(
                f"queue-unserved:{name}",
                f"Queue {name} has no worker",
                f"Queue {name} has had {depth} job(s) waiting and no live worker listening for "
                f"{int(waited // 60)} minutes. Start a worker for it (rqworker {name}).",
            )
        ):
            connection.hset(key, "alerted", 1)
            sent += 1
    return sent
