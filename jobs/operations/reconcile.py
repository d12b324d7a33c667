"""Reconciliation: make Redis agree with the database after Redis lost state or a worker died.

- queued jobs the database says were pushed but that no RQ queue holds any more are pushed
  again: at once when Redis lost them, and when a worker took them and died before claiming
  them, once a second pass finds them still missing (a job runs only under a claim, one per
  attempt, so it cannot run twice);
- queued jobs a worker claimed (and so started running: a short run writes nothing before its
  end) whose worker is gone are failed with WorkerLost, or retried by their policy, and their
  dependents released or canceled as for any end; never pushed again blindly;
- running jobs whose worker stopped vouching for itself are failed, or retried by their policy;
- active schedules whose next fire is missing from rq-scheduler are re-armed.
(Expired idempotency records are deleted by the retention pass, jobs.operations.retention.)
Run by the scheduler process every few seconds and by `manage.py reconcile`.
"""

import logging
import time
from datetime import timedelta
from itertools import batched

from django.conf import settings
from django.utils import timezone

from audit.context import attribute
from core.redis import redis_connection
from jobs.alerts import job_failed
from jobs.engine import dispatch, lifecycle
from jobs.engine.entrypoints import JsonJob
from jobs.engine.worker import ALIVE_KEY
from jobs.models import Job, JobState
from jobs.services.schedules import schedule_rearm_missing

logger = logging.getLogger(__name__)

# A worker is between its pop and its start for milliseconds; the scheduler reconciles every 5 s.
CONFIRM_AFTER = timedelta(seconds=3)
MISSING_KEY = "conveyor:reconcile:missing:{}:{}"  # job id, push time; value: when first missed
MISSING_TTL = 24 * 3600  # seconds; only bounds what a job that then started leaves behind
BATCH = 1000


def grace() -> timedelta:
    """How old a push or a start must be before reconcile touches its job (RECONCILE_GRACE_SECONDS):
    leaves a fresh push and a just-started job alone."""
    return timedelta(seconds=settings.RECONCILE_GRACE_SECONDS)


def _missing_key(job: Job) -> str:
    # Per push: a retry of the same row is pushed again and judged afresh.
    pushed = job.enqueued_at.timestamp() if job.enqueued_at else 0.0
    return MISSING_KEY.format(job.pk, pushed)


def redispatch_lost() -> int:
    """Push again the queued jobs that no RQ queue holds any more, and end as lost those a dead
    worker claimed; returns how many jobs it did either to.

    A job whose RQ hash is gone (Redis lost it) is pushed at once. A job whose hash is there but
    that no queue's list holds was taken by a worker: it is pushed again only if a pass at least
    CONFIRM_AFTER after the first that missed it still finds it queued and missing, so a live
    worker between its pop and its start is left alone and a dead one's job is not lost.
    """
    jobs = list(
        Job.objects.filter(state=JobState.QUEUED, dispatched=True, enqueued_at__lt=timezone.now() - grace()).order_by(
            "enqueued_at"
        )[:BATCH]
    )
    if not jobs:
        return 0
    # Waiting means in the queue's list: a worker on several queues pops with BLPOP and only
    # then marks the job started, so one that dies in between leaves the hash saying `queued`.
    # The oldest jobs sit at the head of their lists, where LPOS finds them at once.
    connection = redis_connection()
    with connection.pipeline(transaction=False) as pipe:
        for job in jobs:
            pipe.lpos(dispatch.queue(job.queue).key, str(job.pk))
            pipe.exists(JsonJob.key_for(str(job.pk)))
            pipe.get(_missing_key(job))
            pipe.get(lifecycle.CLAIM_KEY.format(job.pk, job.attempt + 1))
        replies = pipe.execute()
    now = time.time()
    lost, missing, claimed = [], [], []
    for job, (position, hashed, missed_at, claimer) in zip(jobs, batched(replies, 4, strict=True), strict=True):
        if claimer is not None:  # a worker runs it (or ran it and died): never push it again
            claimed.append(lifecycle.claimed_run(job, claimer.decode() if isinstance(claimer, bytes) else claimer))
            continue
        if position is not None:
            continue
        # Between its BLPOP and marking the job started a live worker holds the job in no list
        # and records nothing about it in Redis; only a later pass can tell it from a dead one.
        if not hashed or (missed_at is not None and now - float(missed_at) >= CONFIRM_AFTER.total_seconds()):
            lost.append(job)
        elif missed_at is None:
            missing.append(job)
    if missing or lost:
        with connection.pipeline(transaction=False) as pipe:
            for job in missing:
                pipe.set(_missing_key(job), now, nx=True, ex=MISSING_TTL)
            for job in lost:
                pipe.delete(_missing_key(job))
            pipe.execute()
    # Pushing again is safe: a job only starts from `queued`.
    for job in lost:
        # A save, not an UPDATE, so the audit trail shows the reason.
        with attribute(reason="reconcile: no queue holds the job; dispatching it again"):
            lifecycle.transition(job.pk, [JobState.QUEUED], dispatched=False)
        logger.warning("job.redispatch", extra={"job_id": str(job.pk)})
    if lost:
        dispatch.dispatch_due(grace=timedelta(0))
    return len(lost) + _end_dead_claims(claimed)


def _end_dead_claims(claimed: list[lifecycle.Run]) -> int:
    """End the claimed runs whose worker stopped vouching for itself, as lost; returns how many."""
    gone = _gone([run.worker for run in claimed])
    return sum(_end_lost(run.job_id, run, run.worker) for run, is_gone in zip(claimed, gone, strict=True) if is_gone)


def _gone(workers: list[str]) -> list[bool]:
    """Whether each worker stopped vouching for itself (its alive key expired), in one round trip."""
    if not workers:
        return []
    with redis_connection().pipeline(transaction=False) as pipe:
        for worker in workers:
            pipe.exists(ALIVE_KEY.format(worker))
        return [not alive for alive in pipe.execute()]


def _end_lost(job_id: str, run: lifecycle.Run | None, worker: str) -> bool:
    with attribute(reason=f"reconcile: worker {worker} is gone"):
        lost = lifecycle.job_lost(job_id, f"worker {worker} stopped while running the job", run=run)
    if lost is None:
        return False
    logger.warning("job.orphaned", extra={"job_id": job_id, "worker": worker, "state": lost.state})
    if lost.state == JobState.FAILED:
        job_failed(lost)
    return True


def fail_orphans() -> int:
    """Fail (or retry) running jobs whose worker is gone; returns how many."""
    jobs = list(Job.objects.filter(state=JobState.RUNNING, started_at__lt=timezone.now() - grace())[:BATCH])
    gone = _gone([job.worker for job in jobs])
    return sum(_end_lost(str(job.pk), None, job.worker) for job, is_gone in zip(jobs, gone, strict=True) if is_gone)


def reconcile() -> dict[str, int]:
    """Run every reconciliation step once, attributed to the system; returns what each did."""
    with attribute(channel="system", reason="reconcile"):
        done = {
            "redispatched": redispatch_lost(),
            "orphans_failed": fail_orphans(),
            "schedules_rearmed": schedule_rearm_missing(),
        }
    if any(done.values()):
        logger.info("reconcile.done", extra=done)
    return done
