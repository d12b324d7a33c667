"""Injected faults against real processes. Each test is bounded in time, targets loopback only,
and cleans up the processes it started."""

import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from django.conf import settings
from django.db import Error, OperationalError, connection
from django.db.models import Count
from django.utils import timezone

from config import redis_server
from core.redis import redis_connection
from jobs.engine import dispatch
from jobs.models import TERMINAL_STATES, Job, Schedule, ScheduleFire
from jobs.operations import reconcile
from jobs.scheduling import firing
from jobs.scheduling import process as scheduler_module
from jobs.scheduling.process import ConveyorScheduler
from jobs.services import schedules
from tests.helpers import TcpProxy, client_for, run_worker, subprocess_env, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

SEED = 20261126


def spawn(*command: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env={**subprocess_env(), **env}
    )


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    children_file = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    children = children_file.read_text().split() if children_file.exists() else []
    process.kill()
    process.wait()
    for child in children:  # a crashed host takes the work horse down too
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(child), signal.SIGKILL)


# Fast liveness and reconcile for the processes these tests start (seconds).
FAST = {"WORKER_MONITORING_INTERVAL": "1", "RECONCILE_EVERY_SECONDS": "1", "RECONCILE_GRACE_SECONDS": "2"}
OUTAGE_SECONDS = 5


