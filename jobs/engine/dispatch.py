"""Pushing job rows to RQ: right after commit, and in the periodic pass for what is due or missed."""

import functools
import logging
import zlib
from collections import defaultdict
from datetime import timedelta
from typing import Any

import django_rq
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer
from rq.utils import now, utcformat

from core.notices import notify
from core.redis import redis_connection
from jobs import metrics
from jobs.engine.entrypoints import RUN_JOB
from jobs.models import Job, JobState

logger = logging.getLogger(__name__)

# A fresh row is left to its request's own push for this long before the pass takes it over.
FAST_PATH_GRACE = timedelta(seconds=5)
# Results live in the database: RQ deletes a finished job's hash at once and keeps no result
# nor finished registry. Failures stay a day in RQ's failed registry (a horse killed, a refused
# planted job): rare, and what an operator looks at in django-rq's dashboard.
RQ_RESULT_TTL = 0
RQ_FAILURE_TTL = 24 * 3600


@functools.cache
def queue(name: str) -> Queue:
    """Return the JSON-serialized RQ queue `name` on the shared connection."""
    return django_rq.get_queue(name, connection=redis_connection())


# KEYS: the queue's list, RQ's set of queues, then each job's hash. ARGV: how many fields the
# hashes share, those fields and their values, then each job's id, data, description and timeout.
# Writes what Queue.enqueue_many writes for jobs without dependencies (the shared fields come from
# RQ's own Job.to_dict), at a fifth of its cost for a batch (bench/analysis.md, P2).
_PUSH = """
local shared = {}
for i = 2, 1 + 2 * tonumber(ARGV[1]) do shared[#shared + 1] = ARGV[i] end
local first = 2 + 2 * tonumber(ARGV[1])
redis.call('SADD', KEYS[2], KEYS[1])
for j = 3, #KEYS do
  local at = first + 4 * (j - 3)
  redis.call('HSET', KEYS[j], 'data', ARGV[at + 1], 'description', ARGV[at + 2],
             'timeout', ARGV[at + 3], unpack(shared))
  redis.call('RPUSH', KEYS[1], ARGV[at])
end
return #KEYS - 2
"""
_OWN_FIELDS = ("data", "description", "timeout")
_MOMENTS = ("created_at", "enqueued_at")


def _enqueue(pipe: Pipeline, jobs: list[Job]) -> None:
    """Add `jobs` to their RQ queues on `pipe`, in order, one script call per queue. The RQ job id
    is the row's id, and the only thing RQ learns is that id."""
    by_queue: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_queue[job.queue].append(job)
    moment = utcformat(now())  # RQ's created_at and enqueued_at of this push
    for name, members in by_queue.items():
        rq_queue = queue(name)
        shared = _shared_fields(name) | dict.fromkeys(_MOMENTS, moment)
        pipe.eval(
            _PUSH,
            2 + len(members),
            rq_queue.key,
            rq_queue.redis_queues_keys,
            *(rq_queue.job_class.key_for(str(job.id)) for job in members),
            len(shared),
            *(part for item in shared.items() for part in item),
            *(part for job in members for part in _own_fields(job)),
        )


@functools.cache
def _shared_fields(name: str) -> dict[str, Any]:
    """The hash fields every queued RQ job of queue `name` has, as RQ itself writes them (built
    once per queue: an RQ Job made, prepared and turned into a dict cost a submit ~0.2 ms); the
    instants in `_MOMENTS` are each push's own."""
    rq_queue = queue(name)
    rq_job = rq_queue.create_job(RUN_JOB, result_ttl=RQ_RESULT_TTL, failure_ttl=RQ_FAILURE_TTL)
    rq_queue._prepare_for_queue(rq_job)  # what enqueueing sets: origin, enqueued_at, status, timeout
    return {key: value for key, value in rq_job.to_dict().items() if key not in _OWN_FIELDS}


