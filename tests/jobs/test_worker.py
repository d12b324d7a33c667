"""Conveyor's worker classes against a real Redis."""

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext
from redis import Redis
from redis.client import Pipeline
from rq import Queue
from rq.utils import as_text, get_version

from core.redis import redis_connection
from jobs import registry
from jobs.engine import dispatch, lifecycle
from jobs.engine import worker as worker_module
from jobs.engine.dispatch import queue
from jobs.engine.entrypoints import ConveyorQueue, JsonJob
from jobs.engine.worker import ALIVE_KEY, ForkWorker, SimpleWorker
from jobs.metrics import SUMS
from jobs.models import Job
from tests.helpers import run_worker, subprocess_env

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


@pytest.mark.parametrize("worker_class", [SimpleWorker, ForkWorker])
def test_a_heartbeat_is_skipped_only_when_the_last_one_keeps_the_worker_alive_as_long(worker_class):
    connection = redis_connection()
    worker = worker_class([queue("default")], connection=connection)
    worker.heartbeat(timeout=30)
    connection.expire(worker.key, 30)  # what that heartbeat set, whatever the worker's TTLs are
    worker.heartbeat()  # asks for longer than the last one vouched for: sent
    assert connection.ttl(worker.key) > 30
    connection.expire(worker.key, 300)
    worker.heartbeat()  # under a second after one as long: skipped
    assert connection.ttl(worker.key) <= 300


def test_the_idle_state_goes_out_with_the_next_heartbeat_even_when_it_would_be_skipped():
    connection = redis_connection()
    worker = SimpleWorker([queue("default")], connection=connection)
    worker.set_state("busy")  # sent at once
    worker.heartbeat()
    worker.set_state("idle")  # deferred
    assert connection.hget(worker.key, "state") == b"busy"
    worker.heartbeat()  # fresh, but carries the state
    assert connection.hget(worker.key, "state") == b"idle"


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


def reaped(pid: int) -> bool:
    """Whether process `pid` has exited and been reaped (a zombie still counts as there)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def dead(pid: int) -> bool:
    """Whether process `pid` has exited (a zombie whose new parent has not reaped it counts)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.fixture