def submit(api, seconds: float, **options) -> str:
    body = {"task": "demo.sleep", "kwargs": {"seconds": seconds, "steps": max(1, int(2 * seconds))}, **options}
    response = api.post("/api/v1/jobs/", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def every_second(api) -> str:
    body = {"name": "tick", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "interval", "every_seconds": 1}
    response = api.post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def all_succeeded(ids: list[str]) -> bool:
    return Job.objects.filter(pk__in=ids, state="succeeded").count() == len(ids)


def starts(job: Job) -> int:
    """How many runs the audit trail recorded: each raises `attempt` (a `running` entry, or one
    change that started and ended a short run)."""
    attempts = list(job.history.order_by("history_id").values_list("attempt", flat=True))
    return sum(1 for before, after in pairwise(attempts) if after > before)


def where_jobs_are(ids: list[str], worker: subprocess.Popen[bytes]) -> dict[str, object]:
    """What a test that waited in vain should report: each job's row, RQ's queues, started and
    popped jobs, and the `manage.py` processes (pid, state, where the kernel has each waiting)."""
    connection = redis_connection()
    started = {key.decode(): connection.zrange(key, 0, -1) for key in connection.scan_iter("rq:wip:*")}
    popped = {key.decode(): connection.lrange(key, 0, -1) for key in connection.scan_iter("rq:*intermediate*")}
    ps = ["ps", "-eo", "pid,ppid,stat,wchan:24,etime,args", "--forest"]
    tree = [
        line
        for line in subprocess.run(ps, capture_output=True, text=True, check=False).stdout.splitlines()
        if "manage.py" in line
    ]
    queued = {name: connection.lrange(f"rq:queue:{name}", 0, -1) for name in settings.QUEUE_NAMES}
    rows = list(Job.objects.filter(pk__in=ids).values_list("id", "state", "attempt", "worker", "dispatched", "run_at"))
    return {
        "rows": rows,
        "queued": queued,
        "started": started,
        "popped": popped,
        "worker alive": worker.poll() is None,
        "processes": tree,
    }


def test_worker_sigkilled_ten_times(api, settings, processes):
    """Ten SIGKILLs of a fork worker (with its work horse, as a host crash would), each landing
    while one of its jobs runs: every job ends `succeeded`, or `failed` with `WorkerLost` after
    its last attempt; none lost, none stuck; `attempt` equals the recorded starts. Reconcile and
    dispatch are left to a real scheduler process, as in production."""
    rng = random.Random(SEED)
    doomed = submit(api, 3, max_retries=0)  # first in line: the first kill hits it, its only attempt
    body = {"max_retries": 3, "retry_intervals": [0]}
    ids = [doomed, *(submit(api, 1, **body) for _ in range(8))]
    processes.start("conveyor_scheduler", **FAST)
    hits = 0
    for kill in range(10):
        name = f"victim-{kill}"
        mine = Job.objects.filter(state="running", worker=name)
        worker = processes.start("rqworker", "--name", name, *settings.QUEUE_NAMES, CONVEYOR_WORKER="fork", **FAST)
        wait_until(mine.exists, timeout=30)  # jobs the last kill hit come back after a reconcile pass
        time.sleep(rng.uniform(0.1, 0.5))
        kill_tree(worker)
        hits += mine.exists()  # still running once worker and horse are dead: the kill hit it
    assert hits >= 8
    last = processes.start("rqworker", *settings.QUEUE_NAMES, CONVEYOR_WORKER="fork", **FAST)
    wait_until(
        lambda: Job.objects.filter(pk__in=ids, state__in=TERMINAL_STATES).count() == len(ids),
        timeout=60,
        explain=lambda: where_jobs_are(ids, last),
    )
    lost = Job.objects.get(pk=doomed)
    assert lost.state == "failed" and lost.error["type"] == "WorkerLost" and lost.attempt == 1
    for job in Job.objects.filter(pk__in=ids):
        assert job.state in ("succeeded", "failed"), job.state
        assert job.attempt == starts(job) <= job.max_retries + 1
        if job.state == "failed":
            assert job.error["type"] == "WorkerLost" and job.attempt == job.max_retries + 1


def test_redis_killed_during_submits_and_restarted_with_aof(api, settings):
    """Every job that got a 202 runs exactly once."""
    settings.RECONCILE_GRACE_SECONDS = 0
    workdir = Path(tempfile.mkdtemp(prefix="conveyor-fault-redis-"))
    socket = workdir / "redis.sock"
    server = redis_server.start(socket, workdir / "data")
    real_url = settings.REDIS_URL
    settings.REDIS_URL = f"unix://{socket}?db=0"
    settings.RQ_QUEUES = {name: {**cfg, "URL": settings.REDIS_URL} for name, cfg in settings.RQ_QUEUES.items()}
    redis_connection.cache_clear()
    dispatch.queue.cache_clear()
    accepted = []
    try:
        body = {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}
        for index in range(60):
            if index == 20:
                server.kill()
                server.wait()
            if index == 40:
                server = redis_server.start(socket, workdir / "data")  # replays the append-only file
            response = api.post("/api/v1/jobs/", body, format="json")
            assert response.status_code == 202, response.content
            accepted.append(response.json()["id"])
        assert Job.objects.filter(dispatched=False).count() >= 20  # submitted while Redis was down
        for _ in range(3):
            reconcile.reconcile()
            dispatch.dispatch_due(grace=timedelta(0))
            run_worker(dispatch_due=False)
        for job in Job.objects.filter(pk__in=accepted):
            assert job.state == "succeeded" and job.attempt == 1 and starts(job) == 1
        assert Job.objects.count() == 60
    finally:
        server.kill()
        server.wait()
        settings.REDIS_URL = real_url
        redis_connection.cache_clear()
        dispatch.queue.cache_clear()


def test_redis_flushed_reconcile_dispatches_everything_again(api, redis, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    body = {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}
    ids = [api.post("/api/v1/jobs/", body, format="json").json()["id"] for _ in range(25)]
    redis.flushdb()
    assert reconcile.reconcile()["redispatched"] == 25
    run_worker()
    states = Job.objects.filter(pk__in=ids).values("state").annotate(n=Count("pk"))
    assert list(states) == [{"state": "succeeded", "n": 25}]
    assert all(job.attempt == 1 for job in Job.objects.filter(pk__in=ids))


def test_three_schedulers_one_paused_past_its_lock(api, settings):
    settings.SCHEDULE_MIN_INTERVAL_SECONDS = 1
    for index in range(3):
        api.post(
            "/api/v1/schedules/",
            {
                "name": f"f{index}",
                "task": "demo.sleep",
                "kwargs": {"seconds": 0},
                "kind": "interval",
                "every_seconds": 1,
            },
            format="json",
        )
    schedulers = [spawn("conveyor_scheduler") for _ in range(3)]
    lock = redis_connection()
    try:
        time.sleep(4)
        # Stop the lock holder if one can be caught holding it (the lock is held for the few
        # milliseconds of a pass), else the first: the others must take over either way. Not on
        # SQLite: a process stopped inside a pass's write transaction holds SQLite's one write
        # lock, and no other process can write until it resumes (PostgreSQL ends such a
        # transaction: jobs.scheduling.firing.FROZEN_FIRE_TIMEOUT).
        pids = {str(process.pid): process for process in schedulers}
        deadline, holder = time.monotonic() + (3 if connection.vendor == "postgresql" else 0), None
        while holder is None and time.monotonic() < deadline:
            holder = pids.get((lock.get(ConveyorScheduler.scheduler_lock_key) or b"").decode())
        stopped = holder or schedulers[0]
        stopped.send_signal(signal.SIGSTOP)
        paused = timezone.now()
        time.sleep(18)  # longer than rq-scheduler's lock (interval + 10 s), with time to take over
        resumed = timezone.now()
        stopped.send_signal(signal.SIGCONT)
        time.sleep(6)
    finally:
        for process in schedulers:
            process.send_signal(signal.SIGCONT)
            process.terminate()
            process.wait(timeout=15)
    duplicates = ScheduleFire.objects.values("schedule_id", "fire_at").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    fired = ScheduleFire.objects.filter(outcome="fired")
    # While the first scheduler was stopped (holding the lock or not), another one fired every
    # schedule; and firing went on after it woke. A count of fires would depend on how fast the
    # processes start on this machine, these do not. On SQLite a scheduler stopped inside a
    # write transaction (1 of ~6 runs) blocks every other writer until it resumes, so the
    # takeover is checked on PostgreSQL (CI's second run) only.
    during = fired.filter(fired_at__gt=paused + timedelta(seconds=1), fired_at__lt=resumed)
    if connection.vendor == "postgresql":
        assert during.values("schedule_id").distinct().count() == 3
    assert fired.filter(fired_at__gt=resumed + timedelta(seconds=1)).values("schedule_id").distinct().count() == 3
    assert Job.objects.count() == fired.count()


def test_a_scheduler_frozen_inside_a_fire_holds_its_locks_only_seconds(api, monkeypatch):
    """Stopped inside its fire transaction (SIGSTOP, a paused VM), a scheduler keeps the rows
    locked only until PostgreSQL ends its idle transaction: another scheduler fires the slot,
    once, without waiting for the frozen one to wake."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks held by an idle transaction are PostgreSQL's (SQLite locks the file)")
    freeze = 12.0  # seconds; the timeout is 5
    created = api.post(
        "/api/v1/schedules/",
        {"name": "frozen", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "interval", "every_seconds": 60},
        format="json",
    )
    schedule = Schedule.objects.get(pk=created.json()["id"])
    slot = (str(schedule.pk), schedule.next_run_at.isoformat())
    frozen = threading.Event()
    prepare = firing._prepare_run

    def prepare_then_freeze(schedule, now):  # runs with the schedule's row locked
        if threading.current_thread().name == "frozen-scheduler":
            frozen.set()
            time.sleep(freeze)
        return prepare(schedule, now)

    monkeypatch.setattr(firing, "_prepare_run", prepare_then_freeze)
    failed: list[Error] = []

    def frozen_scheduler() -> None:
        try:
            firing.schedule_fire_many([slot])
        except Error as exc:  # its session was ended while it slept
            failed.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=frozen_scheduler, name="frozen-scheduler")
    first.start()
    assert frozen.wait(timeout=10)
    started = time.monotonic()
    fires = firing.schedule_fire_many([slot])
    waited = time.monotonic() - started
    first.join(timeout=30)
    assert [fire.outcome for fire in fires] == ["fired"] and waited < freeze - 3
    assert failed and ScheduleFire.objects.filter(schedule=schedule).count() == 1
    assert Job.objects.filter(schedule=schedule).count() == 1


def test_two_schedulers_firing_one_slot_together_make_one_job(api, monkeypatch):
    """Two schedulers fire the same slot at the same moment (rq-scheduler's lock lets two run at
    once): each has read the schedule and is about to submit its run before either commits,
    unless the first one's row lock holds the second back. One job, one fire row."""
    created = api.post(
        "/api/v1/schedules/",
        {"name": "both", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "interval", "every_seconds": 60},
        format="json",
    )
    schedule = Schedule.objects.get(pk=created.json()["id"])
    slot = (str(schedule.pk), schedule.next_run_at.isoformat())
    # Both wait here, with the schedule read, for the other; a scheduler held back by the first
    # one's row lock never arrives, and the first goes on after the timeout.
    inside = threading.Barrier(2, timeout=3)
    met: list[bool] = []
    prepare = firing._prepare_run

    def prepare_together(schedule, now):
        try:
            inside.wait()
            met.append(True)
        except threading.BrokenBarrierError:
            met.append(False)
        return prepare(schedule, now)

    monkeypatch.setattr(firing, "_prepare_run", prepare_together)
    start = threading.Barrier(2, timeout=10)
    fired: list[list[str]] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            start.wait()
            fired.append([fire.outcome for fire in firing.schedule_fire_many([slot])])
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and sorted(fired) == [[], ["fired"]], (errors, fired, met)
    assert ScheduleFire.objects.filter(schedule=schedule).count() == 1
    assert Job.objects.filter(schedule=schedule).count() == 1
    assert Schedule.objects.get(pk=schedule.pk).run_count == 1


def test_a_fire_that_meets_the_database_down_fires_as_soon_as_it_answers(api, monkeypatch):
    """The database fails exactly at a slot's fire, then answers again: the same
    scheduler fires that slot at its next pass, once, without waiting for its own lock to
    expire or for the re-arm pass (which an outage puts off by 3 worker heartbeats)."""
    created = api.post(
        "/api/v1/schedules/",
        {"name": "met", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "interval", "every_seconds": 60},
        format="json",
    )
    slot = timezone.now().replace(microsecond=0) - timedelta(seconds=1)  # due now
    Schedule.objects.filter(pk=created.json()["id"]).update(next_run_at=slot)
    schedule = Schedule.objects.get(pk=created.json()["id"])
    schedules.schedule_arm(schedule)
    fire = scheduler_module.schedule_fire_many
    calls: list[int] = []

    def down_at_the_first_fire(slots):  # type: ignore[no-untyped-def]
        calls.append(len(slots))
        if len(calls) == 1:
            raise OperationalError("connection refused")
        return fire(slots)

    monkeypatch.setattr(scheduler_module, "schedule_fire_many", down_at_the_first_fire)
    scheduler = ConveyorScheduler(connection=redis_connection())
    monkeypatch.setattr(scheduler, "_install_signal_handlers", lambda: None)  # pytest keeps its own
    scheduler.run(burst=True)  # ends after its first pass that met no outage
    assert calls == [1, 1]
    assert list(ScheduleFire.objects.filter(schedule=schedule).values_list("fire_at", "outcome")) == [(slot, "fired")]
    assert Job.objects.filter(schedule=schedule).count() == 1


def test_fifty_concurrent_submits_with_one_key(user):
    clients = [client_for(user) for _ in range(50)]
    barrier = threading.Barrier(50)
    statuses: list[int] = []

    def go(client) -> None:
        from django.db import connection

        barrier.wait()
        try:
            response = client.post(
                "/api/v1/jobs/",
                {"task": "demo.sleep", "kwargs": {"seconds": 0}},
                format="json",
                HTTP_IDEMPOTENCY_KEY="one",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Job.objects.count() == 1
    assert len(statuses) == 50 and set(statuses) <= {202, 409}


def test_worker_and_scheduler_ride_out_a_redis_outage(api, settings, private_redis, processes):
    """Redis SIGKILLed for 5 s while a job runs: the worker and the scheduler stay up, and once
    Redis is back (its append-only file replayed) every job, the running one included, succeeds
    and the schedule fires again."""
    settings.SCHEDULE_MIN_INTERVAL_SECONDS = 1
    worker = processes.start("rqworker", *settings.QUEUE_NAMES, CONVEYOR_WORKER="fork", **FAST)
    scheduler = processes.start("conveyor_scheduler", **FAST)
    schedule = every_second(api)
    running = submit(api, 8)  # spans the outage
    wait_until(lambda: Job.objects.get(pk=running).state == "running", timeout=30)
    wait_until(lambda: ScheduleFire.objects.filter(schedule_id=schedule, outcome="fired").exists())
    private_redis.kill()
    during = [submit(api, 0) for _ in range(2)]  # accepted, pushed once Redis is back
    time.sleep(OUTAGE_SECONDS)
    assert worker.poll() is None and scheduler.poll() is None
    private_redis.start()
    back = timezone.now()
    after = submit(api, 0)
    wait_until(lambda: all_succeeded([running, *during, after]), timeout=40)
    wait_until(lambda: ScheduleFire.objects.filter(schedule_id=schedule, outcome="fired", fired_at__gt=back).exists())
    assert Job.objects.get(pk=running).attempt == 1  # not failed as an orphan on the way
    assert worker.poll() is None and scheduler.poll() is None


def test_worker_and_scheduler_ride_out_a_database_outage(api, settings, processes):
    """The processes' path to PostgreSQL cut for 5 s (a proxy drops their connections and refuses
    new ones; the server and other clients are untouched) while a job runs: both stay up, the
    job cut off mid-run is retried, and every job succeeds and the schedule fires again."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database reached over TCP (SQLite is a local file)")
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {**FAST, "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{proxy.port}/{db['NAME']}"}
    settings.SCHEDULE_MIN_INTERVAL_SECONDS = 1
    try:
        worker = processes.start("rqworker", *settings.QUEUE_NAMES, CONVEYOR_WORKER="fork", **env)
        scheduler = processes.start("conveyor_scheduler", **env)
        schedule = every_second(api)
        running = submit(api, 6, max_retries=2, retry_intervals=[0])  # spans the outage
        wait_until(lambda: Job.objects.get(pk=running).state == "running", timeout=30)
        wait_until(lambda: ScheduleFire.objects.filter(schedule_id=schedule, outcome="fired").exists())
        proxy.cut()
        during = [submit(api, 0) for _ in range(2)]  # a worker may take them while it cannot start them
        time.sleep(OUTAGE_SECONDS)
        assert worker.poll() is None and scheduler.poll() is None
        proxy.restore()
        back = timezone.now()
        after = submit(api, 0)
        wait_until(lambda: all_succeeded([running, *during, after]), timeout=60)
        wait_until(
            lambda: ScheduleFire.objects.filter(schedule_id=schedule, outcome="fired", fired_at__gt=back).exists()
        )
        assert Job.objects.get(pk=running).attempt == 2  # its first run lost its database mid-way
        assert worker.poll() is None and scheduler.poll() is None
    finally:
        processes.stop_all()
        proxy.close()
