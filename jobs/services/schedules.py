"""Schedule services: create, change, pause, trigger, delete, revert and restore schedules, and
arm them. Every write to schedules starts here or, for a fire, in jobs.scheduling.firing.

rq-scheduler holds each active schedule's next fire under a fixed id per schedule, so arming
again replaces the previous arming.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError
from reversion.models import Version
from rq_scheduler import Scheduler

from audit.context import attribute, current
from audit.revisions import restore_point
from core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from core.redis import redis_connection
from jobs import firetimes
from jobs.engine.entrypoints import FIRE_SCHEDULE, JsonJob
from jobs.models import (
    SCHEDULE_CONFIG_FIELDS,
    FireOutcome,
    Job,
    Schedule,
    ScheduleFire,
    ScheduleKind,
    ScheduleState,
)
from jobs.registry import get_task
from jobs.selectors import schedule_deleted_versions
from jobs.services.jobs import JobSpec, job_submit

logger = logging.getLogger(__name__)

# The timing settings of each kind (the inputs of each kind's body are built from it: api.serializers.schedules).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    ScheduleKind.AT: ("run_at",),
    ScheduleKind.INTERVAL: ("every_seconds", "start_at"),
    ScheduleKind.CRON: ("cron", "timezone"),
}


def arm_id(schedule_id: object) -> str:
    """The rq-scheduler job id that holds a schedule's next fire."""
    return f"conveyor-schedule-{schedule_id}"


def _rq_scheduler() -> Scheduler:
    return Scheduler(connection=redis_connection(), job_class=JsonJob)


def schedule_upcoming(schedule: Schedule, count: int = 5) -> list[datetime]:
    """The next `count` fire times (UTC) of an active schedule; empty when paused or finished."""
    first = schedule.pending_fire
    if first is None:
        return []
    remaining = None if schedule.max_runs is None else schedule.max_runs - schedule.run_count
    later = firetimes.upcoming(
        count=count - 1,
        after=first,
        end_at=schedule.end_at,
        remaining_runs=None if remaining is None else remaining - 1,
        **schedule.timing,
    )
    return [first, *later][:count]


def _validate(schedule: Schedule, *, actor: User, now: datetime, creating: bool) -> None:
    """Check a schedule's configuration; raise Invalid with pointers, or Forbidden."""
    errors: list[FieldError] = []
    stray = [
        name
        for kind, names in KIND_FIELDS.items()
        if kind != schedule.kind
        for name in names
        if getattr(schedule, name) not in (None, "", "UTC")
    ]
    errors += [
        FieldError(f"/{name}", f"{name} does not apply to kind {schedule.kind!r}", "wrong_kind") for name in stray
    ]
    out_of_range = [
        error
        for name in ("run_at", "start_at", "end_at")
        if (error := firetimes.instant_error(name, getattr(schedule, name))) is not None
    ]
    if out_of_range:  # nothing below can be computed from such an instant
        raise Invalid("the schedule is invalid", errors=errors + out_of_range)
    try:
        task = get_task(schedule.task)
    except NotFound as exc:
        errors.append(FieldError("/task", exc.detail, "unknown_task"))
    else:
        if not task.may_run(schedule.owner):
            raise Forbidden(f"task {task.name!r} may only be run by staff")
        errors += task.bind(schedule.args, schedule.kwargs)[1]
    try:
        if schedule.kind == ScheduleKind.AT:
            if schedule.run_at is None:
                errors.append(FieldError("/run_at", "run_at is required for kind 'at'", "required"))
            elif creating and schedule.run_at <= now:
                errors.append(FieldError("/run_at", "run_at is in the past", "past"))
        elif schedule.kind == ScheduleKind.INTERVAL:
            if schedule.every_seconds is None:
                errors.append(FieldError("/every_seconds", "every_seconds is required", "required"))
            else:
                firetimes.check_interval(schedule.every_seconds)
        else:
            firetimes.check_timezone(schedule.timezone)
            firetimes.check_cron(schedule.cron, schedule.timezone)
    except Invalid as exc:
        errors += exc.errors
    start = schedule.run_at or schedule.start_at or now
    if schedule.end_at is not None and schedule.end_at <= start:
        errors.append(FieldError("/end_at", "end_at must be after the start", "before_start"))
    if errors:
        raise Invalid("the schedule is invalid", errors=errors)


def next_slot(schedule: Schedule, *, after: datetime) -> datetime | None:
    """The schedule's next slot after `after`, or None when it has no fire left: no later fire
    time, max_runs reached or past end_at."""
    following = firetimes.next_fire(after=after, **schedule.timing)
    if following is None or schedule.runs_exhausted or (schedule.end_at is not None and following > schedule.end_at):
        return None
    return following


