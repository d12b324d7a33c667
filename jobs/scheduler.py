"""The scheduler process: rq-scheduler's loop plus Conveyor's periodic passes.

Each tick (default every second) the lock holder moves due rq-scheduler entries to their
queues, then runs the dispatch pass (due scheduled jobs, retries, pushes Redis missed).
"""

import logging
from typing import Any

from django.db import DatabaseError, close_old_connections
from redis.exceptions import RedisError
from rq_scheduler import Scheduler

from audit.context import attribute
from jobs.dispatch import dispatch_due
from jobs.engine import JsonJob

logger = logging.getLogger(__name__)


class ConveyorScheduler(Scheduler):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["job_class"] = JsonJob  # rq-scheduler has no serializer option: the job class is JSON-only
        super().__init__(*args, **kwargs)

    def enqueue_jobs(self) -> list[Any]:
        jobs: list[Any] = super().enqueue_jobs()
        close_old_connections()
        with attribute(channel="system", reason="scheduler pass"):
            try:
                dispatch_due()
            except (DatabaseError, RedisError) as exc:
                # A pass that cannot reach its stores is retried on the next tick.
                logger.warning("scheduler.pass_failed", extra={"error": str(exc)})
        return jobs
