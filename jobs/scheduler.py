"""The scheduler process: rq-scheduler's loop plus Conveyor's periodic passes.

Each tick (default every second) the lock holder takes the due entries from rq-scheduler:
schedule fires are handled here (a DB transaction per slot, see jobs.schedules), anything
else is queued as rq-scheduler would. Then it runs the dispatch pass (due scheduled jobs,
retries, pushes Redis missed), every RECONCILE_EVERY ticks the reconcile pass (jobs and
schedule arming Redis lost, jobs of dead workers) and every ALERT_EVERY ticks the check for
schedules that stopped succeeding.
"""

import logging
from typing import Any

from django.db import DatabaseError, close_old_connections
from redis.exceptions import RedisError
from rq_scheduler import Scheduler

from audit.context import attribute
from jobs.alerts import silent_schedules
from jobs.dispatch import dispatch_due
from jobs.engine import FIRE_SCHEDULE, JsonJob
from jobs.reconcile import reconcile
from jobs.schedules import schedule_fire

logger = logging.getLogger(__name__)

RECONCILE_EVERY = 5  # ticks (seconds, by default)
ALERT_EVERY = 300


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
                if self._ticks % RECONCILE_EVERY == 0:
                    reconcile()
                if self._ticks % ALERT_EVERY == 0:
                    silent_schedules()
        except (DatabaseError, RedisError) as exc:
            # A pass that cannot reach its stores is retried on the next tick.
            logger.warning("scheduler.pass_failed", extra={"error": str(exc)})
            jobs = []
        self._ticks += 1
        return jobs
