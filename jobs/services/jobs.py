"""Job services: submit (one or a batch), cancel and retry. Every write to jobs starts here."""

import functools
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections, router, transaction
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone
from rq.command import send_stop_job_command

from audit.context import Attribution, current
from audit.history import bulk_create_audited
from core.coalesce import Coalescer
from core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from core.redis import redis_connection
from jobs.engine import dispatch
from jobs.engine.lifecycle import announce, cancel_dependents
from jobs.firetimes import instant_error
from jobs.models import UNSUCCESSFUL_STATES, Job, JobState, Schedule
from jobs.registry import get_task
from jobs.selectors import job_visible
from jobs.services import admission

logger = logging.getLogger(__name__)

RUN_AT_TOLERANCE = timedelta(minutes=1)
BATCH_MAX = 1000


@dataclass
class JobSpec:
    """A validated-in-shape submit request; services check what it means."""

    task: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None
    run_at: datetime | None = None
    delay_seconds: int | None = None
    timeout_seconds: int | None = None
    max_retries: int | None = None
    retry_intervals: list[int] | None = None
    depends_on: list[UUID] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


def _build(spec: JobSpec, *, actor: User, now: datetime) -> tuple[Job, list[Job], list[FieldError]]:
    """Turn a spec into an unsaved Job and its parents, or the errors that prevent it."""
    try:
        task = get_task(spec.task)
    except NotFound as exc:
        return Job(), [], [FieldError("/task", exc.detail, "unknown_task")]
    if not task.may_run(actor):
        raise Forbidden(f"task {task.name!r} may only be run by staff")
    _, errors = task.bind(spec.args, spec.kwargs)
    queue = spec.queue or task.queue
    if queue not in settings.QUEUE_NAMES:
        errors.append(FieldError("/queue", f"unknown queue {queue!r}; use one of {settings.QUEUE_NAMES}", "unknown"))
    run_at = spec.run_at
    if spec.delay_seconds is not None:
        run_at = now + timedelta(seconds=spec.delay_seconds)
    elif (out_of_range := instant_error("run_at", run_at)) is not None:
        errors.append(out_of_range)
    elif run_at is not None and run_at < now - RUN_AT_TOLERANCE:
        errors.append(FieldError("/run_at", "run_at is more than a minute in the past", "past"))
    parents = list(job_visible(user=actor).filter(pk__in=spec.depends_on)) if spec.depends_on else []
    found = {parent.pk: parent for parent in parents}
    for index, parent_id in enumerate(spec.depends_on):
        parent = found.get(parent_id)
        if parent is None:
            errors.append(FieldError(f"/depends_on/{index}", f"no job {parent_id}", "unknown_job"))
        elif parent.state in UNSUCCESSFUL_STATES:
            errors.append(FieldError(f"/depends_on/{index}", f"job {parent_id} is {parent.state}", "dead_parent"))
    job = _new_job(
        submitted_by=actor,
        task=task.name,
        args=spec.args,
        kwargs=spec.kwargs,
        queue=queue,
        run_at=run_at,
        labels=spec.labels,
        timeout_seconds=spec.timeout_seconds or task.timeout_seconds,
        max_retries=task.max_retries if spec.max_retries is None else spec.max_retries,
        retry_intervals=list(task.retry_intervals) if spec.retry_intervals is None else spec.retry_intervals,
    )
    return job, parents, errors


def _new_job(*, submitted_by: User, **values: Any) -> Job:
    """`Job(submitted_by=submitted_by, **values)` for plain column values, without
    Model.__init__'s walk over every field: 8 against 22 us a job, and a batch builds 1,000
    (bench/analysis.md, P2). Every column gets its default as Model.__init__ gives it, then
    `values`, then the submitter through the relation's descriptor
    (tests/jobs/test_services.py holds the two equal). Where anything listens to a job's
    construction, Django builds it."""
    if signals.pre_init.has_listeners(Job) or signals.post_init.has_listeners(Job):
        return Job(submitted_by=submitted_by, **values)
    fixed, made = _job_defaults()
    job = Job.__new__(Job)
    job._state = ModelState()
    job.__dict__.update(fixed)
    job.__dict__.update({field.attname: field.get_default() for field in made if field.attname not in values})
    job.__dict__.update(values)
    job.submitted_by = submitted_by  # the relation's own descriptor: id, cache and database
    return job


