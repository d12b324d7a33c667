"""Job reads, always scoped to what the asking user may see."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.db import connections, router
from django.db.models import QuerySet
from reversion.models import Version

from core.db import prepared_cursor
from core.errors import NotFound
from jobs.models import WAITING_STATES, Job, JobLog, Schedule, ScheduleState


def job_visible(*, user: User) -> QuerySet[Job]:
    """Every job `user` may see: their own, or all of them for staff."""
    jobs = Job.objects.all()
    return jobs if user.is_staff else jobs.filter(submitted_by=user)


def job_get(*, user: User, job_id: UUID | str) -> Job:
    """Return the job, or raise NotFound if it does not exist or the user may not see it."""
    # No prefetch of depends_on: a 304 answer never reads it, a serialized job reads it once.
    # get(), not first(): no ORDER BY to compile on the hottest read (P3 in docs/benchmarks.md).
    jobs = job_visible(user=user)
    try:
        if user.is_staff:
            return jobs.select_related("submitted_by").get(pk=job_id)
        job = jobs.get(pk=job_id)
    except Job.DoesNotExist:
        raise NotFound("job not found") from None
    job.submitted_by = user  # a non-staff user sees only their own jobs: no join needed
    return job


# Stand-ins the validator's statement is compiled with, swapped for the real values per call.
_ANY_USER_ID = -1
_ANY_JOB_ID = UUID(int=0)


@cache
def _validator_statement(staff: bool, alias: str) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of `job_visible(...).filter(pk=...)` reading only the ETag's
    columns, compiled once with stand-ins for the user and the job."""
    stand_in = User(pk=_ANY_USER_ID, is_staff=staff)
    columns = ("version", "state", "submitted_by__username") if staff else ("version", "state")
    query = job_visible(user=stand_in).filter(pk=_ANY_JOB_ID).values_list(*columns).query
    return query.get_compiler(using=alias).as_sql()  # type: ignore[no-any-return]


def job_validator(*, user: User, job_id: UUID | str) -> tuple[int, str, str]:
    """Return what a job's ETag is made of, (version, state, submitter's username), in one
    statement compiled once from `job_visible` (the ownership rule is not written twice);
    raise NotFound as `job_get` does."""
    alias = router.db_for_read(Job)
    connection = connections[alias]
    sql, template = _validator_statement(user.is_staff, alias)
    pk = Job._meta.pk
    any_job = pk.get_db_prep_value(_ANY_JOB_ID, connection)  # type: ignore[union-attr]
    job = pk.get_db_prep_value(pk.to_python(job_id), connection)  # type: ignore[union-attr]
    stand_ins = {_ANY_USER_ID: user.pk, any_job: job}
    with prepared_cursor(alias) as cursor:
        cursor.execute(sql, [stand_ins.get(value, value) for value in template])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("job not found")
    if not user.is_staff:  # their own job: the submitter is the asking user, no join needed
        row = (*row, user.get_username())
    version, state, submitter = row
    return version, state, submitter or ""


def waiting_count(user: User, *, stop_at: int) -> int:
    """The number of `user`'s waiting jobs, counted no further than `stop_at` (an index range
    scan of at most that many entries, however many jobs the user has). One statement compiled
    once per limit with the stand-in user, as the validator's: compiling the count's subquery
    anew cost each non-staff submit ~1 ms of CPU (bench/analysis.md, P1)."""
    alias = router.db_for_read(Job)
    sql, template = _waiting_statement(alias, stop_at)
    with prepared_cursor(alias) as cursor:
        cursor.execute(sql, [user.pk if value == _ANY_USER_ID else value for value in template])
        return int(cursor.fetchone()[0])


@cache
def _waiting_statement(alias: str, stop_at: int) -> tuple[str, tuple[Any, ...]]:
    waiting = Job.objects.filter(submitted_by_id=_ANY_USER_ID, state__in=WAITING_STATES).order_by()
    sql, params = waiting.values_list("pk")[:stop_at].query.get_compiler(using=alias).as_sql()
    return f"SELECT COUNT(*) FROM ({sql}) AS waiting", params  # noqa: S608  # Django's own SQL, values as parameters