def _own_fields(job: Job) -> tuple[str, bytes, str, int]:
    """A job's id and its hash's own fields: what it calls (RQ's `data`), its description and timeout."""
    job_id = str(job.id)
    return job_id, _compressed(JSONSerializer.dumps((RUN_JOB, None, [job_id], {}))), job.task, job.timeout_seconds


def _compressed(data: bytes) -> bytes:
    """`data` as RQ stores it (zlib; RQ reads it with zlib.decompress). With the smallest window
    and memory level: for ~80 bytes, zlib.compress spends ~50 us setting up its 256 KiB of
    state, this ~7 us (bench/analysis.md, P2)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 9, 1)
    return compressor.compress(data) + compressor.flush()


def push(jobs: list[Job], *, submitted: bool = False) -> bool:
    """Push `jobs` in one round trip (with submit counts when `submitted`); return False if
    Redis refused, in which case nothing was pushed. The callers announce the jobs once their
    rows say so."""
    try:
        with redis_connection().pipeline() as pipe:
            _enqueue(pipe, [job for job in jobs if job.state == JobState.QUEUED])
            if submitted:
                metrics.record_submitted(pipe, jobs)
            pipe.execute()
    except RedisError as exc:
        logger.warning("job.push_failed", extra={"jobs": len(jobs), "error": str(exc)})
        return False
    return True


def dispatch_now(jobs: list[Job], *, submitted: bool = False) -> None:
    """After commit: push the queued ones among `jobs`. A fresh submit's queued rows were
    written already marked pushed (`dispatched`, `enqueued_at`: jobs.services.jobs._save), so the
    usual case costs no statement here; rows queued otherwise (released dependents) are marked
    after the push. If Redis refuses, the rows marked ahead are marked back, and the dispatch
    pass pushes them later; a process that dies before its push leaves a marked row that no
    queue holds, which reconcile pushes again. Fresh submits are not announced: no client knows
    their ids before the response; other jobs are, once their rows say what the push did (told
    earlier, a client or a web process's poll cache could read the row before the mark)."""
    ready = [job for job in jobs if job.state == JobState.QUEUED]
    pushed = push(jobs, submitted=submitted)
    changed = [job for job in ready if job.dispatched != pushed]
    if changed:
        enqueued_at = timezone.now() if pushed else None
        Job.objects.filter(pk__in=[job.pk for job in changed]).update(
            dispatched=pushed, enqueued_at=enqueued_at, version=F("version") + 1
        )
        for job in changed:  # what the caller's response shows
            job.dispatched, job.enqueued_at, job.version = pushed, enqueued_at, job.version + 1
    if not submitted:
        notify(job.pk for job in jobs)


def dispatch_due(limit: int = 500, grace: timedelta = FAST_PATH_GRACE) -> int:
    """Push rows that are due but not in RQ: scheduled jobs whose time came, and queued jobs
    whose push failed (Redis was down) or never happened. Returns how many were pushed.

    Rows are locked while pushed (SKIP LOCKED on PostgreSQL), so two passes never push the same
    row; a duplicate push that slips through is harmless because a job only starts from `queued`.
    """
    now = timezone.now()
    due = Q(state=JobState.SCHEDULED, run_at__lte=now) | Q(state=JobState.QUEUED, created_at__lte=now - grace)
    with transaction.atomic():
        jobs = list(Job.objects.select_for_update(skip_locked=True).filter(due, dispatched=False)[:limit])
        if not jobs:
            return 0
        for job in jobs:
            if job.state == JobState.SCHEDULED:
                job.state = JobState.QUEUED
                job.save(update_fields=["state"])
        # Announced after commit: a waiting client must read the new state when told.
        if not push(jobs):
            transaction.set_rollback(True)  # they stay as they were (scheduled, not pushed)
            return 0
        Job.objects.filter(pk__in=[job.pk for job in jobs]).update(
            dispatched=True, enqueued_at=now, version=F("version") + 1
        )
    notify(job.pk for job in jobs)
    logger.info("job.dispatch_pass", extra={"pushed": len(jobs)})
    return len(jobs)
