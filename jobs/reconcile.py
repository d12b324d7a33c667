"""Reconciliation: make Redis agree with the database after Redis lost state or a worker died.

- queued jobs the database says were pushed but that no RQ queue holds any more (Redis lost
  them, or a worker popped them and died before starting them) are pushed again (a job still
  only starts from `queued`, so it cannot run twice);
- running jobs whose worker stopped vouching for itself are failed, or retried by their policy;
- active schedules whose next fire is missing from rq-scheduler are re-armed;
- idempotency records past their 24 h window are deleted.
Run by the scheduler process every few seconds and by `manage.py reconcile`.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from audit.context import attribute
from jobs import dispatch, lifecycle
from jobs.alerts import job_failed
from jobs.idempotency import idempotency_purge
from jobs.models import Job, JobState
from jobs.schedules import schedule_rearm_missing
from jobs.worker import ALIVE_KEY

logger = logging.getLogger(__name__)

BATCH = 1000


def grace() -> timedelta:
    """How old a push or a start must be before reconcile touches its job (RECONCILE_GRACE_SECONDS):
    leaves a fresh push and a just-started job alone."""
    return timedelta(seconds=settings.RECONCILE_GRACE_SECONDS)


def redispatch_lost() -> int:
    """Push again the queued jobs that no RQ queue holds any more; returns how many."""
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
    with dispatch.redis_connection().pipeline(transaction=False) as pipe:
        for job in jobs:
            pipe.lpos(dispatch.queue(job.queue).key, str(job.pk))
        positions = pipe.execute()
    # Pushing again is safe: a job only starts from `queued`.
    lost = [job for job, position in zip(jobs, positions, strict=True) if position is None]
    for job in lost:
        # A save, not an UPDATE, so the audit trail shows the reason.
        with attribute(reason="reconcile: no queue holds the job; dispatching it again"):
            lifecycle.transition(job.pk, [JobState.QUEUED], dispatched=False)
        logger.warning("job.redispatch", extra={"job_id": str(job.pk)})
    if lost:
        dispatch.dispatch_due(grace=timedelta(0))
    return len(lost)


def fail_orphans() -> int:
    """Fail (or retry) running jobs whose worker is gone; returns how many."""
    jobs = list(Job.objects.filter(state=JobState.RUNNING, started_at__lt=timezone.now() - grace())[:BATCH])
    if not jobs:
        return 0
    with dispatch.redis_connection().pipeline(transaction=False) as pipe:
        for job in jobs:
            pipe.exists(ALIVE_KEY.format(job.worker))
        alive = pipe.execute()
    count = 0
    for job, is_alive in zip(jobs, alive, strict=True):
        if is_alive:
            continue
        with attribute(reason=f"reconcile: worker {job.worker} is gone"):
            lost = lifecycle.job_lost(str(job.pk), f"worker {job.worker} stopped while running the job")
        if lost is not None:
            count += 1
            logger.warning("job.orphaned", extra={"job_id": str(job.pk), "worker": job.worker, "state": lost.state})
            if lost.state == JobState.FAILED:
                job_failed(lost)
    return count


def reconcile() -> dict[str, int]:
    """Run every reconciliation step once, attributed to the system; returns what each did."""
    with attribute(channel="system", reason="reconcile"):
        done = {
            "redispatched": redispatch_lost(),
            "orphans_failed": fail_orphans(),
            "schedules_rearmed": schedule_rearm_missing(),
            "idempotency_purged": idempotency_purge(),
        }
    if any(done.values()):
        logger.info("reconcile.done", extra=done)
    return done
