"""Back-pressure: whether a submit is admitted, or refused with 429/503 before anything is stored.

Checked in this order, cheapest refusal first and nothing counted for a refused submit:
1. the submitter's waiting jobs (scheduled, deferred, queued) plus the submit stay within
   MAX_WAITING_JOBS_PER_USER: a COUNT over the (submitted_by, state) index, stopped at the limit (429);
2. a task declared `needs_worker=True` has a live worker on its queue (503);
3. one Lua script, one round trip: every target queue is below its QUEUE_MAX_DEPTHS cap (503),
   then the submitter's jobs in the current minute plus the submit stay within
   SUBMIT_RATE_PER_MINUTE (429), and only then are they counted.
Staff are exempt from the per-user limits (1 and 3's rate), not from the queue caps or workers.
A batch counts as its size. Refusals are counted in `conveyor_jobs_refused_total{reason}`.

A submit with no rate to count (staff, or no SUBMIT_RATE_PER_MINUTE) skips the round trip of 3
while every target queue is far below its cap: each process keeps each queue's depth as 3 last
read it, and a reading under 0.1 s old that says the queue, with what this process admitted to
it since and this submit, stays within half its cap is trusted. A queue nearer its cap is read
on every submit, so a queue passes its cap only if the processes together fill it from under
half to past it within 0.1 s of their readings (docs/operations.md).
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError
from rq import Queue

from core.errors import Invalid, TooManyRequests, Unavailable
from core.redis import redis_connection
from jobs import metrics
from jobs.engine.monitoring import live_workers
from jobs.models import Job
from jobs.registry import get_task
from jobs.selectors import waiting_count

logger = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60
RATE_KEY = "conveyor:rate:submit:{}"  # + the user's id; counts jobs admitted in the window
# Seconds a client is told to wait when no better figure is known (waiting jobs, a full queue,
# no worker): long enough not to hammer, short enough to notice recovery.
RETRY_LATER_SECONDS = 30

# KEYS: the rate key, then each target queue's RQ list. ARGV: jobs to admit, rate limit (0 =
# none), window seconds, then each queue's cap (0 = none). Returns {0} (admitted), {1, ttl}
# (over the rate) or {2, index of the full queue, its length}; admitted: {0, each queue's length
# (-1 where it has no cap)}.
_ADMIT = """
local depths = {0}
for i = 2, #KEYS do
  local cap = tonumber(ARGV[i + 2])
  local depth = -1
  if cap > 0 then
    depth = redis.call('LLEN', KEYS[i])
    if depth >= cap then return {2, i - 1, depth} end
  end
  depths[i] = depth
end
local amount, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
if limit > 0 then
  local used = tonumber(redis.call('GET', KEYS[1]) or '0')
  if used + amount > limit then
    local ttl = redis.call('TTL', KEYS[1])
    if ttl < 1 then ttl = tonumber(ARGV[3]) end
    return {1, ttl}
  end
  if redis.call('INCRBY', KEYS[1], amount) == amount then
    redis.call('EXPIRE', KEYS[1], ARGV[3])
  end