def job_list(
    *,
    user: User,
    states: list[str] | None = None,
    task: str | None = None,
    queue: str | None = None,
    label: dict[str, str] | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    schedule: Schedule | UUID | None = None,
) -> QuerySet[Job]:
    """The user's visible jobs filtered as asked, newest first, with what the output needs."""
    jobs = job_visible(user=user).select_related("submitted_by").prefetch_related("depends_on")
    if states:
        jobs = jobs.filter(state__in=states)
    if task:
        jobs = jobs.filter(task=task)
    if queue:
        jobs = jobs.filter(queue=queue)
    for key, value in (label or {}).items():
        jobs = jobs.filter(**{f"labels__{key}": value})
    if created_after:
        jobs = jobs.filter(created_at__gt=created_after)
    if created_before:
        jobs = jobs.filter(created_at__lt=created_before)
    if schedule is not None:
        jobs = jobs.filter(schedule=schedule)
    return jobs.order_by("-created_at")


def schedule_visible(*, user: User) -> QuerySet[Schedule]:
    """Every schedule `user` may see: their own, or all of them for staff."""
    schedules = Schedule.objects.select_related("owner")
    return schedules if user.is_staff else schedules.filter(owner=user)


def schedule_get(*, user: User, schedule_id: UUID | str) -> Schedule:
    """Return the schedule, or raise NotFound if it does not exist or the user may not see it."""
    schedule = schedule_visible(user=user).filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound("schedule not found")
    return schedule


def schedule_list(
    *, user: User, state: str | None = None, task: str | None = None, kind: str | None = None
) -> QuerySet[Schedule]:
    """The user's visible schedules filtered as asked, newest first."""
    schedules = schedule_visible(user=user)
    if state == ScheduleState.FINISHED:
        schedules = schedules.filter(finished_at__isnull=False)
    elif state is not None:
        schedules = schedules.filter(finished_at__isnull=True, enabled=state == ScheduleState.ACTIVE)
    if task:
        schedules = schedules.filter(task=task)
    if kind:
        schedules = schedules.filter(kind=kind)
    return schedules.order_by("-created_at")


def schedule_versions(*, schedule: Schedule) -> QuerySet[Version]:
    """The schedule's restore points, newest first."""
    return Version.objects.get_for_object(schedule).select_related("revision__user")  # type: ignore[no-any-return]


def schedule_deleted_versions(*, user: User) -> list[Version]:
    """The last version of each deleted schedule the user owned (staff: all), newest first."""
    versions = list(Version.objects.get_deleted(Schedule).select_related("revision__user"))
    # reversion compares ids as text, which misses UUIDs stored as hex (SQLite): check again.
    alive = {
        str(pk) for pk in Schedule.objects.filter(pk__in=[v.object_id for v in versions]).values_list("pk", flat=True)
    }
    return [
        v for v in versions if v.object_id not in alive and (user.is_staff or v.field_dict.get("owner_id") == user.pk)
    ]


@dataclass(frozen=True)
class DeletedSchedule:
    """A deleted schedule as the restore list shows it: its last version, and its deletion."""

    version: Version
    deleted_at: datetime | None
    deleted_by: dict[str, object] | None

    @property
    def schedule_id(self) -> str:
        return str(self.version.object_id)


def schedule_deleted(*, user: User) -> list[DeletedSchedule]:
    """`schedule_deleted_versions`, each with when and by whom the schedule was deleted (from
    its history's delete record, one query for the page)."""
    versions = schedule_deleted_versions(user=user)
    deletions = {
        str(record.id): record
        for record in Schedule.history.filter(  # type: ignore[attr-defined]
            history_type="-", id__in=[UUID(str(v.object_id)) for v in versions]
        ).order_by("history_id")
    }
    result = []
    for version in versions:
        record = deletions.get(str(UUID(str(version.object_id))))
        actor = None
        if record is not None and (record.history_user_id is not None or record.history_username):
            actor = {"id": record.history_user_id, "username": record.history_username}
        result.append(DeletedSchedule(version, record.history_date if record else None, actor))
    return result


def job_log(*, job: Job) -> dict[str, object]:
    """The log lines the job's task emitted (empty if none yet)."""
    log = JobLog.objects.filter(job=job).first()
    return {"lines": log.lines if log else [], "truncated": log.truncated if log else False}