def horses(api, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """A task `tests.where` that writes the pid of the horse running it, of that horse's
    parent, and when it ended; the pids of the horses the fork server forked ahead, in order,
    and when each was forked."""
    spares = tmp_path / "spares"
    fork_spare = ForkWorker._fork_spare

    def counted(self):  # type: ignore[no-untyped-def]  # runs in the fork server
        spare = fork_spare(self)
        with spares.open("a") as out:
            out.write(f"{spare.pid} {time.monotonic()}\n")
        return spare

    def where(name: str, kill_parent: bool = False, seconds: float = 0) -> None:
        time.sleep(seconds)
        (tmp_path / name).write_text(f"{os.getpid()} {os.getppid()} {time.monotonic()}")
        if kill_parent:
            os.kill(os.getppid(), signal.SIGKILL)
            time.sleep(10)  # the horse dies with it

    monkeypatch.setattr(ForkWorker, "_fork_spare", counted)
    schema = {"type": "object"}
    monkeypatch.setitem(registry._tasks, "tests.where", registry.Task("tests.where", where, "", schema))

    def pids(name: str) -> tuple[int, int]:
        """The pids of the horse that ran job `name`, and of its parent."""
        pid, parent, _ = (tmp_path / name).read_text().split()
        return int(pid), int(parent)

    def forked() -> dict[int, float]:
        return {int(pid): float(at) for pid, at in (line.split() for line in spares.read_text().splitlines())}

    def ended(name: str) -> float:
        return float((tmp_path / name).read_text().split()[2])

    return (lambda: list(forked())), pids, forked, ended


@pytest.mark.django_db(transaction=True)
def test_a_fork_worker_s_horses_are_forked_ahead_by_its_fork_server(api, settings, horses):
    """Every horse is forked by one fork server, not by the worker, while the job before it
    runs; one more waits for a job that never comes; all are reaped when the worker ends."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    spares, pids, forked, ended = horses
    ids = [submit(api, {"task": "tests.where", "kwargs": {"name": str(n), "seconds": 0.3}}) for n in range(3)]
    run_worker(fork=True)
    assert Job.objects.filter(pk__in=ids, state="succeeded").count() == 3
    ran = [pids(str(n)) for n in range(3)]
    zygote = ran[0][1]
    assert zygote != os.getpid() and all(parent == zygote for _, parent in ran)
    assert [pid for pid, _ in ran] == spares()[:3] and len(spares()) == 4
    assert all(forked()[spares()[n + 1]] < ended(str(n)) for n in range(3))
    assert all(reaped(pid) for pid in [zygote, *spares()])  # the last spare, never handed a job, too


@pytest.mark.django_db(transaction=True)
def test_a_horse_forked_ahead_that_died_is_replaced_by_a_new_fork(api, settings, monkeypatch, horses):
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    spares, pids, _, _ = horses
    hand = worker_module._Spare.hand

    def killed_second(self, order):  # type: ignore[no-untyped-def]  # runs in the fork server
        if len(spares()) == 2:  # the spare for the second job
            os.kill(self.pid, signal.SIGKILL)
            while Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                time.sleep(0.01)
        return hand(self, order)

    monkeypatch.setattr(worker_module._Spare, "hand", killed_second)
    ids = [submit(api, {"task": "tests.where", "kwargs": {"name": str(n)}}) for n in range(2)]
    run_worker(fork=True)
    assert Job.objects.filter(pk__in=ids, state="succeeded").count() == 2
    assert pids("1")[0] == spares()[2]  # the killed one, spares()[1], replaced by a fresh fork
    assert all(reaped(pid) for pid in spares())


@pytest.mark.django_db(transaction=True)
def test_a_fork_server_that_died_fails_its_running_job_and_is_replaced(api, settings, horses):
    """A fork server killed under a running job takes the job's horse along (PDEATHSIG): the
    worker records the job as lost, as a killed horse, and forks a new server for the next job."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    _, pids, _, _ = horses
    lost = submit(api, {"task": "tests.where", "kwargs": {"name": "lost", "kill_parent": True}})
    after = submit(api, {"task": "tests.where", "kwargs": {"name": "after"}})
    run_worker(fork=True)
    job = Job.objects.get(pk=lost)
    assert job.state == "failed" and job.error["type"] == "WorkerLost" and "signal 9" in job.error["message"]
    assert Job.objects.get(pk=after).state == "succeeded"
    assert pids("after")[1] != pids("lost")[1] and dead(pids("lost")[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("horses")
def test_a_fork_server_that_died_having_taken_a_job_is_not_given_it_again(api, settings, monkeypatch, tmp_path):
    """The fork server takes the job's order and dies before saying which horse runs it: the
    job is lost (WorkerLost), never ordered again to the next fork server."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    hand, died = worker_module._Spare.hand, tmp_path / "died"

    def hand_and_die(self, order):  # type: ignore[no-untyped-def]  # runs in the fork server
        handed = hand(self, order)
        if not died.exists():
            died.touch()
            os._exit(1)
        return handed

    monkeypatch.setattr(worker_module._Spare, "hand", hand_and_die)
    lost = submit(api, {"task": "tests.where", "kwargs": {"name": "lost", "seconds": 2}})
    after = submit(api, {"task": "tests.where", "kwargs": {"name": "after"}})
    run_worker(fork=True)
    job = Job.objects.get(pk=lost)
    assert job.state == "failed" and job.error["type"] == "WorkerLost"
    assert not (tmp_path / "lost").exists()  # its horse died with the server, and no other ran it
    assert Job.objects.get(pk=after).state == "succeeded"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("horses")
def test_an_alarm_that_lands_as_a_horse_s_end_is_read_does_not_lose_that_end(api, settings, monkeypatch):
    """RQ waits for a horse under an alarm whose handler raises, and then waits again. An alarm
    that lands just as the worker reads the fork server's report of the horse's end must not
    lose it: the worker would wait for it forever, heartbeating, its job never recorded."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    report, ends, asked_again = worker_module._Zygote.report, [], []

    def alarmed(self):  # type: ignore[no-untyped-def]
        if ends and not select.select([self.reports], [], [], 1)[0]:
            asked_again.append(ends[0])  # for an end already read: nothing more will come
            return ends[0]
        got = report(self)
        if got is not None and got[1] != worker_module._RUNNING and not ends:
            ends.append(got)
            signal.raise_signal(signal.SIGALRM)  # handled as soon as the worker lets it be
        return got

    monkeypatch.setattr(worker_module._Zygote, "report", alarmed)
    monkeypatch.setattr(worker_module._Zygote, "wait", lambda self: select.select([self.reports], [], [], 1))
    job = submit(api, {"task": "tests.where", "kwargs": {"name": "ended"}})
    run_worker(fork=True)
    assert ends and not asked_again
    assert Job.objects.get(pk=job).state == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_a_fork_worker_s_task_sees_its_job_and_worker_as_under_stock_rq(api, settings, monkeypatch, tmp_path):
    settings.WORKER_RUNNING_AFTER_MS = SHORT

    def ids(name: str) -> None:
        (tmp_path / name).write_text(f"{os.environ.get('RQ_JOB_ID')} {os.environ.get('RQ_WORKER_ID')}")

    monkeypatch.setitem(registry._tasks, "tests.ids", registry.Task("tests.ids", ids, "", {"type": "object"}))
    jobs = [submit(api, {"task": "tests.ids", "kwargs": {"name": str(n)}}) for n in range(2)]
    run_worker(fork=True)
    seen = [(tmp_path / str(n)).read_text().split() for n in range(2)]
    assert [job for job, _ in seen] == jobs  # each horse its own job, though forked ahead of it
    assert len({worker for _, worker in seen}) == 1 and re.fullmatch(r"[0-9a-f]{32}", seen[0][1])


# --- what RQ's bookkeeping of a short run leaves in Redis, and what it costs ---

STAND_INS = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<job>"),
    (re.compile(r"[0-9a-f]{32}"), "<id>"),  # worker names, execution ids
]


def stand_in(value: bytes | str) -> str:
    text = value.decode() if isinstance(value, bytes) else value
    for pattern, replacement in STAND_INS:
        text = pattern.sub(replacement, text)
    return text


def keyspace(connection) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Every key and what it holds (a hash: its fields), ids replaced by stand-ins: what two runs
    leave behind compares, their times and names do not."""
    found: dict[str, object] = {}
    for key in connection.keys("*"):
        kind = connection.type(key).decode()
        content: object = kind
        if key.startswith(b"conveyor:metrics:"):
            pass  # which buckets a run counts in depends on its time
        elif kind == "hash":
            content = sorted(stand_in(field) for field in connection.hkeys(key))
        elif kind in ("zset", "list"):
            members = connection.zrange(key, 0, -1) if kind == "zset" else connection.lrange(key, 0, -1)
            content = sorted(stand_in(member) for member in members)
        elif kind == "set":
            content = sorted(stand_in(member) for member in connection.smembers(key))
        found[stand_in(key)] = content
    return found


def one_short_run(api, fork: bool = False) -> tuple[dict[str, object], dict[str, str]]:  # type: ignore[no-untyped-def]
    connection = redis_connection()
    connection.flushdb()
    job_id = submit(api, {"task": "demo.noop"})
    run_worker(fork=fork)
    job = Job.objects.get(pk=job_id)
    run = job.history.latest("history_id")  # attributed to the submitter, read with the claim
    assert job.state == "succeeded" and (run.history_user, run.history_username) == (job.submitted_by, "alice")
    worker_key = next(key for key in connection.keys("rq:worker:*") if key.count(b":") == 2)
    counters = {stand_in(k): stand_in(v) for k, v in connection.hgetall(worker_key).items() if b"count" in k}
    return keyspace(connection), counters


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fork", [False, True], ids=["simple", "fork"])
def test_a_short_run_leaves_redis_as_rq_s_own_success_handling_does(api, settings, monkeypatch, fork):
    """The one-round-trip end of a run (_ConveyorWorker.handle_job_success) against RQ's own,
    which it replaces for Conveyor's runs: the same keys, holding the same members."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    lean = one_short_run(api, fork)
    monkeypatch.setattr(worker_module, "_rq_needs_nothing_of", lambda job, default_result_ttl: False)
    assert one_short_run(api, fork) == lean
    assert lean[1]["successful_job_count"] == "1"
    assert not any(key.startswith(("rq:job:", "rq:execution", "rq:executions")) for key in lean[0])


def round_trips(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """What each Redis round trip from now on sent: a command, or a pipeline's commands."""
    sent: list[str] = []
    command, execute = Redis.execute_command, Pipeline.execute

    def one(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(args[0]))
        return command(self, *args, **kwargs)

    def batch(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append("+".join(str(c[0][0]) for c in self.command_stack) or "(empty)")
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(Redis, "execute_command", one)
    monkeypatch.setattr(Pipeline, "execute", batch)
    return sent


@pytest.mark.django_db(transaction=True)
def test_a_short_run_on_the_simple_worker_costs_eight_redis_round_trips_and_two_statements(api, settings, monkeypatch):
    """A SimpleWorker's cost per short job, from the dequeue to the end of the run: the second of
    two jobs against the first alone (start-up and the burst's end cancel out), on three queues
    (one LMPOP finds the job). Stock RQ's SimpleWorker makes 18 round trips for a job on one queue. Where they go:
    docs/architecture.md, "The worker"."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    settings.METRICS_FLUSH_SECONDS = 3600  # summed in the process, as deployed (jobs.metrics.SUMS)
    SUMS.flush()
    costs = []
    for jobs in (1, 2):
        redis_connection().flushdb()
        for _ in range(jobs):
            submit(api, {"task": "demo.noop"})
        with CaptureQueriesContext(connection) as statements:
            sent = round_trips(monkeypatch)
            run_worker(dispatch_due=False)
            monkeypatch.undo()
        costs.append((sent, [q["sql"].split()[0] for q in statements.captured_queries]))
    extra_trips = len(costs[1][0]) - len(costs[0][0])
    extra_statements = costs[1][1][len(costs[0][1]) :]
    assert extra_trips == 8, "\n".join(costs[1][0])
    # No metric sent per job: the one HINCRBY of a trip is RQ's count of the worker's jobs.
    assert max(trip.split("+").count("HINCRBY") for trip in costs[1][0]) == 1
    SUMS.flush()
    assert redis_connection().hget("conveyor:metrics:jobs_finished", "demo.noop|succeeded") == b"3"
    # The claim's read and the audited change: one statement on PostgreSQL (audit.sql), the ORM's
    # locked transaction elsewhere.
    assert len(extra_statements) == {"postgresql": 2}.get(connection.vendor, 7), extra_statements


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_on_the_simple_worker_is_announced_too(api, settings):
    """A failure ends through RQ's own handling, not the one-round-trip end: the row's change,
    held for that round trip, is sent on the way out of the run."""
    settings.WORKER_RUNNING_AFTER_MS = SHORT
    submit(api, {"task": "demo.fail", "kwargs": {"message": "no"}, "max_retries": 0})
    run_worker()
    assert redis_connection().hget("conveyor:metrics:jobs_finished", "demo.fail|failed") == b"1"


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_loads_none_of_what_only_the_api_needs():
    """Every fork copies the worker's memory: the API (its views, middleware and template tags,
    DRF, drf-spectacular and what they load, django.test) made it 16 MiB larger. `rqworker`
    runs its system checks (Conveyor's command) and imports the worker, as `manage.py` does."""
    api_only = ["drf_spectacular.openapi", "rest_framework.serializers", "django.test", "yaml", "api.views"]
    code = (
        "import sys, django; django.setup(); from django.core import management; import jobs.engine.worker; "
        "app = management.get_commands()['rqworker']; command = management.load_command_class(app, 'rqworker'); "
        f"command.check(tags=command.requires_system_checks); print(app, set({api_only}) & set(sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split("\n")[-2] == "jobs set()"


@pytest.mark.parametrize("in_queues", [("low",), ("default", "low"), ()])
def test_a_pop_over_several_queues_is_one_round_trip_and_takes_rq_s_job(in_queues, monkeypatch):
    """What RQ's pop over several queues gives (the first job of the first queue that has one),
    in one round trip instead of one per queue (jobs.engine.entrypoints.ConveyorQueue)."""
    connection = redis_connection()
    keys = [queue(name).key for name in ("high", "default", "low")]
    for name in in_queues:
        connection.rpush(queue(name).key, f"{name}-1", f"{name}-2")
    get_version(connection)  # the server's version, read once per connection
    sent = round_trips(monkeypatch)

    popped = ConveyorQueue.lpop(keys, None, connection=connection)

    monkeypatch.undo()
    assert sent == ["LMPOP"]
    if popped is not None:
        connection.lpush(as_text(popped[0]), popped[1])  # put it back for RQ's own loop of LPOPs
    by_rq = Queue.lpop(keys, None, connection=connection)
    assert (None if popped is None else [as_text(part) for part in popped]) == (
        None if by_rq is None else [as_text(part) for part in by_rq]
    )
    assert popped is None if not in_queues else as_text(popped[1]) == f"{in_queues[0]}-1"


@pytest.mark.parametrize(("log_level", "verbosity", "passed"), [("WARNING", 1, 0), ("INFO", 1, 1), ("WARNING", 2, 2)])
def test_the_worker_command_logs_rq_s_lines_as_log_level_says_at_the_default_verbosity(
    settings, monkeypatch, log_level, verbosity, passed
):
    from django_rq.management.commands import rqworker as django_rq_command

    from jobs.management.commands.rqworker import Command

    seen = {}
    monkeypatch.setattr(django_rq_command.Command, "handle", lambda self, *args, **options: seen.update(options))
    settings.LOG_LEVEL = log_level

    Command().handle(verbosity=verbosity)

    assert seen["verbosity"] == passed  # django-rq's: 0 sets RQ's logger to WARNING, 1 to INFO
