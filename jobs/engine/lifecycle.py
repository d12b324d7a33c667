"""State transitions of a job, as workers, the dispatcher and services apply them.

Every transition locks the row, checks the state it starts from and saves through the model
(so history records it); a transition that no longer applies does nothing. That is what makes a
late worker write after a cancel, or a second scheduler harmless. A worker claims a queued job
(`job_claim`, one Redis key per attempt, so a duplicate push does not run it twice) and writes
nothing until the run ends: a short job is one audited change queued → succeeded (or failed);
`running` is written only for a run still going after WORKER_RUNNING_AFTER_MS, or at its first
progress report (`job_mark_running`), and its end then starts from running.
"""

import functools
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from audit import sql
from audit.context import attribute, current
from core import notices
from core.db import prepared_cursor
from core.redis import redis_connection
from jobs import metrics
from jobs.engine import dispatch
from jobs.models import TERMINAL_STATES, Job, JobState

logger = logging.getLogger(__name__)

RESULT_MAX_BYTES = 64 * 1024
CLAIM_KEY = "conveyor:claim:{}:{}"  # job id, attempt; value: "<claimed at, ISO> <worker name>"
CLAIM_TTL = 24 * 3600  # seconds; outlives any wait for reconcile to judge a dead worker's claim
MERGED_REASON = "started and ended in one change"
BUMP = ('"version" = "version" + 1',)  # what Job.save() does to `version`, in SQL
HAS_DEPENDENTS = "EXISTS (SELECT 1 FROM jobs_job_depends_on d WHERE d.to_job_id = changed.id)"
START_FIELDS = ["state", "attempt", "started_at", "ended_at", "progress", "worker"]


def transition(job_id: UUID | str, allowed: Iterable[str], **fields: Any) -> Job | None:
    """Lock the job and apply `fields` if the job is in one of `allowed` states; return it, or None if not."""
    with transaction.atomic(savepoint=False):
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state not in allowed:
            return None
        for name, value in fields.items():
            setattr(job, name, value)
        job.save(update_fields=list(fields))
        transaction.on_commit(lambda: announce(job))
    return job


@dataclass(frozen=True)
class Run:
    """One attempt of a job that a worker claimed: what its start will record."""

    job_id: str
    attempt: int
    started_at: datetime
    worker: str


def job_claim(job_id: str, *, worker: str) -> tuple[Job, Run] | None:
    """Claim a queued job for its next attempt; None means it must not run (not queued, or a
    duplicate push another worker already claimed).

    Nothing is written to the database: the row stays `queued` until the run ends (one audited
    change) or is marked running. The claim is a Redis key per attempt, set only if absent,
    naming the worker, so reconcile can tell a run whose worker died (jobs.operations.reconcile).
    """
    job = _read(job_id)
    if job is None or job.state != JobState.QUEUED:
        return None
    run = Run(str(job.pk), job.attempt + 1, timezone.now(), worker[:200])
    key = CLAIM_KEY.format(run.job_id, run.attempt)
    if not redis_connection().set(key, f"{run.started_at.isoformat()} {run.worker}", nx=True, ex=CLAIM_TTL):
        return None
    return job, run


