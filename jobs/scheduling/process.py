"""The scheduler process: rq-scheduler's loop plus Conveyor's periodic passes.

Each tick (default every second) the lock holder takes the due entries from rq-scheduler:
the schedule fires due are handled here together (one DB transaction per FIRE_BATCH slots,
see jobs.scheduling.firing.schedule_fire_many), anything else is queued as rq-scheduler would. Then
it runs the dispatch pass (due scheduled jobs, retries, pushes Redis missed), every
RECONCILE_EVERY_SECONDS (a setting) the reconcile pass (jobs and schedule arming Redis lost,
jobs of dead workers), every ALERT_EVERY seconds the check for schedules that stopped
succeeding, every UNSERVED_CHECK_EVERY seconds the one for queues with jobs waiting and no
worker (jobs.engine.monitoring.unserved_queues), and every RETENTION_EVERY_SECONDS (a setting) one
retention batch (jobs.operations.retention).

An outage of Redis or the database does not end the process: the loop releases the lock (so
another scheduler can fire meanwhile), waits the outage out (jobs.engine.outage) and goes on; slots whose
fire failed are armed again at once, so the next pass fires them. Reconcile then waits for
workers to vouch for themselves again.
"""

import contextlib
import logging
import math
import os
import time
from datetime import UTC, datetime
from itertools import batched
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from redis.exceptions import RedisError
from rq_scheduler import Scheduler
from rq_scheduler.utils import to_unix

from audit.context import attribute
from jobs.alerts import silent_schedules
from jobs.engine.dispatch import dispatch_due
from jobs.engine.entrypoints import FIRE_SCHEDULE, JsonJob
from jobs.engine.monitoring import unserved_queues
from jobs.engine.outage import OUTAGE_ERRORS, Outage
from jobs.operations.reconcile import reconcile
from jobs.operations.retention import retention_pass
from jobs.scheduling.firing import schedule_fire_many

logger = logging.getLogger(__name__)

LOCK_GRACE = 10  # seconds a stopped lock holder keeps the lock past one interval (rq-scheduler's value)

