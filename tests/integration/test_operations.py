"""Operations against real processes: queues and workers, the event stream, reconcile, a
worker killed mid-job, logs, metrics and alerts."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core import mail
from django.test import AsyncClient
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rq.queue import Queue

from accounts.services import token_create
from core.redis import redis_connection
from jobs import alerts, metrics
from jobs.engine import dispatch, lifecycle
from jobs.engine.worker import ALIVE_KEY
from jobs.models import Job, Schedule
from jobs.operations.reconcile import reconcile
from tests.helpers import assert_problem, run_worker, subprocess_env, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]


def start_worker(model: str = "simple") -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", *settings.QUEUE_NAMES],
        cwd=settings.BASE_DIR,
        env={**subprocess_env(), "CONVEYOR_WORKER": model},
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def worker() -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker()
    yield process
    stop(process)


def test_queues_and_workers_with_a_live_worker(staff_api, api, worker):
    wait_until(lambda: len(staff_api.get("/api/v1/workers/").json()) == 1)
    (live,) = staff_api.get("/api/v1/workers/").json()
    assert live["queues"] == settings.QUEUE_NAMES and live["pid"] == worker.pid
    api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}, "delay_seconds": 600}, format="json")
    queues = {q["name"]: q for q in staff_api.get("/api/v1/queues/").json()}
    assert queues["default"]["scheduled"] == 1 and queues["default"]["workers"] == 1
    assert_problem(api.get("/api/v1/queues/"), 403)
    assert_problem(api.get("/api/v1/workers/"), 403)


def _stream(user, path, last_event_id=None):
    _, secret = token_create(user=user, name="sse")

    async def read():
        headers = {"Authorization": f"Bearer {secret}", "Accept": "text/event-stream"}  # as an EventSource
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        response = await AsyncClient().get(path, headers=headers)
        if response.status_code == 204:
            return None
        assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
        raw = b"".join([chunk async for chunk in response.streaming_content]).decode()
        events = []
        for block in raw.strip().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
            if fields:
                events.append((fields["event"], int(fields["id"]), json.loads(fields["data"])))
        return events

    return async_to_sync(read)()


def test_event_stream_follows_a_job_to_the_end(api, user, worker):
    job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 1.5, "steps": 3}}, format="json")
    events = _stream(user, f"/api/v1/jobs/{job.json()['id']}/events/")
    names = [name for name, _, _ in events]
    assert names[0] == "state" and names[-1] == "state"
    assert events[-1][2]["state"] == "succeeded"
    assert "progress" in names or [e[2]["state"] for e in events if e[0] == "state"].count("running") == 1
    ids = [event_id for _, event_id, _ in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # Resuming after the last event of a done job is a 204 (an EventSource stops); resuming from
    # an earlier event sends what came after it; none starts over (a malformed one is a 400:
    # tests/api/test_events.py).
    assert _stream(user, f"/api/v1/jobs/{job.json()['id']}/events/", last_event_id=str(ids[-1])) is None
    rest = _stream(user, f"/api/v1/jobs/{job.json()['id']}/events/", last_event_id=str(ids[0]))
    assert [e[0] for e in rest] == ["state"] and rest[0][1] == ids[-1]
    again = _stream(user, f"/api/v1/jobs/{job.json()['id']}/events/")
    assert [e[0] for e in again] == ["state"] and again[0][2]["state"] == "succeeded"


def test_event_stream_of_another_users_job_is_404(api, other_user):
    job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json").json()
    _, secret = token_create(user=other_user, name="x")

    async def read():
        return await AsyncClient().get(
            f"/api/v1/jobs/{job['id']}/events/", headers={"Authorization": f"Bearer {secret}"}
        )

    response = async_to_sync(read)()
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_reconcile_redispatches_a_job_redis_lost_and_it_runs_once(api, redis):
    job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json").json()
    redis.flushdb()  # Redis restarted without persistence
    Job.objects.filter(pk=job["id"]).update(enqueued_at=Job.objects.get(pk=job["id"]).enqueued_at.replace(year=2000))
    assert reconcile()["redispatched"] == 1
    assert dispatch.queue("default").count == 1
    run_worker()
    run_worker()
    done = api.get(job["url"]).json()
    assert done["state"] == "succeeded" and done["attempt"] == 1
    assert reconcile()["redispatched"] == 0
    history = api.get(f"{job['url']}history/").json()["results"]
    assert any(entry["reason"] == "reconcile: no queue holds the job; dispatching it again" for entry in history)


@pytest.mark.parametrize("queue", ["default", "high"])
def test_reconcile_redispatches_a_job_a_worker_popped_and_died_with(api, redis, queue, monkeypatch):
    """A worker on several queues takes a job with BLPOP; killed before it marks the job started,
    it leaves RQ's hash saying `queued` while no list holds the id. The first pass that misses it
    cannot tell it from a live worker about to start it; the next one pushes it again."""
    body = {"task": "demo.sleep", "kwargs": {"seconds": 0}, "queue": queue}
    job = api.post("/api/v1/jobs/", body, format="json").json()
    waiting = api.post("/api/v1/jobs/", body, format="json").json()
    assert redis.lpop(dispatch.queue(queue).key) == job["id"].encode()
    Job.objects.update(enqueued_at=Job.objects.get(pk=job["id"]).enqueued_at.replace(year=2000))
    assert redis.hget(f"rq:job:{job['id']}", "status") == b"queued"
    assert reconcile()["redispatched"] == 0
    monkeypatch.setattr("jobs.operations.reconcile.CONFIRM_AFTER", timedelta(0))  # the next pass, seconds later
    assert reconcile()["redispatched"] == 1  # the popped one, not the one still waiting
    assert dispatch.queue(queue).job_ids == [waiting["id"], job["id"]]
    run_worker()
    for each in (job, waiting):
        done = api.get(each["url"]).json()
        assert done["state"] == "succeeded" and done["attempt"] == 1


def test_reconcile_leaves_alone_a_job_a_live_worker_took_but_has_not_started(api, redis):
    """A job waited past the grace in a backlog; a live worker has just popped it (BLPOP) and
    has not yet recorded anything about it. A reconcile pass in that window must not push it
    again nor write "no queue holds the job" into its trail."""
    job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json").json()
    Job.objects.update(enqueued_at=Job.objects.get(pk=job["id"]).enqueued_at.replace(year=2000))
    passes: list[dict[str, int]] = []
    dequeue = Queue.dequeue_any.__func__  # type: ignore[attr-defined]

    def dequeue_then_reconcile(cls, *args, **kwargs):  # the pass lands right after the pop
        taken = dequeue(cls, *args, **kwargs)
        if taken is not None:
            passes.append(reconcile())
        return taken

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Queue, "dequeue_any", classmethod(dequeue_then_reconcile))
        run_worker()
    assert [done["redispatched"] for done in passes] == [0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("jobs.operations.reconcile.CONFIRM_AFTER", timedelta(0))  # a later pass: the job has run
        assert reconcile()["redispatched"] == 0
    done = api.get(job["url"]).json()
    assert done["state"] == "succeeded" and done["attempt"] == 1
    assert dispatch.queue("default").count == 0
    history = api.get(f"{job['url']}history/").json()["results"]
    assert not [entry for entry in history if (entry["reason"] or "").startswith("reconcile")], history


@pytest.mark.parametrize("alive", [False, True], ids=["worker-gone", "worker-alive"])
def test_reconcile_ends_a_queued_job_a_gone_worker_claimed_and_never_pushes_it_again(api, redis, alive):
    """A worker claimed a job (a short run writes nothing before its end) and died: the row still
    says queued and no queue holds it. Reconcile fails it as WorkerLost (its only attempt) and
    cancels its dependent, instead of pushing it again; a live worker's claim is left alone."""
    job = api.post("/api/v1/jobs/", {"task": "demo.noop"}, format="json").json()
    child = api.post("/api/v1/jobs/", {"task": "demo.noop", "depends_on": [job["id"]]}, format="json").json()
    assert redis.lpop(dispatch.queue("default").key) == job["id"].encode()
    assert lifecycle.job_claim(job["id"], worker="gone-1") is not None
    if alive:
        redis.set(ALIVE_KEY.format("gone-1"), 1, ex=60)
    Job.objects.filter(pk=job["id"]).update(enqueued_at=timezone.now() - timedelta(days=1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("jobs.operations.reconcile.CONFIRM_AFTER", timedelta(0))  # a pass long after the first
        reconcile()
        reconcile()
    assert dispatch.queue("default").count == 0  # never pushed again
    lost, dependent = Job.objects.get(pk=job["id"]), Job.objects.get(pk=child["id"])
    if alive:
        assert lost.state == "queued" and dependent.state == "deferred"
        return
    assert lost.state == "failed" and lost.error["type"] == "WorkerLost" and lost.attempt == 1
    assert lost.worker == "gone-1" and lost.started_at and lost.ended_at
    assert dependent.state == "canceled"
    reasons = [row.history_change_reason for row in lost.history.order_by("history_id")]
    assert reasons[1:] == ["reconcile: worker gone-1 is gone: started and ended in one change"]


def test_killed_worker_leaves_no_job_running(api):
    """The worker process itself dies (SIGKILL) mid-job: within the documented bound
    (3 missed heartbeats = 15 s, plus a reconcile pass) the job ends failed."""
    process = start_worker("fork")
    try:
        job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 60, "steps": 60}}, format="json")
        job_id = job.json()["id"]
        wait_until(lambda: Job.objects.get(pk=job_id).state == "running")
        horse = int(Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()[0])
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        os.kill(horse, signal.SIGKILL)  # what a crashed machine does to the horse as well
        killed_at = time.monotonic()
        wait_until(lambda: reconcile()["orphans_failed"] == 1 or Job.objects.get(pk=job_id).done, timeout=40)
        assert time.monotonic() - killed_at < 30
        final = Job.objects.get(pk=job_id)
        assert final.state == "failed" and final.error["type"] == "WorkerLost"
    finally:
        stop(process)