@functools.cache
def _job_defaults() -> tuple[dict[str, Any], list[Any]]:
    """The defaults of a job's columns: those Django gives as one value (a constant, or None or
    "" for a column without a default), and the fields whose default is made for each job."""
    made = [field for field in Job._meta.concrete_fields if field.has_default() and callable(field.default)]
    return {field.attname: field.get_default() for field in Job._meta.concrete_fields if field not in made}, made


def _initial_state(job: Job, parents: list[Job], now: datetime) -> str:
    if any(parent.state != JobState.SUCCEEDED for parent in parents):
        return JobState.DEFERRED
    if job.run_at is not None and job.run_at > now:
        return JobState.SCHEDULED
    return JobState.QUEUED


def _save(built: list[tuple[Job, list[Job]]], attributions: list[Attribution] | None = None) -> None:
    """Insert the rows (and their history, attributed to `attributions` or the current context)
    in bulk in the caller's transaction and push the ready ones after commit."""
    now = timezone.now()
    parent_ids = {parent.pk for _, parents in built for parent in parents}
    locked: dict[UUID, Job] = {}
    if parent_ids:
        # Lock and re-read the parents: one finishing right now either commits first (and we
        # see it) or waits for this insert (and then releases this dependent).
        locked = {p.pk: p for p in Job.objects.select_for_update().filter(pk__in=parent_ids).order_by("pk")}
        dead = [p for p in locked.values() if p.state in UNSUCCESSFUL_STATES]
        if dead:
            raise Conflict(f"job {dead[0].pk} is {dead[0].state}; a dependent could never run")
    links = []
    # One empty result shared by the jobs without parents (a QuerySet per job cost a batch
    # dearly: bench/analysis.md). It is only read.
    no_parents = _known([])
    for job, parents in built:
        job.state = _initial_state(job, [locked[p.pk] for p in parents], now)
        job.version = 1  # what Job.save() would have counted
        if job.state == JobState.QUEUED:
            # Written as pushed, so that the push after commit needs no second statement
            # (dispatch.dispatch_now marks it back if Redis refuses it).
            job.dispatched, job.enqueued_at = True, now
        links += [Job.depends_on.through(from_job_id=job.pk, to_job_id=p.pk) for p in parents]
        job._prefetched_objects_cache = {"depends_on": _known(parents) if parents else no_parents}  # type: ignore[attr-defined]
    created = bulk_create_audited(Job, [job for job, _ in built], attributions)
    Job.depends_on.through.objects.bulk_create(links)
    # Robust: a push that fails after the commit is logged, and reconcile pushes the rows (they say
    # pushed, RQ holds no hash); the submits keep their 202 (and a group its members: core.coalesce).
    transaction.on_commit(lambda: dispatch.dispatch_now(created, submitted=True), robust=True)


def _save_atomically(built: list[tuple[Job, list[Job]]]) -> None:
    """`_save` in a transaction of its own, unless it is a single statement, atomic by itself:
    on PostgreSQL, jobs with no parents to lock or link are one INSERT of the rows and their
    history (audit.sql), and need no BEGIN and COMMIT round trips around it. Outside any
    transaction of the caller's, that statement is shared with the process's concurrent submits
    (`_TOGETHER`)."""
    connection = connections[router.db_for_write(Job)]
    if connection.vendor == "postgresql" and not any(parents for _, parents in built):
        if connection.in_atomic_block:
            _save(built)  # in the caller's transaction
        elif any(job.retry_of_id for job, _ in built):
            _save(built)  # alone: its INSERT waits for any lock on the job it retries
        else:
            ctx = current()
            _TOGETHER.join((built, replace(ctx, user=ctx.actor)))  # its actor read in its own thread
        return
    with transaction.atomic():
        _save(built)


def _save_together(saves: list[tuple[list[tuple[Job, list[Job]]], Attribution]]) -> None:
    """The jobs of concurrent submits in one statement, each history row attributed to its own
    request, and pushed in one round trip (group commit: `core.coalesce`). One statement in
    autocommit writes all or nothing, as `Coalescer` needs (if the push raised after it, each
    submit's run alone would fail on its row's primary key: a job is never written twice)."""
    _save([pair for built, _ in saves for pair in built], [ctx for built, ctx in saves for _ in built])


_TOGETHER = Coalescer(_save_together)


def _known(parents: list[Job]) -> Any:
    """`parents` as the result of `job.depends_on.all()`, as prefetch_related would leave it: the
    response then needs no query per job (a batch would make 1,000)."""
    known = Job.objects.none()
    known._result_cache, known._prefetch_done = list(parents), True  # type: ignore[attr-defined]
    return known


