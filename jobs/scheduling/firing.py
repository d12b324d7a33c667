"""Firing schedules: the scheduler process hands each tick's due slots to `schedule_fire_many`.

The database decides whether a fire runs: each slot is a `ScheduleFire` row unique on
(schedule, fire_at), so a duplicate trigger is a no-op. Each fired schedule moves to its next
slot and is armed again (jobs.services.schedules).
"""

import logging
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.context import Attribution, attribute, current
from core.errors import Forbidden, Invalid
from core.redis import redis_connection
from jobs import metrics
from jobs.models import TERMINAL_STATES, FireOutcome, Job, OverlapPolicy, Schedule, ScheduleFire, ScheduleState
from jobs.services.jobs import JobSpec, job_prepare, jobs_save
from jobs.services.schedules import advance, next_slot, schedule_arm_many

logger = logging.getLogger(__name__)

# A fire this late means the scheduler was down: misfire_policy decides what happens.
MISFIRE_GRACE = timedelta(seconds=60)
FROZEN_FIRE_TIMEOUT = "5s"  # how long a stopped scheduler may hold a fire's row locks


def schedule_fire(schedule_id: str, fire_at_iso: str) -> ScheduleFire | None:
    """Fire the slot `fire_at` of one schedule (see `schedule_fire_many`)."""
    fires = schedule_fire_many([(schedule_id, fire_at_iso)])
    return fires[0] if fires else None


def schedule_fire_many(slots: list[tuple[str, str]]) -> list[ScheduleFire]:
    """Fire due slots, given as (schedule id, fire_at ISO), once each; the scheduler process
    calls this with every slot due at a tick. Returns the fires recorded.

    All slots go in one transaction with bulk writes. A stale trigger (the schedule moved on,
    was paused or deleted) does nothing. If another scheduler fired one of the slots meanwhile,
    the batch rolls back and each slot is retried in a transaction of its own, where that slot
    alone is a no-op.
    """
    try:
        return _fire(slots)
    except IntegrityError:
        fires = []
        for slot in slots:
            try:
                fires += _fire([slot])
            except IntegrityError:
                logger.info("schedule.fire_duplicate", extra={"schedule_id": slot[0], "fire_at": slot[1]})
        return fires


def _fire(slots: list[tuple[str, str]]) -> list[ScheduleFire]:
    now = timezone.now()
    wanted = {schedule_id: parse_datetime(fire_at) for schedule_id, fire_at in slots}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A scheduler frozen in here (SIGSTOP, a paused VM) would keep these schedules' row
            # locks, and every other scheduler would wait on them; PostgreSQL ends it instead.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL idle_in_transaction_session_timeout = %s", [FROZEN_FIRE_TIMEOUT])
        schedules = list(
            Schedule.objects.select_for_update(of=("self",))
            .select_related("owner")
            .filter(pk__in=wanted)
            .order_by("pk")
        )
        # Only overlap_policy=skip reads the last run, and only whether it is still going.
        watched = [s.last_job_id for s in schedules if s.overlap_policy == OverlapPolicy.SKIP and s.last_job_id]
        busy = set(Job.objects.filter(pk__in=watched).exclude(state__in=TERMINAL_STATES).values_list("pk", flat=True))
        fires: list[ScheduleFire] = []
        runs: list[tuple[Schedule, Job]] = []
        stale: list[Schedule] = []
        for schedule in schedules:
            fire_at = wanted[str(schedule.pk)]
            if schedule.state != ScheduleState.ACTIVE or fire_at is None:
                continue
            if schedule.next_run_at != fire_at:
                stale.append(schedule)
                continue
            fire = ScheduleFire(schedule=schedule, fire_at=fire_at, outcome=FireOutcome.FIRED)
            if now - fire_at > MISFIRE_GRACE and schedule.misfire_policy == "skip":
                fire.outcome = FireOutcome.MISSED
            elif schedule.overlap_policy == OverlapPolicy.SKIP and schedule.last_job_id in busy:
                fire.outcome = FireOutcome.SKIPPED_OVERLAP
            else:
                job = _prepare_run(schedule, now)
                if job is None:
                    fire.outcome = FireOutcome.REFUSED
                else:
                    fire.job = job
                    runs.append((schedule, job))
            fires.append(fire)
        jobs_save([job for _, job in runs], [_run_attribution(schedule) for schedule, _ in runs])
        ScheduleFire.objects.bulk_create(fires)  # the unique (schedule, fire_at) guards each slot
        for schedule, job in runs:
            schedule.run_count += 1
            schedule.last_job, schedule.last_run_at = job, wanted[str(schedule.pk)]
        _advance_many(fires, now)
        transaction.on_commit(lambda: schedule_arm_many(stale))
    _record_fires(fires, now)
    return fires


