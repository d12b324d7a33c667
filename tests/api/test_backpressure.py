"""Back-pressure through the API: per-user submit rate and waiting jobs (429), full queues and
tasks that need a worker (503), their counters, and the alert for a queue nobody serves."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rq import Worker

from core.redis import redis_connection
from jobs import registry
from jobs.engine import dispatch
from jobs.engine.entrypoints import RUN_JOB
from jobs.engine.monitoring import unserved_queues
from jobs.models import Job
from jobs.services import admission
from jobs.services.admission import waiting_count
from tests.helpers import assert_problem, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

NOOP = {"task": "demo.sleep", "kwargs": {"seconds": 0}}


def submit(client, body=NOOP):
    return client.post("/api/v1/jobs/", body, format="json")


def batch(client, size):
    return client.post("/api/v1/jobs/batch/", {"jobs": [NOOP] * size}, format="json")


def in_redis(name="default"):
    return dispatch.queue(name).count


def assert_refused(response, status, code):
    body = assert_problem(response, status)
    assert body["type"] == f"urn:conveyor:problem:{code}"
    assert 1 <= int(response["Retry-After"]) <= 60
    return body


@pytest.fixture
def needs_worker(monkeypatch):
    task = registry.Task("tests.live", lambda: None, "Useless late", {"type": "object"}, needs_worker=True)
    monkeypatch.setitem(registry._tasks, "tests.live", task)


def test_the_submit_rate_is_limited_per_user_and_a_batch_counts_as_its_size(api, other_api, settings):
    settings.SUBMIT_RATE_PER_MINUTE = 3
    assert submit(api).status_code == 202
    assert batch(api, 2).status_code == 202
    assert_refused(submit(api), 429, "rate_limited")
    assert_refused(batch(api, 1), 429, "rate_limited")
    assert Job.objects.count() == 3 and in_redis() == 3  # nothing stored, nothing queued
    assert submit(other_api).status_code == 202  # another user has a minute of their own
    too_big = assert_problem(batch(other_api, 4), 400)  # could never pass: not a 429
    assert too_big["errors"][0]["code"] == "over_rate_limit"


def test_refused_submits_do_not_use_up_the_rate(api, settings):
    settings.SUBMIT_RATE_PER_MINUTE = 2
    settings.MAX_WAITING_JOBS_PER_USER = 1
    assert submit(api).status_code == 202
    assert_refused(submit(api), 429, "too_many_waiting")
    run_worker()
    assert submit(api).status_code == 202  # the refused one did not count


def test_waiting_jobs_are_limited_per_user(api, other_api, settings):
    settings.MAX_WAITING_JOBS_PER_USER = 2
    assert batch(api, 2).status_code == 202
    body = assert_refused(submit(api), 429, "too_many_waiting")
    assert "2 jobs waiting" in body["detail"]
    assert_refused(api.post("/api/v1/jobs/", {**NOOP, "delay_seconds": 600}, format="json"), 429, "too_many_waiting")
    assert Job.objects.count() == 2 and in_redis() == 2
    assert submit(other_api).status_code == 202
    run_worker()  # they ran: no longer waiting
    assert batch(api, 2).status_code == 202


def test_staff_are_exempt_from_the_per_user_limits(staff_api, settings):
    settings.SUBMIT_RATE_PER_MINUTE = 1
    settings.MAX_WAITING_JOBS_PER_USER = 1
    assert batch(staff_api, 3).status_code == 202


def test_a_full_queue_refuses_submits_to_it_with_503(api, staff_api, settings):
    settings.QUEUE_MAX_DEPTHS = {**settings.QUEUE_MAX_DEPTHS, "default": 2}
    assert batch(api, 2).status_code == 202
    body = assert_refused(submit(api), 503, "queue_full")
    assert "'default' is full" in body["detail"]
    assert_refused(submit(staff_api), 503, "queue_full")  # staff too: it protects Redis
    assert submit(api, {**NOOP, "queue": "low"}).status_code == 202
    assert Job.objects.count() == 3 and in_redis() == 2
    queues = {q["name"]: q for q in staff_api.get("/api/v1/queues/").json()}
    assert queues["default"]["max_depth"] == 2 and queues["low"]["max_depth"] == settings.QUEUE_MAX_DEPTH
    run_worker()
    assert submit(api).status_code == 202


def _admission_round_trips(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Record each use of Redis by admission."""
    calls: list[int] = []
    monkeypatch.setattr(admission, "redis_connection", lambda: calls.append(1) or redis_connection())
    return calls