def _plan(schedule: Schedule, now: datetime) -> None:
    """Set next_run_at (and finished_at when nothing is left) from the configuration."""
    if schedule.kind == ScheduleKind.INTERVAL and schedule.start_at is None:
        schedule.start_at = now + timedelta(seconds=schedule.every_seconds or 0)
    after = now - timedelta(microseconds=1)
    if schedule.kind == ScheduleKind.INTERVAL and schedule.start_at and schedule.start_at > now:
        after = schedule.start_at - timedelta(microseconds=1)
    following = next_slot(schedule, after=after)
    if following is None:
        schedule.next_run_at = None
        schedule.finished_at = schedule.finished_at or now
    else:
        schedule.next_run_at = following
        schedule.finished_at = None


def schedule_arm(schedule: Schedule) -> None:
    """Put the schedule's next fire in rq-scheduler, or take it out when it should not fire."""
    schedule_arm_many([schedule])


def schedule_arm_many(schedules: list[Schedule]) -> None:
    """`schedule_arm` for each schedule, in one Redis round trip."""
    if not schedules:
        return
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            # rq-scheduler only writes through its connection here, so a pipeline batches it.
            scheduler = Scheduler(connection=pipe, job_class=JsonJob)
            for schedule in schedules:
                if (fire_at := schedule.pending_fire) is not None:
                    scheduler.enqueue_at(
                        fire_at,
                        FIRE_SCHEDULE,
                        str(schedule.pk),
                        fire_at.isoformat(),
                        job_id=arm_id(schedule.pk),
                        job_description=f"schedule {schedule.name}",
                    )
                else:
                    scheduler.cancel(arm_id(schedule.pk))
            pipe.execute()
    except RedisError as exc:
        # The scheduler's re-arm pass restores them once Redis answers.
        logger.warning("schedule.arm_failed", extra={"schedules": len(schedules), "error": str(exc)})


def _save_schedule(schedule: Schedule, *, comment: str) -> Schedule:
    with transaction.atomic(), restore_point(comment), attribute(schedule_id=str(schedule.pk), reason=comment):
        try:
            with transaction.atomic():
                schedule.save()
        except IntegrityError:
            raise Conflict(f"a schedule named {schedule.name!r} already exists") from None
        transaction.on_commit(lambda: schedule_arm(schedule))
    return schedule


def schedule_create(*, config: dict[str, Any], actor: User) -> Schedule:
    """Create and arm a schedule owned by `actor`; nothing is stored if it is invalid."""
    now = timezone.now()
    schedule = Schedule(owner=actor, **config)
    _validate(schedule, actor=actor, now=now, creating=True)
    _plan(schedule, now)
    return _save_schedule(schedule, comment="created")


def schedule_preview(*, config: dict[str, Any], actor: User) -> list[datetime]:
    """The fire times a schedule with this configuration would have; nothing is saved."""
    now = timezone.now()
    schedule = Schedule(owner=actor, **config)
    _validate(schedule, actor=actor, now=now, creating=True)
    _plan(schedule, now)
    return schedule_upcoming(schedule)


def schedule_update(*, schedule: Schedule, changes: dict[str, Any], actor: User) -> Schedule:
    """Apply a partial change, validate the result and re-arm; an invalid change changes nothing."""
    if "kind" in changes and changes["kind"] != schedule.kind:
        for name in KIND_FIELDS[schedule.kind]:  # the old kind's fields no longer apply
            setattr(schedule, name, "UTC" if name == "timezone" else "" if name == "cron" else None)
    for name, value in changes.items():
        setattr(schedule, name, value)
    now = timezone.now()
    _validate(schedule, actor=actor, now=now, creating="run_at" in changes)
    if schedule.finished_at is None or set(changes) & {"max_runs", "end_at", "run_at", "cron", "every_seconds"}:
        _plan(schedule, now)
    return _save_schedule(schedule, comment="changed " + ", ".join(sorted(changes)))


def schedule_set_enabled(*, schedule: Schedule, enabled: bool, actor: User) -> Schedule:
    """Pause or resume; doing it twice is a no-op. Resuming plans the next fire from now."""
    if schedule.enabled == enabled or schedule.finished_at is not None:
        return schedule
    schedule.enabled = enabled
    if enabled:
        _plan(schedule, timezone.now())
    return _save_schedule(schedule, comment="resumed" if enabled else "paused")


def schedule_delete(*, schedule: Schedule, actor: User) -> None:
    """Disarm and delete; the audit trail keeps it and it can be restored from its last version."""
    with transaction.atomic(), attribute(schedule_id=str(schedule.pk), reason="deleted"):
        pk = schedule.pk
        schedule.delete()
        transaction.on_commit(lambda: _rq_scheduler().cancel(arm_id(pk)))