ALERT_EVERY = 300.0
UNSERVED_CHECK_EVERY = 30.0  # seconds between checks for queues with waiting jobs and no worker
FIRE_BATCH = 500  # slots per transaction
TICK_DELAY = 0.005  # seconds after the whole multiple of the interval
# Delete the lock only if it still holds this process's pid: it may have expired and been taken.
RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def _slot_time(job: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(job.args[1])
    except (IndexError, TypeError, ValueError):
        return None


class ConveyorScheduler(Scheduler):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["job_class"] = JsonJob  # rq-scheduler has no serializer option: the job class is JSON-only
        super().__init__(*args, **kwargs)
        self._reconcile_at = self._alert_at = self._unserved_at = self._retention_at = (
            0.0  # when each pass is due (time.monotonic())
        )
        self._next_due: float | None = None  # epoch seconds of the next slot seen but not yet due
        self.outage = Outage("scheduler", self.connection)

    def run(self, burst: bool = False) -> None:
        """rq-scheduler's loop (heartbeat, one pass under the lock), with each tick just after a
        whole multiple of the interval on the wall clock: slots fall on whole seconds (cron on
        whole minutes), so they are found at once instead of after the phase the process happened
        to start with (0.5 s on average); a pass that ran past the next tick is followed by the
        next one at once (`_pause`). The wait happens outside the lock, so a standby
        scheduler can take over the moment this one stops. An outage is waited out."""
        self.register_birth()
        self._install_signal_handlers()
        try:
            while True:
                started = time.time()
                try:
                    self.heartbeat()
                    if self.acquire_lock():
                        self.enqueue_jobs()
                        self.heartbeat()
                        self.remove_lock()
                except OUTAGE_ERRORS as exc:
                    # Let another scheduler (or this one, once the stores answer) fire now
                    # rather than when the lock expires (interval + LOCK_GRACE seconds).
                    self.release_lock()
                    self.outage.ride_out(exc)
                    # Workers could not renew their liveness keys meanwhile: give those still
                    # alive time to vouch again before reconcile fails their jobs as orphans.
                    self._reconcile_at = time.monotonic() + 3 * settings.WORKER_MONITORING_INTERVAL
                    continue
                if burst:
                    break
                time.sleep(self._pause(started, time.time()))
        finally:
            self.remove_lock()
            self.register_death()

    def _pause(self, started: float, now: float) -> float:
        """Seconds to wait after a pass that started at `started` (epoch seconds), now over:
        until just past the first whole multiple of the interval after its start, or the slot
        seen due sooner; none if the pass ran past that. A pass longer than the interval (a
        minute's thousand cron fires) would otherwise leave the slots that fell due while it ran
        for the tick after, late by a whole interval."""
        tick = (math.floor(started / self._interval) + 1) * self._interval
        return max(0.0, min(tick, self._next_due or tick) + TICK_DELAY - now)

    def acquire_lock(self) -> bool:
        """rq-scheduler's lock (SET NX, expiring after interval + 10 s), holding this process's
        pid instead of a time, so an operator (and the fault test) can tell who holds it."""
        self._lock_acquired = bool(
            self.connection.set(self.scheduler_lock_key, os.getpid(), ex=int(self._interval) + LOCK_GRACE, nx=True)
        )
        return self._lock_acquired

    def release_lock(self) -> None:
        """Delete the lock if this process still holds it (best effort: Redis may be the store
        that is down, and then the lock expires)."""
        if not self._lock_acquired:
            return
        self._lock_acquired = False
        with contextlib.suppress(RedisError):
            self.connection.eval(RELEASE_LOCK, 1, self.scheduler_lock_key, os.getpid())

    def get_jobs_to_queue(self, with_times: bool = False) -> list[Any]:
        """The due entries, read in one round trip (rq-scheduler reads them one at a time).

        rq-scheduler scores entries in whole seconds, so a slot at 12:00:03.6 scores 12:00:03: a
        fire whose own time has not come yet stays armed, and the loop wakes up for it.
        """
        now = datetime.now(UTC)
        self._next_due = None
        due = self.connection.zrangebyscore(self.scheduled_jobs_key, 0, to_unix(now))
        ids = [job_id.decode() for job_id in due]
        jobs = self.job_class.fetch_many(ids, connection=self.connection)
        ready = []
        for job_id, job in zip(ids, jobs, strict=True):
            if job is None:
                self.cancel(job_id)  # an entry whose job hash is gone, as rq-scheduler does
            elif job.entry_point == FIRE_SCHEDULE and (slot := _slot_time(job)) is not None and slot > now:
                self._next_due = min(self._next_due or slot.timestamp(), slot.timestamp())
            else:
                ready.append(job)
        return ready

    def _put_back(self, fires: list[Any]) -> None:
        """Arm again the slots a failed fire took out, so the next pass fires them (a slot that
        did fire is then stale, and its schedule re-armed from the database). A slot armed
        meanwhile is left alone; if Redis is down too, the re-arm pass restores them."""
        with contextlib.suppress(RedisError):
            scores = {job.id: to_unix(slot) for job in fires if (slot := _slot_time(job)) is not None}
            if scores:
                self.connection.zadd(self.scheduled_jobs_key, scores, nx=True)

    def enqueue_jobs(self) -> list[Any]:
        close_old_connections()
        try:
            jobs = self.get_jobs_to_queue()
            fires = [job for job in jobs if job.entry_point == FIRE_SCHEDULE]
            for job in jobs:
                if job.entry_point != FIRE_SCHEDULE:
                    self.enqueue_job(job)
            if fires:
                # Take the entries out first: firing arms each next slot under the same id. If
                # this process dies in between, the re-arm pass restores the slots and the fire
                # rows dedupe.
                self.connection.zrem(self.scheduled_jobs_key, *(job.id for job in fires))
                try:
                    with attribute(channel="schedule"):
                        for chunk in batched(fires, FIRE_BATCH, strict=False):
                            schedule_fire_many([tuple(job.args) for job in chunk])
                except (DatabaseError, RedisError):
                    self._put_back(fires)
                    raise
            with attribute(channel="system", reason="scheduler pass"):
                dispatch_due()
                if time.monotonic() >= self._reconcile_at:
                    self._reconcile_at = time.monotonic() + settings.RECONCILE_EVERY_SECONDS
                    reconcile()
                if time.monotonic() >= self._alert_at:
                    self._alert_at = time.monotonic() + ALERT_EVERY
                    silent_schedules()
                if time.monotonic() >= self._unserved_at:
                    self._unserved_at = time.monotonic() + UNSERVED_CHECK_EVERY
                    unserved_queues()
                if time.monotonic() >= self._retention_at:
                    # One bounded batch per interval: a backlog drains in small steps, never a
                    # long lock, and the tick that runs it is late by one batch at most.
                    self._retention_at = time.monotonic() + settings.RETENTION_EVERY_SECONDS
                    retention_pass(now=datetime.now(UTC))
        except OUTAGE_ERRORS:
            raise  # the run loop waits for the stores to come back
        except (DatabaseError, RedisError) as exc:
            # Any other store error: the pass is retried on the next tick.
            logger.warning("scheduler.pass_failed", extra={"error": str(exc)})
            jobs = []
        return jobs