def test_job_logs(api):
    job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 3}}, format="json").json()
    run_worker()
    log = api.get(f"{job['url']}logs/").json()
    messages = [line["message"] for line in log["lines"]]
    assert messages == ["attempt 1", "demo.step 1 of 3", "demo.step 2 of 3", "demo.step 3 of 3"]
    assert log["truncated"] is False


def test_job_logs_do_not_depend_on_the_process_log_level(api, worker):
    """The worker process runs with LOG_LEVEL=WARNING (subprocess_env); the task logs at INFO."""
    assert subprocess_env()["LOG_LEVEL"] == "WARNING"
    job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 2}}, format="json").json()
    wait_until(lambda: api.get(job["url"]).json()["done"])
    messages = [line["message"] for line in api.get(f"{job['url']}logs/").json()["lines"]]
    assert messages == ["attempt 1", "demo.step 1 of 2", "demo.step 2 of 2"]


def test_metrics(anon, api, staff_api, settings):
    assert_problem(anon.get("/metrics"), 401)
    assert_problem(api.get("/metrics"), 403)

    def sample(client, name, **labels):
        families = text_string_to_metric_families(client.get("/metrics").content.decode())
        values = [s.value for f in families for s in f.samples if s.name == name and labels.items() <= s.labels.items()]
        return sum(values)

    before = sample(staff_api, "conveyor_jobs_finished_total", task="demo.sleep", state="succeeded")
    api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json")
    run_worker()
    assert sample(staff_api, "conveyor_jobs_finished_total", task="demo.sleep", state="succeeded") == before + 1
    assert sample(staff_api, "conveyor_jobs_submitted_total", task="demo.sleep") >= 1
    assert sample(staff_api, "conveyor_job_duration_seconds_count", task="demo.sleep") >= 1
    assert sample(staff_api, "conveyor_http_requests_total") > 0
    settings.METRICS_TOKEN = "prometheus-secret"
    anon.credentials(HTTP_AUTHORIZATION="Bearer prometheus-secret")
    assert anon.get("/metrics").status_code == 200


