"""A real forking worker process: stopping a running job, and losing its work horse."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from jobs.engine import dispatch
from jobs.models import Job
from jobs.operations.reconcile import reconcile
from tests.helpers import subprocess_env, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

LONG = {"task": "demo.sleep", "kwargs": {"seconds": 30, "steps": 300}}


@pytest.fixture
def fork_worker() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", *settings.QUEUE_NAMES],
        cwd=settings.BASE_DIR,
        env={**subprocess_env(), "CONVEYOR_WORKER": "fork"},
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def state(job_id: str) -> str:
    return Job.objects.get(pk=job_id).state


def children_of(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def started(pid: int) -> int:
    """When process `pid` started (clock ticks since boot)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


def horses_of(worker: subprocess.Popen[bytes]) -> list[int]:
    """The processes of a fork worker's fork server: the work horse of its first job, then the
    horse forked ahead for the next one (jobs.engine.worker.ForkWorker.fork_work_horse)."""
    servers = children_of(worker.pid)
    horses = [pid for server in servers for pid in children_of(server)]
    return sorted(horses, key=lambda pid: (started(pid), pid)) if len(servers) == 1 else []


def horse_of(worker: subprocess.Popen[bytes]) -> int:
    horses = horses_of(worker)
    assert len(horses) == 2, horses
    return horses[0]


def test_cancel_stops_a_running_job(api, fork_worker):
    job_id = api.post("/api/v1/jobs/", LONG, format="json").json()["id"]
    wait_until(lambda: Job.objects.get(pk=job_id).progress is not None)
    response = api.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "canceled"
    rq_job = dispatch.queue("default").fetch_job(job_id)
    wait_until(lambda: rq_job.get_status(refresh=True) == "stopped")
    stopped_at = Job.objects.get(pk=job_id).progress
    time.sleep(0.5)
    job = Job.objects.get(pk=job_id)
    assert job.state == "canceled" and job.result is None
    assert job.progress == stopped_at and job.progress["current"] < 300  # the task really stopped


def test_killed_work_horse_fails_the_job(api, fork_worker):
    job_id = api.post("/api/v1/jobs/", LONG, format="json").json()["id"]
    wait_until(lambda: state(job_id) == "running")
    wait_until(lambda: len(horses_of(fork_worker)) == 2)
    os.kill(horse_of(fork_worker), signal.SIGKILL)
    wait_until(lambda: state(job_id) == "failed")
    job = Job.objects.get(pk=job_id)
    assert job.error["type"] == "WorkerLost" and "signal 9" in job.error["message"]
    assert fork_worker.poll() is None  # the worker itself survives its horse


def gone(pid: int) -> bool:
    """Whether process `pid` has exited (reaped, or a zombie waiting to be)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_killed_worker_takes_its_horse_along_and_leaves_the_listing(api, staff_api, settings):
    """SIGKILL to the worker alone: its fork server, work horse and spare horse die with it (the horse
    would otherwise run the job on, unwatched), the worker stops being listed as busy once its
    3 s liveness key lapses, and reconcile fails the job as WorkerLost."""
    settings.RECONCILE_GRACE_SECONDS = 0
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", *settings.QUEUE_NAMES],
        cwd=settings.BASE_DIR,
        env={**subprocess_env(), "CONVEYOR_WORKER": "fork", "WORKER_MONITORING_INTERVAL": "1"},
    )
    try:
        job_id = api.post("/api/v1/jobs/", LONG, format="json").json()["id"]
        wait_until(lambda: state(job_id) == "running", timeout=30)
        wait_until(lambda: len(horses_of(worker)) == 2)
        horses = [*children_of(worker.pid), *horses_of(worker)]
        assert [w["state"] for w in staff_api.get("/api/v1/workers/").json()] == ["busy"]
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        killed = time.monotonic()
        wait_until(lambda: all(gone(pid) for pid in horses), timeout=5)
        horse_died_after = time.monotonic() - killed
        wait_until(lambda: staff_api.get("/api/v1/workers/").json() == [], timeout=8)
        assert reconcile()["orphans_failed"] == 1
        job = Job.objects.get(pk=job_id)
        assert job.state == "failed" and job.error["type"] == "WorkerLost"
        assert horse_died_after < 2
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
