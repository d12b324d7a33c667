"""HTTP request metrics: summed per process, added to Redis once per interval and at exit."""

import subprocess
import sys

import pytest

from api.middleware import SUMS, MetricSums
from jobs.metrics import PREFIX
from tests.helpers import subprocess_env, wait_until

pytestmark = pytest.mark.django_db


def _requests(redis, status: str = "2xx") -> int:  # type: ignore[no-untyped-def]
    return int(redis.hget(PREFIX + "http_requests", f"GET|{status}") or 0)


def _observed(redis) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    durations = redis.hgetall(PREFIX + "http_duration")
    return int(durations.get(b"GET|inf", 0)), float(durations.get(b"GET|sum", 0))


def test_requests_are_summed_in_the_process_and_added_in_one_flush(api, redis, settings):
    settings.HTTP_METRICS_FLUSH_SECONDS = 3600
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
    settings.HTTP_METRICS_FLUSH_SECONDS = 0

    api.get("/api/v1/me/")

    assert _requests(redis) == 1


def test_a_thread_flushes_what_an_idle_process_holds(redis, settings):
    settings.HTTP_METRICS_FLUSH_SECONDS = 0.1
    sums = MetricSums()

    sums.record("GET", 200, 0.01)
    wait_until(lambda: _requests(redis) == 1, timeout=5)


def test_processes_add_to_the_same_numbers_and_flush_at_exit(redis, settings):
    settings.HTTP_METRICS_FLUSH_SECONDS = 3600
    SUMS.flush()
    redis.flushdb()
    SUMS.record("GET", 200, 0.5)
    SUMS.flush()
    other_process = (
        "import django; django.setup(); from api.middleware import SUMS; "
        "[SUMS.record('GET', 200, 0.25) for _ in range(3)]"  # and exit without flushing
    )
    env = {**subprocess_env(), "HTTP_METRICS_FLUSH_SECONDS": "3600", "DJANGO_SETTINGS_MODULE": "config.settings"}

    subprocess.run([sys.executable, "-c", other_process], env=env, check=True, timeout=60)

    assert _requests(redis) == 4
    assert _observed(redis) == (4, 1.25)