def test_a_staff_submit_skips_the_round_trip_while_its_queue_is_far_below_its_cap(staff_api, monkeypatch):
    calls = _admission_round_trips(monkeypatch)

    assert [submit(staff_api).status_code for _ in range(4)] == [202] * 4

    assert calls == [1]  # the first read the depth; the others trusted it (50,000 cap, 1 job)
    monkeypatch.setattr(admission._Depths, "FRESH_SECONDS", 0)  # once the reading is old: read again
    assert submit(staff_api).status_code == 202 and calls == [1, 1]


def test_a_queue_filled_by_others_behind_a_fresh_reading_still_stops_at_its_cap(staff_api, settings, monkeypatch):
    settings.QUEUE_MAX_DEPTHS = {**settings.QUEUE_MAX_DEPTHS, "default": 6}
    assert submit(staff_api).status_code == 202  # read: 0 waiting, then 1
    dispatch.queue("default").enqueue_call(RUN_JOB, args=("x",))  # another process's three
    dispatch.queue("default").enqueue_call(RUN_JOB, args=("y",))
    dispatch.queue("default").enqueue_call(RUN_JOB, args=("z",))
    calls = _admission_round_trips(monkeypatch)

    assert [submit(staff_api).status_code for _ in range(2)] == [202] * 2  # within half the cap as read
    assert calls == []
    assert_refused(submit(staff_api), 503, "queue_full")  # beyond half: read, and full
    assert in_redis() == 6


def test_a_rate_limited_submit_is_counted_in_redis_every_time(api, monkeypatch):
    calls = _admission_round_trips(monkeypatch)

    assert [submit(api).status_code for _ in range(3)] == [202] * 3

    assert calls == [1, 1, 1]


@pytest.mark.usefixtures("needs_worker")
def test_a_task_that_needs_a_worker_is_refused_while_none_listens(api):
    tasks = {t["name"]: t for t in api.get("/api/v1/tasks/").json()}
    assert tasks["tests.live"]["needs_worker"] is True and tasks["demo.sleep"]["needs_worker"] is False
    body = assert_refused(submit(api, {"task": "tests.live"}), 503, "no_worker")
    assert "no worker is listening on queue 'default'" in body["detail"]
    assert Job.objects.count() == 0
    assert submit(api).status_code == 202  # any other task's job waits for a worker

    connection = redis_connection()
    Worker([dispatch.queue("high")], connection=connection, name="high-only").register_birth()
    assert_refused(submit(api, {"task": "tests.live"}), 503, "no_worker")
    Worker([dispatch.queue("default")], connection=connection, name="default").register_birth()
    assert submit(api, {"task": "tests.live"}).status_code == 202


@pytest.mark.usefixtures("needs_worker")
def test_refusals_are_counted_by_reason_in_metrics(api, staff_api, settings):
    settings.SUBMIT_RATE_PER_MINUTE = 1
    submit(api)
    submit(api)
    batch(api, 1)
    submit(api, {"task": "tests.live"})
    text = staff_api.get("/metrics").content.decode()
    assert 'conveyor_jobs_refused_total{reason="rate"} 2.0' in text
    assert 'conveyor_jobs_refused_total{reason="no_worker"} 1.0' in text


def test_admins_are_told_once_when_a_queue_waits_five_minutes_without_a_worker(api, settings, mailoutbox):
    settings.ADMINS = ["ops@example.com"]
    assert submit(api).status_code == 202
    now = timezone.now()
    assert unserved_queues(now) == 0  # the episode starts
    assert unserved_queues(now + timedelta(minutes=4)) == 0
    assert unserved_queues(now + timedelta(minutes=5)) == 1
    assert "Queue default has no worker" in mailoutbox[0].subject
    redis_connection().delete("conveyor:alert:queue-unserved:default")  # as 10 real minutes would
    assert unserved_queues(now + timedelta(minutes=30)) == 0  # once per episode, not per ALERT_INTERVAL
    Worker([dispatch.queue("default")], connection=redis_connection(), name="w").register_birth()
    assert unserved_queues(now + timedelta(minutes=31)) == 0
    assert not redis_connection().exists("conveyor:queue-unserved:default")  # the episode ended
    assert len(mailoutbox) == 1


def test_the_waiting_count_stops_at_the_limit(user):
    Job.objects.bulk_create(
        Job(task="demo.sleep", queue="default", submitted_by=user, timeout_seconds=60, state="queued") for _ in range(5)
    )
    assert waiting_count(user, stop_at=3) == 3
    assert waiting_count(user, stop_at=10) == 5