@functools.cache
def _read_statement() -> str:
    user = get_user_model()

    def column(model: Any, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    columns = ", ".join(f"j.{column(Job, field.name)}" for field in Job._meta.concrete_fields)
    return (
        f"SELECT {columns}, u.{column(user, user.USERNAME_FIELD)} "  # noqa: S608
        f"FROM {connection.ops.quote_name(Job._meta.db_table)} j "
        f"LEFT JOIN {connection.ops.quote_name(user._meta.db_table)} u "
        f"ON u.{column(user, user._meta.pk.name)} = j.{column(Job, 'submitted_by')} WHERE j.{column(Job, 'id')} = %s"
    )


def _read(job_id: str) -> Job | None:
    """Job `job_id` as it stands, its submitter a stand-in with the id and username (all that
    attribution reads; anything else loads on first use). A fixed statement, kept prepared
    (core.db): compiling the same query with the ORM, `select_related` included, was a sixth of
    a short job's time in the worker."""
    pk = Job._meta.pk.get_db_prep_value(job_id, connection)
    with prepared_cursor() as cursor:
        cursor.execute(_read_statement(), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    job: Job = sql.from_row(Job, connection.alias, row)
    if job.submitted_by_id is not None:
        user = get_user_model()
        values = [job.submitted_by_id, row[-1]]
        job.submitted_by = user.from_db(job._state.db, [user._meta.pk.attname, user.USERNAME_FIELD], values)
    return job


def claimed_run(job: Job, value: str) -> Run:
    """The run a claim key's value describes (for reconcile)."""
    at, worker = value.split(" ", 1)
    return Run(str(job.pk), job.attempt + 1, datetime.fromisoformat(at), worker)


def _apply_start(job: Job, run: Run) -> None:
    for name, value in _start_values(run).items():
        setattr(job, name, value)


def _start_values(run: Run) -> dict[str, Any]:
    return {
        "state": JobState.RUNNING,
        "attempt": run.attempt,
        "started_at": run.started_at,
        "ended_at": None,
        "progress": None,
        "worker": run.worker,
    }


def job_mark_running(run: Run) -> bool:
    """Write `running` for a claimed run that is still going; False if the job is no longer
    queued or running this attempt (canceled meanwhile)."""
    if sql.supported():
        before = {"attempt": run.attempt - 1}
        marked = sql.transition_audited(Job, run.job_id, [JobState.QUEUED], _start_values(run), raw=BUMP, match=before)
        if marked is not None:
            transaction.on_commit(lambda: announce(marked[0]))
            return True
        return Job.objects.filter(pk=run.job_id, state=JobState.RUNNING, attempt=run.attempt).exists()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=run.job_id).first()
        if job is None:
            return False
        if job.state == JobState.RUNNING:
            return job.attempt == run.attempt
        if job.state != JobState.QUEUED or job.attempt != run.attempt - 1:
            return False
        _apply_start(job, run)
        job.save(update_fields=START_FIELDS)
        transaction.on_commit(lambda: announce(job))
    return True


def _lock_for_end(job_id: str, run: Run | None) -> tuple[Job | None, bool]:
    """Lock the job a run ends: a running one, or a queued one `run` claimed (then the start is
    applied too and the second value is True: one merged change)."""
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is not None and job.state == JobState.RUNNING:
        return job, False
    if job is not None and job.state == JobState.QUEUED and run is not None and job.attempt == run.attempt - 1:
        _apply_start(job, run)
        return job, True
    return None, False


def _save_end(job: Job, merged: bool, fields: list[str]) -> None:
    if merged:
        reason = f"{current().reason or 'job execution'}: {MERGED_REASON}"[:100]
        with attribute(reason=reason):
            job.save(update_fields=[*START_FIELDS, *fields])
    else:
        job.save(update_fields=fields)
    transaction.on_commit(lambda: announce(job, started=merged))


def announce(job: Job, *, started: bool = False) -> None:
    """After commit: tell waiting clients, and count the start or the end (both for a merged
    change, `started`), in one round trip; or, inside `announcements_held`, with the caller's."""
    held = _held.get()
    if held is not None:
        held.append((job, started))
        return
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            add_announcements(pipe, [(job, started)])
            pipe.execute()
    except RedisError:
        logger.warning("job.announce_failed", extra={"job_id": str(job.pk)})


Announcement = tuple[Job, bool]  # a job that changed, and whether its change started it
_held: ContextVar[list[Announcement] | None] = ContextVar("held_announcements", default=None)


@contextmanager
def announcements_held() -> Iterator[list[Announcement]]:
    """Collect the announcements made inside instead of sending them: the caller sends them on a
    pipeline of its own (`add_announcements`), or they are sent on the way out."""
    held: list[Announcement] = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)
        for job, started in held:
            announce(job, started=started)


def add_announcements(pipe: Any, announcements: list[Announcement]) -> None:
    """Queue on `pipe` the notices `announce` sends for these changes; their metrics (starts,
    ends, durations and waits) go to the process's sums (metrics.SUMS, added once a second)."""
    notices.add_notices(pipe, [job.pk for job, _ in announcements])
    with metrics.SUMS.adding() as sums:
        for job, started in announcements:
            if job.state == JobState.RUNNING or started:
                metrics.record_started(sums, job)
            if job.done:
                metrics.record_finished(sums, job)


def result_error(result: Any) -> dict[str, str] | None:
    """Why `result` cannot be stored (not JSON, or too large), or None if it can."""
    try:
        size = len(json.dumps(result))
    except (TypeError, ValueError):
        return {"type": "ResultNotSerializable", "message": "the task returned a non-JSON value"}
    if size > RESULT_MAX_BYTES:
        return {"type": "ResultTooLarge", "message": f"the result is {size} bytes; the limit is {RESULT_MAX_BYTES}"}
    return None