def test_histogram_of_many_observations_counts_each_into_its_buckets(staff_api):
    def buckets() -> dict[str, float]:
        families = text_string_to_metric_families(staff_api.get("/metrics").content.decode())
        return {
            s.labels.get("le", s.name): s.value
            for f in families
            for s in f.samples
            if s.name.startswith("conveyor_schedule_lateness_seconds") and s.labels.get("schedule_kind") == "at"
        }

    before = buckets()
    with redis_connection().pipeline() as pipe:
        metrics.observe_many(pipe, "schedule_lateness", ("at",), [0.05, 0.25, 3.0], metrics.LATENESS_BUCKETS)
        pipe.execute()
    after = buckets()
    added = {le: after[le] - before.get(le, 0) for le in after}
    assert added["0.1"] == 1 and added["0.25"] == 2 and added["0.5"] == 2 and added["2"] == 2
    assert added["5"] == 3 and added["+Inf"] == 3
    assert added["conveyor_schedule_lateness_seconds_count"] == 3
    assert added["conveyor_schedule_lateness_seconds_sum"] == pytest.approx(3.3)


def test_final_failure_mails_the_admins_once(api, settings):
    settings.ADMINS = ["ops@example.com"]
    for _ in range(2):
        api.post("/api/v1/jobs/", {"task": "demo.fail", "kwargs": {"message": "disk full"}}, format="json")
    run_worker()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.com"] and "demo.fail" in mail.outbox[0].subject
    assert "disk full" in mail.outbox[0].body


def test_a_schedule_with_no_success_for_three_periods_mails_the_admins_once(api, settings):
    settings.ADMINS = ["ops@example.com"]
    quiet = {"task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "interval", "every_seconds": 60}
    silent = api.post("/api/v1/schedules/", {**quiet, "name": "silent"}, format="json").json()
    lively = api.post("/api/v1/schedules/", {**quiet, "name": "lively"}, format="json").json()
    Schedule.objects.update(created_at=timezone.now() - timedelta(minutes=10))  # 10 periods old
    api.post("/api/v1/schedules/", {**quiet, "name": "young"}, format="json")  # not 3 periods old yet
    succeeded = Job.objects.create(task="demo.sleep", state="succeeded", timeout_seconds=60, schedule_id=lively["id"])
    Job.objects.filter(pk=succeeded.pk).update(ended_at=timezone.now() - timedelta(minutes=1))

    assert (alerts.silent_schedules(), alerts.silent_schedules()) == (1, 0)  # once per interval
    (message,) = mail.outbox
    assert f"({silent['id']})" in message.body and "0:03:00" in message.body
