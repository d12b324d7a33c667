"""State transitions of a job, as workers, the dispatcher and services apply them.

Every transition locks the row, checks the state it starts from and saves through the model
(so history records it); a transition that no longer applies does nothing. That is what makes a
duplicate push, a late worker write after a cancel, or a second scheduler harmless.
"""

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from audit.context import attribute
from core import notices
from core.redis import redis_connection
from jobs import dispatch, metrics
from jobs.models import TERMINAL_STATES, Job, JobState

logger = logging.getLogger(__name__)

RESULT_MAX_BYTES = 64 * 1024


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


def job_start(job_id: str, *, worker: str) -> Job | None:
    """Mark a queued job running (attempt + 1); None means it must not run (canceled, duplicate)."""
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("submitted_by").filter(pk=job_id).first()
        if job is None or job.state != JobState.QUEUED:
            return None
        job.state = JobState.RUNNING
        job.attempt += 1
        job.started_at = timezone.now()
        job.ended_at = None
        job.progress = None
        job.worker = worker[:200]
        with attribute(user=job.submitted_by):
            job.save(update_fields=["state", "attempt", "started_at", "ended_at", "progress", "worker"])
        transaction.on_commit(lambda: announce(job))
    return job


def announce(job: Job) -> None:
    """After commit: tell waiting clients, and count the start or the end, in one round trip."""
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            notices.add_notices(pipe, [job.pk])
            if job.state == JobState.RUNNING:
                metrics.record_started(pipe, job)
            elif job.done:
                metrics.record_finished(pipe, job)
            pipe.execute()
    except RedisError:
        logger.warning("job.announce_failed", extra={"job_id": str(job.pk)})


def job_succeed(job_id: str, result: Any) -> Job | None:
    """Record a successful run; results that are not JSON or too large fail the job instead."""
    try:
        size = len(json.dumps(result))
    except (TypeError, ValueError):
        return job_fail(job_id, {"type": "ResultNotSerializable", "message": "the task returned a non-JSON value"})
    if size > RESULT_MAX_BYTES:
        message = f"the result is {size} bytes; the limit is {RESULT_MAX_BYTES}"
        return job_fail(job_id, {"type": "ResultTooLarge", "message": message})
    with transaction.atomic():
        # An earlier attempt's error no longer describes the job; the history keeps it.
        job = transition(
            job_id, [JobState.RUNNING], state=JobState.SUCCEEDED, result=result, error=None, ended_at=timezone.now()
        )
        if job is not None:
            release_dependents(job)
    return job


def job_fail(job_id: str, error: dict[str, str], *, retry: bool = True) -> Job | None:
    """Record a failed run: schedule the next attempt if the policy allows, else fail for good."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != JobState.RUNNING:
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
        job.save(update_fields=["error", "ended_at", "state", "run_at", "dispatched"])
        transaction.on_commit(lambda: announce(job))
    if job.state == JobState.FAILED:
        cancel_dependents(job, reason=f"job {job.pk} failed")
    return job


def job_lost(job_id: str, detail: str) -> Job | None:
    """A worker lost the job (its process died): fail or retry it like any failure."""
    return job_fail(job_id, {"type": "WorkerLost", "message": detail[:1000]})


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
