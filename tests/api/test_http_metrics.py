"""HTTP request metrics: summed per process, added to Redis once per interval and at exit
(jobs.metrics.SUMS, which a worker's job metrics share)."""

import os
import subprocess
import sys

import pytest

from api.middleware import record
from jobs import metrics
from jobs.metrics import PREFIX, SUMS, MetricSums
from tests.helpers import subprocess_env, wait_until

pytestmark = pytest.mark.django_db


def _requests(redis, status: str = "2xx") -> int:  # type: ignore[no-untyped-def]
    return int(redis.hget(PREFIX + "http_requests", f"GET|{status}") or 0)


def _observed(redis) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    durations = redis.hgetall(PREFIX + "http_duration")
    return int(durations.get(b"GET|inf", 0)), float(durations.get(b"GET|sum", 0))


def test_requests_are_summed_in_the_process_and_added_in_one_flush(api, redis, settings):
    settings.METRICS_FLUSH_SECONDS = 3600
    SUMS.flush()
    redis.flushdb()

    for _ in range(5):
        assert api.get("/api/v1/me/").status_code == 200
    assert api.get("/api/v1/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404

    assert _requests(redis) == 0  # nothing sent per request
    SUMS.flush()
    assert _requests(redis) == 5 and _requests(redis, "4xx") == 1
    count, seconds = _observed(redis)
    assert count == 6 and seconds > 0
    SUMS.flush()  # nothing left: a second flush adds nothing
    assert _requests(redis) == 5


def test_every_request_is_sent_at_once_when_the_interval_is_zero(api, redis, settings):
    settings.METRICS_FLUSH_SECONDS = 0

    api.get("/api/v1/me/")

    assert _requests(redis) == 1


def test_a_thread_flushes_what_an_idle_process_holds(redis, settings):
    settings.METRICS_FLUSH_SECONDS = 0.1
    sums = MetricSums()

    with sums.adding() as adding:
        metrics.count(adding, "http_requests", ("GET", "2xx"))
    wait_until(lambda: _requests(redis) == 1, timeout=5)


def test_processes_add_to_the_same_numbers_and_flush_at_exit(redis, settings):
    settings.METRICS_FLUSH_SECONDS = 3600
    SUMS.flush()
    redis.flushdb()
    record("GET", 200, 0.5)
    SUMS.flush()
    other_process = (
        "import django; django.setup(); from api.middleware import record; "
        "[record('GET', 200, 0.25) for _ in range(3)]"  # and exit without flushing
    )
    # The interval under its name before job metrics were summed too, which still works.
    env = {**subprocess_env(), "HTTP_METRICS_FLUSH_SECONDS": "3600", "DJANGO_SETTINGS_MODULE": "config.settings"}

    subprocess.run([sys.executable, "-c", other_process], env=env, check=True, timeout=60)

    assert _requests(redis) == 4
    assert _observed(redis) == (4, 1.25)


def test_a_forked_child_starts_with_none_of_its_parent_s_sums(redis, settings):
    """A work horse must not add what its worker summed but had not flushed yet (it would be
    counted twice)."""
    settings.METRICS_FLUSH_SECONDS = 3600
    SUMS.flush()
    redis.flushdb()
    record("GET", 200, 0.5)
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        SUMS.flush()
        os._exit(0)
    os.waitpid(child, 0)
    assert _requests(redis) == 0
    SUMS.flush()
    assert _requests(redis) == 1