def job_submit(*, spec: JobSpec, actor: User, schedule: Schedule | None = None) -> Job:
    """Create a job from `spec` for `actor` (a run of `schedule`, if given); raise Invalid
    (nothing stored) if it cannot run, Forbidden if `actor` may not run the task, and
    TooManyRequests or Unavailable if back-pressure refuses it (jobs.services.admission)."""
    job, parents, errors = _build(spec, actor=actor, now=timezone.now())
    if errors:
        raise Invalid("the job cannot be submitted as given", errors=errors)
    admission.admit(jobs=[job], actor=actor)
    job.schedule = schedule
    _save_atomically([(job, parents)])
    logger.info("job.submitted", extra={"job_id": str(job.pk), "task": job.task, "state": job.state})
    return job


def job_prepare(*, spec: JobSpec, actor: User, now: datetime) -> Job:
    """Validate a spec without parents into an unsaved job for `actor`, for `jobs_save`; raise
    Invalid or Forbidden as `job_submit` would."""
    job, _, errors = _build(spec, actor=actor, now=now)
    if errors:
        raise Invalid("the job cannot be submitted as given", errors=errors)
    return job


def jobs_save(jobs: list[Job], attributions: list[Attribution]) -> None:
    """Save prepared jobs together in the caller's transaction, each one's history attributed
    as given; they are pushed to RQ in one round trip after commit."""
    _save([(job, []) for job in jobs], attributions)


def job_submit_batch(*, specs: list[JobSpec], actor: User) -> list[Job]:
    """Create all jobs or none: one invalid item rejects the batch, with pointers to it."""
    if len(specs) > BATCH_MAX:
        raise Invalid(f"at most {BATCH_MAX} jobs per batch", pointer="/jobs", code="too_many")
    now = timezone.now()
    built, errors = [], []
    for index, spec in enumerate(specs):
        job, parents, item_errors = _build(spec, actor=actor, now=now)
        built.append((job, parents))
        errors += [FieldError(f"/jobs/{index}{e.pointer}", e.detail, e.code) for e in item_errors]
    if errors:
        raise Invalid("the batch cannot be submitted as given", errors=errors)
    admission.admit(jobs=[job for job, _ in built], actor=actor)
    _save_atomically(built)
    return [job for job, _ in built]


def job_cancel(*, job: Job, actor: User) -> Job:
    """Cancel a waiting or running job; canceling a canceled job is a no-op.

    A running job is marked canceled at once and its worker is told to stop it; whatever the
    task reports afterwards is ignored.
    """
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state == JobState.CANCELED:
            return locked
        if locked.state in (JobState.SUCCEEDED, JobState.FAILED):
            raise Conflict(f"job is already {locked.state}")
        was_running = locked.state == JobState.RUNNING
        locked.state = JobState.CANCELED
        locked.ended_at = timezone.now()
        locked.error = {"type": "Canceled", "message": f"canceled by {actor.get_username()}"}
        locked.save()
        transaction.on_commit(lambda: _stop_in_rq(locked, was_running))
    cancel_dependents(locked, reason=f"job {locked.pk} was canceled")
    return locked


def _stop_in_rq(job: Job, running: bool) -> None:
    """Best effort: take the job out of its queue, or stop its work horse."""
    from redis.exceptions import RedisError
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    connection = redis_connection()
    try:
        if running:
            send_stop_job_command(connection, str(job.pk))
        else:
            dispatch.queue(job.queue).remove(str(job.pk))
    except (RedisError, InvalidJobOperation, NoSuchJobError) as exc:
        logger.info("job.stop_in_rq_failed", extra={"job_id": str(job.pk), "error": str(exc)})
    announce(job)


def job_retry(*, job: Job, actor: User) -> Job:
    """Submit a new job with the same task and arguments as a failed or canceled one."""
    if job.state not in UNSUCCESSFUL_STATES:
        raise Conflict(f"only failed or canceled jobs can be retried; this one is {job.state}")
    spec = JobSpec(
        task=job.task,
        args=job.args,
        kwargs=job.kwargs,
        queue=job.queue,
        timeout_seconds=job.timeout_seconds,
        max_retries=job.max_retries,
        retry_intervals=job.retry_intervals,
        labels=job.labels,
    )
    new, _, errors = _build(spec, actor=actor, now=timezone.now())
    if errors:
        raise Invalid("the job can no longer be submitted as it was", errors=errors)
    admission.admit(jobs=[new], actor=actor)
    new.retry_of = job
    _save_atomically([(new, [])])
    return new