def _prepare_run(schedule: Schedule, now: datetime) -> Job | None:
    """An unsaved run of `schedule` for its owner; None if its task or arguments are no longer valid."""
    spec = JobSpec(task=schedule.task, args=schedule.args, kwargs=schedule.kwargs, queue=schedule.queue or None)
    try:
        job = job_prepare(spec=spec, actor=schedule.owner, now=now)
    except (Invalid, Forbidden) as exc:
        logger.warning("schedule.run_refused", extra={"schedule_id": str(schedule.pk), "error": exc.detail})
        return None
    job.schedule = schedule
    return job


def _run_attribution(schedule: Schedule) -> Attribution:
    reason = f"schedule {schedule.name}"
    return replace(current(), channel="schedule", schedule_id=str(schedule.pk), user=schedule.owner, reason=reason)


def _advance_many(fires: list[ScheduleFire], now: datetime) -> None:
    """Store each fired schedule's run count and next slot (after downtime, resume the normal
    cadence from now: one catch-up run at most); finishing ones then go through `advance`."""
    moving, finishing = [], []
    for fire in fires:
        schedule = fire.schedule
        after = max(fire.fire_at, now) if now - fire.fire_at > MISFIRE_GRACE else fire.fire_at
        following = next_slot(schedule, after=after)
        if following is None:
            finishing.append((schedule, after))
        else:
            schedule.next_run_at = following
            moving.append(schedule)
    _update_rows([fire.schedule for fire in fires], ["run_count", "last_job", "last_run_at", "next_run_at"])
    for schedule, after in finishing:
        with attribute(schedule_id=str(schedule.pk)):
            advance(schedule, after=after, now=now)
    transaction.on_commit(lambda: schedule_arm_many(moving))


def _update_rows(schedules: list[Schedule], fields: list[str]) -> None:
    """UPDATE `fields` of each schedule, one statement per row sent together: bulk_update's
    CASE expression costs more to build than the rows cost to write. No history (these are
    bookkeeping fields history leaves out) and no save()."""
    if not schedules:
        return
    meta, quote = Schedule._meta, connection.ops.quote_name
    columns: list[Field[Any, Any]] = [meta.get_field(name) for name in fields]  # type: ignore[misc]
    pk: Field[Any, Any] = meta.pk  # type: ignore[assignment]
    # Only names from the model's own metadata go into the SQL; every value is a parameter.
    assignments = ", ".join(f"{quote(str(column.column))} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(pk.column))} = %s"  # noqa: S608
    rows = [
        [column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns]
        + [pk.get_db_prep_value(row.pk, connection)]
        for row in schedules
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _record_fires(fires: list[ScheduleFire], now: datetime) -> None:
    lateness_by_kind: defaultdict[str, list[float]] = defaultdict(list)
    for fire in fires:
        lateness = max(0.0, (now - fire.fire_at).total_seconds())
        lateness_by_kind[fire.schedule.kind].append(lateness)
        fired = {"schedule_id": str(fire.schedule.pk), "outcome": fire.outcome, "lateness_ms": round(lateness * 1000)}
        logger.info("schedule.fired", extra=fired)
    with redis_connection().pipeline(transaction=False) as pipe:
        for kind, values in lateness_by_kind.items():
            metrics.observe_many(pipe, "schedule_lateness", (kind,), values, metrics.LATENESS_BUCKETS)
        pipe.execute()