def job_succeed(job_id: str, result: Any, *, run: Run | None = None) -> Job | None:
    """Record a successful run (of a running job, or of `run` in one change if the job is still
    queued); results that are not JSON or too large fail the job instead."""
    if (error := result_error(result)) is not None:
        return job_fail(job_id, error, run=run)
    if sql.supported():
        return _succeed_in_one_statement(job_id, result, run)
    with transaction.atomic():
        job, merged = _lock_for_end(job_id, run)
        if job is None:
            return None
        job.state = JobState.SUCCEEDED
        job.result = result
        job.error = None  # an earlier attempt's error no longer describes the job; history keeps it
        job.ended_at = timezone.now()
        _save_end(job, merged, ["state", "result", "error", "ended_at"])
        release_dependents(job)
    return job


def _succeed_in_one_statement(job_id: str, result: Any, run: Run | None) -> Job | None:
    """job_succeed on PostgreSQL: one UPDATE-and-history statement (the merged change first:
    most runs are short), then the dependents only if the job has any."""
    end = {"state": JobState.SUCCEEDED, "result": result, "error": None, "ended_at": timezone.now()}
    done, merged = None, False
    if run is not None:
        reason = f"{current().reason or 'job execution'}: {MERGED_REASON}"[:100]
        values = {**_start_values(run), **end}
        done, merged = (
            sql.transition_audited(
                Job,
                job_id,
                [JobState.QUEUED],
                values,
                raw=BUMP,
                reason=reason,
                extra=HAS_DEPENDENTS,
                match={"attempt": run.attempt - 1},
            ),
            True,
        )
    if done is None:
        done, merged = (
            sql.transition_audited(Job, job_id, [JobState.RUNNING], end, raw=BUMP, extra=HAS_DEPENDENTS),
            False,
        )
    if done is None:
        return None
    job, has_dependents = done
    transaction.on_commit(lambda: announce(job, started=merged))
    if has_dependents:
        release_dependents(job)
    return job


def job_fail(job_id: str, error: dict[str, str], *, retry: bool = True, run: Run | None = None) -> Job | None:
    """Record a failed run (of a running job, or of `run` in one change if the job is still
    queued): schedule the next attempt if the policy allows, else fail for good."""
    with transaction.atomic():
        job, merged = _lock_for_end(job_id, run)
        if job is None:
            return None
        now = timezone.now()
        job.error = error
        job.ended_at = now
        # The next attempt is pushed by the dispatch pass, never while this attempt's RQ job
        # is still being finalized under the same id.
        if retry and job.attempt <= job.max_retries:
            intervals = job.retry_intervals or [0]
            delay = intervals[min(job.attempt - 1, len(intervals) - 1)]
            job.state = JobState.SCHEDULED
            job.run_at = now + timedelta(seconds=delay)
            job.dispatched = False
        else:
            job.state = JobState.FAILED
        _save_end(job, merged, ["error", "ended_at", "state", "run_at", "dispatched"])
    if job.state == JobState.FAILED:
        cancel_dependents(job, reason=f"job {job.pk} failed")
    return job


def job_lost(job_id: str, detail: str, *, run: Run | None = None) -> Job | None:
    """A worker lost the job (its process died): fail or retry it like any failure."""
    return job_fail(job_id, {"type": "WorkerLost", "message": detail[:1000]}, run=run)


def job_report_progress(job_id: str, progress: dict[str, Any], *, at: datetime) -> bool:
    """Store progress of a running job; False when the job is no longer running (canceled).

    A plain UPDATE on purpose: progress ticks are not audit events.
    """
    updated = Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(progress=progress, version=F("version") + 1)
    if updated:
        notices.notify([job_id])
    return bool(updated)


def release_dependents(parent: Job) -> None:
    """Queue the deferred dependents of a succeeded job whose parents have all succeeded."""
    ready = []
    with transaction.atomic(savepoint=False):
        for child in Job.objects.select_for_update(of=("self",)).filter(depends_on=parent, state=JobState.DEFERRED):
            if not child.depends_on.exclude(state=JobState.SUCCEEDED).exists():
                child.state = JobState.SCHEDULED if child.run_at and child.run_at > timezone.now() else JobState.QUEUED
                child.save(update_fields=["state"])
                ready.append(child)
        if ready:
            transaction.on_commit(lambda: dispatch.dispatch_now(ready))


def cancel_dependents(parent: Job, *, reason: str) -> None:
    """Cancel every job waiting on `parent` (transitively): they can never run."""
    pending = [parent]
    while pending:
        current = pending.pop()
        for child in Job.objects.filter(depends_on=current).exclude(state__in=TERMINAL_STATES):
            canceled = transition(
                child.pk,
                [JobState.DEFERRED, JobState.SCHEDULED, JobState.QUEUED],
                state=JobState.CANCELED,
                ended_at=timezone.now(),
                error={"type": "DependencyFailed", "message": reason},
            )
            if canceled is not None:
                pending.append(canceled)
