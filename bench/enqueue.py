"""P10's in-process step: Django's task API `.enqueue()` on Conveyor against `django_rq.enqueue`.

Run inside Conveyor's Django (`manage.py shell -c "from bench.enqueue import main; main()"`, with
`BENCH_ENQUEUE='{"jobs": N, "rounds": R, "username": U}'`); prints one line `BENCH_RESULT <json>`.
Each round times N `.enqueue()` calls of `noop_task` (a `django.tasks` task: a durable, audited
job row each, pushed to Redis after its commit) as user U, then N `django_rq.enqueue(noop, ...)`
(RQ's job hash and queue entry only), then N `enqueue` calls on one queue object that keeps its
Redis connection (what a careful django-rq user writes); jobs/s of each, per round. Nothing runs
the jobs: the bench flushes the Redis db and the rows stay queued.
"""

import json
import os
import time
from collections.abc import Callable
from typing import Any

import django_rq
from django.contrib.auth import get_user_model
from django.tasks import task

from audit.context import attribute

RESULT_PREFIX = "BENCH_RESULT "


def noop(n: int) -> None:
    """What `django_rq.enqueue` names: the same signature, nothing to do."""


@task
def noop_task(n: int) -> None:
    """A `django.tasks` task of the same signature, on the default backend (Conveyor's)."""


def _rate(enqueue: Callable[[int], Any], jobs: int) -> float:
    started = time.perf_counter()
    for n in range(jobs):
        enqueue(n)
    return jobs / (time.perf_counter() - started)


def measure(*, jobs: int, rounds: int, username: str) -> dict[str, Any]:
    """jobs/s of each way to enqueue, per round (after one small warm-up round of each)."""
    user = get_user_model().objects.get(username=username)
    queue = django_rq.get_queue("default")  # one queue object: one connection, kept
    ways: dict[str, Callable[[int], Any]] = {
        "django_tasks": lambda n: noop_task.enqueue(n),
        "django_rq": lambda n: django_rq.enqueue(noop, n),
        "django_rq_shared": lambda n: queue.enqueue(noop, n),
    }
    rates: dict[str, list[float]] = {name: [] for name in ways}
    with attribute(channel="system", user=user, reason="bench P10"):
        for enqueue in ways.values():
            _rate(enqueue, min(20, jobs))
        for _ in range(rounds):
            for name, enqueue in ways.items():
                rates[name].append(round(_rate(enqueue, jobs), 1))
    return {"jobs": jobs, "rounds": rounds, "rates": rates}


def main() -> None:
    spec = json.loads(os.environ["BENCH_ENQUEUE"])
    print(RESULT_PREFIX + json.dumps(measure(**spec)), flush=True)
