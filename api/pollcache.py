"""What a poll's 304 is made of, kept per web process while the job does not change.

A poll that names an ETag (`GET /jobs/{id}/` with If-None-Match) is answered from a job's
(version, state, submitter) as `jobs.selectors.job_validator` reads them for the asking user.
This cache keeps those answers so that polling an unchanged job costs no database round trip.
It is only trusted while the process's change-notice subscription (api.notices) is live: every
change to a job publishes a notice after its commit, each notice drops its job's entries before
any waiter wakes, a broken subscription drops them all, and no entry is older than MAX_AGE (the
bound on a change whose notice was lost). A read that a notice overtook is not stored: `begin()`
hands out the generation that `store()` checks.

Served without api.notices (plain WSGI, the test client), the cache is never live and every poll
reads the database.
"""

import threading
import time
from collections import OrderedDict
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User

from jobs.selectors import job_validator

MAX_AGE = 10.0  # seconds
MAX_JOBS = 20_000  # jobs kept per process, least recently polled dropped first
MAX_DROPS = 4_096  # recent notices remembered, for reads still in flight

Parts = tuple[int, str, str]  # (version, state, submitter's username)
Key = tuple[Any, bool]  # (user id, staff): whose answer it is


class PollCache:
    """The validators of recently polled jobs, for the request threads of one web process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, dict[Key, tuple[float, Parts]]] = OrderedDict()
        self._dropped: OrderedDict[str, int] = OrderedDict()  # job id → generation of its last notice
        self._generation = 0
        self._floor = 0  # a read begun before this generation may have missed a forgotten notice
        self._live = False

    def get(self, job_id: str, key: Key) -> Parts | None:
        with self._lock:
            entries = self._jobs.get(job_id)
            entry = entries.get(key) if entries else None
            if entry is None or not self._live:
                return None
            if time.monotonic() - entry[0] > MAX_AGE:
                del entries[key]  # type: ignore[union-attr]
                return None
            self._jobs.move_to_end(job_id)
            return entry[1]

    def begin(self) -> int:
        """The generation to hand `store()` for a read that starts now."""
        return self._generation

    def store(self, job_id: str, key: Key, parts: Parts, generation: int) -> None:
        """Keep `parts`, read after `begin()` returned `generation`, unless a notice of the job
        (or a break of the subscription) came since."""
        with self._lock:
            if not self._live or generation < self._floor or self._dropped.get(job_id, -1) > generation:
                return
            self._jobs.setdefault(job_id, {})[key] = (time.monotonic(), parts)
            self._jobs.move_to_end(job_id)
            if len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)

    def drop(self, job_id: str) -> None:
        """Job `job_id` changed (its notice arrived)."""
        with self._lock:
            self._generation += 1
            self._jobs.pop(job_id, None)
            self._dropped[job_id] = self._generation
            self._dropped.move_to_end(job_id)
            if len(self._dropped) > MAX_DROPS:
                _, forgotten = self._dropped.popitem(last=False)
                self._floor = forgotten

    def set_live(self, live: bool) -> None:
        """The subscription was confirmed (True) or broke (False): start over either way."""
        with self._lock:
            self._generation += 1
            self._floor = self._generation
            self._jobs.clear()
            self._dropped.clear()
            self._live = live


poll_cache = PollCache()


def poll_validator(*, user: User, job_id: UUID | str) -> Parts:
    """`job_validator(user=user, job_id=job_id)`, from the cache while the job has not changed."""
    job, key = str(UUID(str(job_id))), (user.pk, user.is_staff)  # as notices spell it
    parts = poll_cache.get(job, key)
    if parts is None:
        generation = poll_cache.begin()
        parts = job_validator(user=user, job_id=job_id)
        poll_cache.store(job, key, parts, generation)
    return parts