def _run(schedule: Schedule, *, actor: User, channel: str) -> Job | None:
    """Submit one run of `schedule` as `actor`; None if its task or arguments are no longer valid."""
    spec = JobSpec(task=schedule.task, args=schedule.args, kwargs=schedule.kwargs, queue=schedule.queue or None)
    with attribute(channel=channel, schedule_id=str(schedule.pk), user=actor, reason=f"schedule {schedule.name}"):
        try:
            return job_submit(spec=spec, actor=actor, schedule=schedule)
        except (Invalid, Forbidden) as exc:
            logger.warning("schedule.run_refused", extra={"schedule_id": str(schedule.pk), "error": exc.detail})
            return None


def _count_run(schedule: Schedule, job: Job, fire_at: datetime) -> None:
    schedule.run_count += 1
    schedule.last_job, schedule.last_run_at = job, fire_at
    Schedule.objects.filter(pk=schedule.pk).update(run_count=schedule.run_count, last_job=job, last_run_at=fire_at)


def advance(schedule: Schedule, *, after: datetime, now: datetime) -> None:
    """Move to the next slot after `after`, or finish; then (after commit) re-arm."""
    following = next_slot(schedule, after=after)
    if following is None:
        schedule.next_run_at, schedule.finished_at = None, now
        reason = "finished: max_runs reached" if schedule.runs_exhausted else "finished: no fire left"
        with attribute(reason=reason):
            schedule.save(update_fields=["next_run_at", "finished_at"])
    else:
        schedule.next_run_at = following
        Schedule.objects.filter(pk=schedule.pk).update(next_run_at=following)
    transaction.on_commit(lambda: schedule_arm(schedule))


def schedule_trigger(*, schedule: Schedule, actor: User) -> Job:
    """Run the schedule now as `actor`; counts as a run (and toward max_runs)."""
    now = timezone.now()
    with transaction.atomic():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if locked.state == ScheduleState.FINISHED:
            raise Conflict("the schedule is finished")
        job = _run(locked, actor=actor, channel=current().channel)
        if job is None:
            raise Conflict("the schedule's task or arguments are no longer valid")
        ScheduleFire.objects.create(schedule=locked, fire_at=now, outcome=FireOutcome.FIRED, job=job)
        _count_run(locked, job, now)
        if locked.runs_exhausted:
            with restore_point("finished: max_runs reached"):
                advance(locked, after=now, now=now)
    return job


def _apply_version(schedule: Schedule, version: Version) -> None:
    data = version.field_dict
    for name in SCHEDULE_CONFIG_FIELDS:
        if name in data:
            setattr(schedule, name, data[name])


def schedule_revert(*, schedule: Schedule, version_id: int, actor: User) -> Schedule:
    """Restore the configuration of one of this schedule's versions, as a normal audited change."""
    version = Version.objects.get_for_object(schedule).filter(pk=version_id).first()
    if version is None:
        raise NotFound("no such version of this schedule")
    _apply_version(schedule, version)
    now = timezone.now()
    _validate(schedule, actor=actor, now=now, creating=False)
    schedule.finished_at = None
    _plan(schedule, now)
    return _save_schedule(schedule, comment=f"revert to version {version.pk}")


def schedule_restore(*, version_id: int, actor: User) -> Schedule:
    """Bring a deleted schedule back with its id from its last version, re-armed if active."""
    version = next((v for v in schedule_deleted_versions(user=actor) if v.pk == version_id), None)
    if version is None:
        raise NotFound("no deleted schedule has this version")
    data = version.field_dict
    owner = User.objects.filter(pk=data.get("owner_id")).first()
    if owner is None:
        raise Conflict("the schedule's owner no longer exists")
    schedule = Schedule(pk=version.object_id, owner=owner)
    _apply_version(schedule, version)
    now = timezone.now()
    _validate(schedule, actor=actor, now=now, creating=False)
    _plan(schedule, now)
    return _save_schedule(schedule, comment=f"restore of version {version.pk}")


def schedule_rearm_missing() -> int:
    """Re-arm every active schedule whose next fire rq-scheduler no longer holds; returns how many."""
    schedules = list(Schedule.objects.filter(enabled=True, finished_at__isnull=True, next_run_at__isnull=False))
    if not schedules:
        return 0
    scheduler = _rq_scheduler()
    with redis_connection().pipeline(transaction=False) as pipe:
        for schedule in schedules:
            pipe.zscore(scheduler.scheduled_jobs_key, arm_id(schedule.pk))
        scores = pipe.execute()
    missing = [schedule for schedule, score in zip(schedules, scores, strict=True) if score is None]
    for schedule in missing:
        with attribute(channel="system", reason="re-arm: next fire missing from Redis"):
            schedule_arm(schedule)
    if missing:
        logger.warning("schedule.rearmed", extra={"count": len(missing)})
    return len(missing)
