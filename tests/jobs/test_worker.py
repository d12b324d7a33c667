"""Conveyor's worker classes against a real Redis."""

import os

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from redis.client import Pipeline

from core.redis import redis_connection
from jobs import registry
from jobs.engine import dispatch, lifecycle
from jobs.engine.dispatch import queue
from jobs.engine.entrypoints import JsonJob
from jobs.engine.worker import ALIVE_KEY, ForkWorker, SimpleWorker
from jobs.models import Job
from tests.helpers import run_worker

pytestmark = pytest.mark.usefixtures("redis")


@pytest.mark.parametrize("worker_class", [SimpleWorker, ForkWorker])
def test_a_heartbeat_is_one_round_trip_and_vouches_for_the_worker(worker_class, monkeypatch):
    connection = redis_connection()
    worker = worker_class([queue("default")], connection=connection)
    round_trips = []
    send = connection.execute_command
    monkeypatch.setattr(connection, "execute_command", lambda *a, **k: round_trips.append(a[0]) or send(*a, **k))
    executed = []
    run = Pipeline.execute
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **k: executed.append(len(self)) or run(self, *a, **k))

    worker.heartbeat()

    assert round_trips == [] and executed == [4]  # RQ's three commands and the alive key, together
    assert connection.hget(worker.key, "last_heartbeat")
    assert 0 < connection.ttl(ALIVE_KEY.format(worker.name)) <= worker.alive_ttl(None)


# --- runs: one change when short, a claim against duplicate pushes, the fork parent's writes ---

SHORT = 60_000  # WORKER_RUNNING_AFTER_MS that makes every run of these tests "short"


def submit(api, body) -> str:
    response = api.post("/api/v1/jobs/", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fork", [False, True], ids=["simple", "fork"])
def test_a_duplicate_push_of_a_job_another_worker_runs_does_not_run_it(api, settings, fork):
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    job_id = submit(api, {"task": "demo.noop"})
    assert lifecycle.job_claim(job_id, worker="elsewhere") is not None  # running there, row still queued
    redis_connection().rpush(queue("default").key, job_id)  # a duplicate push (reconcile, a second dispatcher)
    run_worker(fork=fork)
    job = Job.objects.get(pk=job_id)
    assert job.state == "queued" and job.attempt == 0 and job.history.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fork", [False, True], ids=["simple", "fork"])
def test_a_job_pushed_twice_runs_once_in_one_change(api, settings, monkeypatch, processes, fork):
    """A second worker process pops the duplicate while the first run goes on, the row still
    queued: only the claim keeps it from running the job again. That worker does not know the
    test's task, so a second run would end the job failed (TaskNotRegistered)."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT

    def hold() -> None:
        assert processes.start("rqworker", "--burst", "default").wait(timeout=60) == 0

    monkeypatch.setitem(registry._tasks, "tests.hold", registry.Task("tests.hold", hold, "", {"type": "object"}))
    job_id = submit(api, {"task": "tests.hold"})
    redis_connection().rpush(queue("default").key, job_id)
    run_worker(fork=fork)
    job = Job.objects.get(pk=job_id)
    assert job.state == "succeeded" and job.attempt == 1 and job.started_at <= job.ended_at
    reasons = [row.history_change_reason for row in job.history.order_by("history_id")]
    assert reasons[1:] == ["job execution: started and ended in one change"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fork", [False, True], ids=["simple", "fork"])
def test_a_job_queued_under_the_entry_point_s_old_path_still_runs(api, monkeypatch, fork):
    monkeypatch.setattr(dispatch, "RUN_JOB", "jobs.runner.execute")  # as releases before jobs/engine/ pushed it
    job_id = submit(api, {"task": "demo.noop"})
    assert JsonJob.fetch(job_id, connection=redis_connection()).func_name == "jobs.runner.execute"
    run_worker(fork=fork)
    assert Job.objects.get(pk=job_id).state == "succeeded"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fork", [False, True], ids=["simple", "fork"])
def test_a_run_that_outlasts_the_delay_is_marked_running_by_the_worker(api, settings, fork):
    """The task reports progress only at its end (after 0.6 s): `running` written long before
    that was written by the worker's timer (a SimpleWorker's thread, a fork worker's parent)."""
    settings.WORKER_RUNNING_AFTER_MS = 0
    job_id = submit(api, {"task": "demo.sleep", "kwargs": {"seconds": 0.6, "steps": 1}})
    run_worker(fork=fork)
    job = Job.objects.get(pk=job_id)
    rows = list(job.history.order_by("history_id"))
    assert [row.state for row in rows] == ["queued", "running", "succeeded"]
    assert (rows[1].history_date - job.started_at).total_seconds() < 0.4
    assert rows[1].history_channel == "job" and rows[1].history_user == job.submitted_by


@pytest.mark.django_db(transaction=True)
def test_a_fork_work_horse_opens_no_database_connection_for_a_no_op_job(api, settings, tmp_path, monkeypatch):
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    connects = tmp_path / "connects"
    connect = BaseDatabaseWrapper.connect

    def counted(self):  # type: ignore[no-untyped-def]
        with connects.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return connect(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "connect", counted)
    ids = [submit(api, {"task": "demo.noop"}) for _ in range(3)]
    run_worker(fork=True)
    assert Job.objects.filter(pk__in=ids, state="succeeded", version=2).count() == 3
    pids = set(connects.read_text().split()) if connects.exists() else set()
    assert pids <= {str(os.getpid())}  # only the worker (this process) connected, no work horse


@pytest.mark.django_db(transaction=True)
def test_a_fork_work_horse_using_the_database_opens_its_own_connection(api, settings, tmp_path, monkeypatch):
    """The horse's task reports progress: every statement the horse sends goes through a
    connection it opened, never through the parent's session that the fork handed it (a
    horse closing or using that one ends or garbles the worker's session)."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    used = tmp_path / "used"
    open_cursor = BaseDatabaseWrapper._cursor

    def recorded(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with used.open("a") as out:
            out.write(f"{os.getpid()} {id(self.connection)}\n")
        return open_cursor(self, *args, **kwargs)

    monkeypatch.setattr(BaseDatabaseWrapper, "_cursor", recorded)
    connection.ensure_connection()
    session = str(id(connection.connection))
    job_id = submit(api, {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}})
    run_worker(fork=True)
    horse = [line.split() for line in used.read_text().splitlines() if line.split()[0] != str(os.getpid())]
    assert Job.objects.get(pk=job_id).progress is not None  # the horse did use the database
    assert horse and session not in {conn for _, conn in horse}
