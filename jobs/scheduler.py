"""The scheduler process: rq-scheduler's loop plus Conveyor's periodic passes.

Each tick (default every second) the lock holder takes the due entries from rq-scheduler:
schedule fires are handled here (a DB transaction per slot, see jobs.schedules), anything
else is queued as rq-scheduler would. Then it runs the dispatch pass (due scheduled jobs,
retries, pushes Redis missed) and, every REARM_EVERY ticks, re-arms schedules whose next fire
is missing from Redis.
"""

import logging
from typing import Any

from django.db import DatabaseError, close_old_connections
from redis.exceptions import RedisError
from rq_scheduler import Scheduler

from audit.context import attribute
from jobs.dispatch import dispatch_due
from jobs.engine import FIRE_SCHEDULE, JsonJob
from jobs.schedules import schedule_fire, schedule_rearm_missing

logger = logging.getLogger(__name__)

REARM_EVERY = 10


class ConveyorScheduler(Scheduler):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["job_class"] = JsonJob  # rq-scheduler has no serializer option: the job class is JSON-only
        super().__init__(*args, **kwargs)
        self._ticks = 0

    def enqueue_job(self, job: Any) -> None:
        if job.func_name != FIRE_SCHEDULE:
            super().enqueue_job(job)
            return
        # Take the entry out first: schedule_fire arms the next slot under the same id. If this
        # process dies in between, the re-arm pass restores the slot and the fire row dedupes.
        self.connection.zrem(self.scheduled_jobs_key, job.id)
        with attribute(channel="schedule"):
            schedule_fire(*job.args)

    def enqueue_jobs(self) -> list[Any]:
        close_old_connections()
        try:
            jobs: list[Any] = super().enqueue_jobs()
            with attribute(channel="system", reason="scheduler pass"):
                dispatch_due()
                if self._ticks % REARM_EVERY == 0:
                    schedule_rearm_missing()
        except (DatabaseError, RedisError) as exc:
            # A pass that cannot reach its stores is retried on the next tick.
            logger.warning("scheduler.pass_failed", extra={"error": str(exc)})
            jobs = []
        self._ticks += 1
        return jobs