end
return depths
"""


def admit(*, jobs: Iterable[Job], actor: Any) -> None:
    """Admit these unsaved jobs of `actor`, or raise TooManyRequests / Unavailable (and count
    the refusal); a batch larger than the rate limit raises Invalid (it could never pass)."""
    jobs = list(jobs)
    limited = not actor.is_staff
    if limited and (limit := settings.MAX_WAITING_JOBS_PER_USER):
        waiting = waiting_count(actor, stop_at=limit)
        if waiting + len(jobs) > limit:
            _refuse("too_many_waiting", len(jobs))
            raise TooManyRequests(
                f"you have {waiting} jobs waiting; at most {limit} may wait at once (MAX_WAITING_JOBS_PER_USER)",
                retry_after=RETRY_LATER_SECONDS,
                code="too_many_waiting",
            )
    by_queue = Counter(job.queue for job in jobs)
    for name in sorted({job.queue for job in jobs if get_task(job.task).needs_worker}):
        if not _has_worker(name):
            _refuse("no_worker", len(jobs))
            raise Unavailable(
                f"no worker is listening on queue {name!r}, and this task needs one to run now",
                retry_after=RETRY_LATER_SECONDS,
                code="no_worker",
            )
    rate = settings.SUBMIT_RATE_PER_MINUTE if limited else 0
    if rate and len(jobs) > rate:
        raise Invalid(
            f"a batch of {len(jobs)} is more than the {rate} jobs you may submit per minute: split it",
            pointer="/jobs",
            code="over_rate_limit",
        )
    names = sorted(by_queue)
    if not rate and _DEPTHS.far_below_caps(by_queue):
        return
    try:
        answer = redis_connection().eval(
            _ADMIT,
            1 + len(names),
            RATE_KEY.format(actor.pk),
            *(Queue.redis_queue_namespace_prefix + name for name in names),
            len(jobs),
            rate,
            RATE_WINDOW_SECONDS,
            *(_cap(name) for name in names),
        )
    except RedisError as exc:
        # Redis down: the submit is stored and pushed when it is back (dispatch), as before.
        logger.warning("job.admission_unchecked", extra={"error": str(exc)})
        return
    if answer[0] == 1:
        _refuse("rate", len(jobs))
        raise TooManyRequests(
            f"at most {rate} jobs per minute may be submitted (SUBMIT_RATE_PER_MINUTE)",
            retry_after=int(answer[1]),
            code="rate_limited",
        )
    if answer[0] == 2:
        name = names[int(answer[1]) - 1]
        _refuse("queue_full", len(jobs))
        raise Unavailable(
            f"queue {name!r} is full ({int(answer[2])} jobs waiting); try again later",
            retry_after=RETRY_LATER_SECONDS,
            code="queue_full",
        )
    _DEPTHS.read({name: (int(depth), by_queue[name]) for name, depth in zip(names, answer[1:], strict=True)})


def _cap(name: str) -> int:
    return int(settings.QUEUE_MAX_DEPTHS.get(name, settings.QUEUE_MAX_DEPTH))


class _Depths:
    """Each queue's depth as this process last read it, and the jobs it admitted there since."""

    FRESH_SECONDS = 0.1

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readings: dict[str, tuple[float, int]] = {}  # name: (when read, depth + admitted since)

    def read(self, depths: dict[str, tuple[int, int]]) -> None:
        """Note the depths the admission script read, and the jobs it then admitted."""
        now = time.monotonic()
        with self._lock:
            self._readings |= {name: (now, depth + admitted) for name, (depth, admitted) in depths.items()}

    def far_below_caps(self, amounts: Counter[str]) -> bool:
        """Whether each queue with a cap is known to stay within half of it with `amounts` more;
        if so, they are counted as admitted."""
        now = time.monotonic()
        with self._lock:
            for name, amount in amounts.items():
                cap = _cap(name)
                when, depth = self._readings.get(name, (-self.FRESH_SECONDS, cap))
                if cap and (now - when >= self.FRESH_SECONDS or 2 * (depth + amount) > cap):
                    return False
            for name, amount in amounts.items():
                when, depth = self._readings.get(name, (now, 0))
                self._readings[name] = (when, depth + amount)
        return True

    def clear(self) -> None:
        with self._lock:
            self._readings.clear()


_DEPTHS = _Depths()


def _has_worker(queue_name: str) -> bool:
    try:
        return any(queue_name in worker.queue_names() for worker in live_workers())
    except RedisError:
        return True  # cannot tell: the job waits, as any other would


def _refuse(reason: str, amount: int) -> None:
    logger.info("job.refused", extra={"reason": reason, "jobs": amount})
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            metrics.count(pipe, "jobs_refused", (reason,), amount)
            pipe.execute()
    except RedisError:
        pass  # the refusal stands; only its count is lost
