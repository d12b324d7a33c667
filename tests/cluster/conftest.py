"""Conveyor as a small cluster on hosts made of Linux network namespaces, a submit load and a ledger.

Each host is a network namespace joined to a bridge by a veth pair; addresses exist only inside
the namespaces (the bridge has none), so nothing here is reachable from, or collides with, the
machine's own network. Every name (namespaces, links, bridge) carries `cvy` and a random run id.
The processes are the ones docs/operations.md tells an operator to run, with settings from the
environment only: PostgreSQL (run as the `postgres` user), a Redis primary, its replica and
three Sentinels, 2 web hosts (`python -m config.web`), 2 worker hosts (`manage.py rqworker high
default low`) and 2 scheduler hosts (`manage.py conveyor_scheduler`). The test process itself
joins a `client` host (`os.setns`), from which it submits and reads the database.

We drive `ip` rather than a netlink library (pyroute2): a dozen commands an operator can read
and run by hand, and no dependency for it.
"""

import contextlib
import glob
import http.client
import itertools
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from tests.helpers import wait_until

BASE_DIR = Path(__file__).resolve().parents[2]
SUBNET = "10.77.0"
PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
SENTINEL_PORTS = (26379, 26380, 26381)
MASTER = "conveyor"
BACKLOG = 5  # jobs waiting in Redis below which the cluster is idle enough for the next fault
# Fast liveness and reconcile, as tests/faults uses: the bounds of docs/operations.md, shortened.
FAST = {"WORKER_MONITORING_INTERVAL": "1", "RECONCILE_EVERY_SECONDS": "1", "RECONCILE_GRACE_SECONDS": "2"}
# host name -> last octet of its address
LAYOUT = {
    "client": 1,
    "db": 2,
    "redis-a": 3,
    "redis-b": 4,
    "sentinel": 5,
    "web1": 11,
    "web2": 12,
    "worker1": 21,
    "worker2": 22,
    "scheduler1": 31,
    "scheduler2": 32,
}


def unavailable() -> str | None:
    """Why this machine cannot run the cluster, or None."""
    if os.geteuid() != 0:
        return "needs root: hosts are network namespaces (ip netns)"
    if not hasattr(os, "setns"):
        return "needs os.setns (Linux)"
    for binary in ("ip", "redis-server", "runuser"):
        if shutil.which(binary) is None:
            return f"needs {binary}"
    if not PG_BINS:
        return "needs PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "needs a postgres user to run PostgreSQL as"
    if subprocess.run(["ip", "netns", "list"], capture_output=True, check=False).returncode != 0:
        return "ip netns is unavailable"
    return None


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


class Host:
    """One host: a namespace, its link to the bridge, and the processes started in it."""

    def __init__(self, cluster: "Cluster", name: str, octet: int) -> None:
        self.cluster, self.name = cluster, name
        self.ns = f"{cluster.run}-{name}"
        self.ip = f"{SUBNET}.{octet}"
        self.link, self.peer = f"{cluster.run}h{octet}", f"{cluster.run}p{octet}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def create(self) -> None:
        ip("netns", "add", self.ns)
        ip("link", "add", self.link, "type", "veth", "peer", "name", self.peer)
        ip("link", "set", self.peer, "master", self.cluster.bridge, "up")
        ip("link", "set", self.link, "netns", self.ns)
        ip("-n", self.ns, "addr", "add", f"{self.ip}/24", "dev", self.link)
        ip("-n", self.ns, "link", "set", self.link, "up")
        ip("-n", self.ns, "link", "set", "lo", "up")

    def start(self, name: str, *argv: str, user: str | None = None, env: dict[str, str] | None = None) -> None:
        """Start `argv` in this host (as `user`), its output in the cluster's log directory."""
        prefix = ["ip", "netns", "exec", self.ns, *(["runuser", "-u", user, "--"] if user else [])]
        log = (self.cluster.workdir / f"{self.name}-{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [*prefix, *argv], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def pids(self) -> list[int]:
        """Every process in this host's namespace (only ever ones this harness started)."""
        out = subprocess.run(["ip", "netns", "pids", self.ns], capture_output=True, text=True, check=False).stdout
        return [int(pid) for pid in out.split()]

    def signal_all(self, signum: int) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def lose(self) -> None:
        """The host dies: every process SIGKILLed (work horses included), its link cut."""
        self.signal_all(signal.SIGKILL)
        self.cut()
        self.reap()

    def reap(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
        wait_until(lambda: not self.pids(), timeout=15)
        self.processes.clear()

    def cut(self) -> None:
        ip("-n", self.ns, "link", "set", self.link, "down")

    def heal(self) -> None:
        ip("-n", self.ns, "link", "set", self.link, "up")

    @contextlib.contextmanager
    def deaf_to(self, other: "Host") -> Iterator[None]:
        """Nothing this host sends reaches `other` (a blackhole route), while `other` still
        reaches it: a request arrives and is handled, its answer is lost."""
        ip("-n", self.ns, "route", "add", "blackhole", f"{other.ip}/32")
        try:
            yield
        finally:
            ip("-n", self.ns, "route", "del", "blackhole", f"{other.ip}/32")

    @contextlib.contextmanager
    def partitioned_from(self, others: list["Host"]) -> Iterator[None]:
        """A network partition: nothing passes between this host and `others` either way (a
        blackhole route on each side; packets are dropped, no error reaches the far side)."""
        pairs = [(self, other) for other in others] + [(other, self) for other in others]
        for host, far in pairs:
            ip("-n", host.ns, "route", "add", "blackhole", f"{far.ip}/32")
        try:
            yield
        finally:
            for host, far in pairs:
                ip("-n", host.ns, "route", "del", "blackhole", f"{far.ip}/32")

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Run the calling thread in this host's network namespace (threads it starts inherit it)."""
        here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        there = os.open(f"/run/netns/{self.ns}", os.O_RDONLY)
        try:
            os.setns(there, os.CLONE_NEWNET)
            yield
        finally:
            os.setns(here, os.CLONE_NEWNET)
            os.close(here)
            os.close(there)


class Cluster:
    """Conveyor on 11 hosts; `up()` builds and starts everything, `down()` removes every trace."""

    def __init__(self) -> None:
        self.run = f"cvy{secrets.token_hex(2)}"
        self.bridge = f"{self.run}br"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.run}-"))
        self.hosts = {name: Host(self, name, octet) for name, octet in LAYOUT.items()}
        self.token = ""
        self.starts = 0
        self.worker_names: dict[str, str] = {}  # host -> the name of the worker last started there

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    # --- configuration ----------------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        return f"postgres://postgres@{self['db'].ip}:5432/postgres"

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [(self["sentinel"].ip, port) for port in SENTINEL_PORTS]

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every Conveyor process: docs/operations.md's settings, nothing else."""
        return {
            "PATH": f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.workdir),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": "redis:///0",
            "REDIS_SENTINELS": ",".join(f"{host}:{port}" for host, port in self.sentinels),
            "REDIS_SENTINEL_MASTER": MASTER,
            "ALLOWED_HOSTS": ",".join(self[name].ip for name in ("web1", "web2")),
            "LOG_LEVEL": "WARNING",
            **FAST,
            **extra,
        }

    def manage(self, *argv: str) -> str:
        """Run a manage.py command on the client host (the test's own namespace); its stdout."""
        command = [sys.executable, "manage.py", *argv]
        done = subprocess.run(command, cwd=BASE_DIR, env=self.env(), capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        return done.stdout

    # --- lifecycle --------------------------------------------------------------------------------------
    def build(self) -> None:
        """The bridge and the hosts (in the machine's own namespace)."""
        ip("link", "add", self.bridge, "type", "bridge")
        ip("link", "set", self.bridge, "up")
        for host in self.hosts.values():
            host.create()

    def start_postgres(self) -> None:
        data = self.workdir / "pg"
        self["db"].start(
            "postgres",
            f"{PG_BINS[-1]}/postgres",
            "-D",
            str(data),
            "-c",
            f"listen_addresses={self['db'].ip}",
            "-c",
            f"unix_socket_directories={data}",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
            user="postgres",
        )

    def start_redis(self, name: str, *options: str) -> None:
        host = self[name]
        data = self.workdir / name
        data.mkdir(exist_ok=True)
        host.start(
            "redis",
            "redis-server",
            "--bind",
            host.ip,
            "--port",
            "6379",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--maxmemory-policy",
            "noeviction",
            "--save",
            "",
            "--protected-mode",
            "no",  # no password: only the cluster's namespaces can reach it
            *options,
        )

    def start_web(self, name: str) -> None:
        argv = (sys.executable, "-m", "config.web", "--host", self[name].ip, "--port", "8000", "--workers", "1")
        self[name].start("web", *argv, env=self.env())

    def start_worker(self, name: str) -> str:
        """Start a worker on host `name`; its worker name (new at each start: RQ refuses to start a
        worker under the name of one its registry still lists, as it does a killed one's)."""
        self.starts += 1
        worker = f"{name}-{self.run}-{self.starts}"
        argv = (sys.executable, "manage.py", "rqworker", "--name", worker, "high", "default", "low")
        self[name].start("worker", *argv, env=self.env())
        self.worker_names[name] = worker
        return worker

    def workers(self) -> set[str]:
        """The worker names web1 lists (GET /api/v1/workers/)."""
        return {worker["name"] for worker in self.api("web1", "GET", "/api/v1/workers/")[1]}

    def start_scheduler(self, name: str) -> None:
        # INFO: every fire is logged (schedule.fired), for a post-mortem of a slot the ledger misses.
        self[name].start("scheduler", sys.executable, "manage.py", "conveyor_scheduler", env=self.env(LOG_LEVEL="INFO"))

    def up(self) -> None:
        """Start every process and return once the cluster serves (call from the client host)."""
        data = self.workdir / "pg"
        shutil.chown(self.workdir, "postgres")  # the cluster's files are readable by postgres, its own
        self.workdir.chmod(0o755)
        initdb = [f"{PG_BINS[-1]}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres"]
        subprocess.run(["runuser", "-u", "postgres", "--", *initdb], check=True, capture_output=True, timeout=120)
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET}.0/24 trust\n")
        self.start_postgres()
        self.start_redis("redis-a")
        self.start_redis("redis-b", "--replicaof", self["redis-a"].ip, "6379")
        for port in SENTINEL_PORTS:
            conf = self.workdir / f"sentinel-{port}.conf"
            conf.write_text(
                f"bind {self['sentinel'].ip}\nport {port}\ndir {self.workdir}\nprotected-mode no\n"
                f"sentinel monitor {MASTER} {self['redis-a'].ip} 6379 2\n"
                f"sentinel down-after-milliseconds {MASTER} 2000\n"
                f"sentinel failover-timeout {MASTER} 10000\n"
            )
            self["sentinel"].start(f"sentinel-{port}", "redis-server", str(conf), "--sentinel")
        wait_until(self.database_answers, timeout=60, interval=0.5)
        wait_until(self.sentinels_ready, timeout=60, interval=0.5)
        self.manage("migrate", "--noinput")
        self.manage("createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com")
        self.token = self.manage("create_token", "admin").strip()
        for name in ("web1", "web2"):
            self.start_web(name)
        for name in ("worker1", "worker2"):
            self.start_worker(name)
        for name in ("scheduler1", "scheduler2"):
            self.start_scheduler(name)
        wait_until(lambda: all(self.web_answers(name) for name in ("web1", "web2")), timeout=90, interval=0.5)
        wait_until(lambda: len(self.workers()) == 2, timeout=90, interval=0.5)

    def restore(self) -> None:
        """Bring back whatever a fault took (links, stopped or lost processes); return once
        the cluster serves as at the start."""
        starters = {
            **dict.fromkeys(("redis-a", "redis-b"), self.start_redis),
            **dict.fromkeys(("web1", "web2"), self.start_web),
            **dict.fromkeys(("worker1", "worker2"), self.start_worker),
            **dict.fromkeys(("scheduler1", "scheduler2"), self.start_scheduler),
        }
        for host in self.hosts.values():
            host.signal_all(signal.SIGCONT)
            host.heal()
        for name, start in starters.items():
            if not self[name].pids():
                start(name)  # a lost Redis primary comes back as the new one's replica (Sentinel makes it so)
        wait_until(self.sentinels_ready, timeout=60, interval=0.5)
        wait_until(lambda: all(self.web_answers(name) for name in ("web1", "web2")), timeout=90, interval=0.5)
        wait_until(lambda: set(self.worker_names.values()) <= self.workers(), timeout=90, interval=0.5)
        # A backlog the fault left (one worker host for a while) is worked off before the next fault.
        wait_until(lambda: self.backlog() < BACKLOG, timeout=120, interval=0.5)

    def backlog(self) -> int:
        """Jobs waiting in Redis on every queue now."""
        redis = self.redis()
        return sum(int(redis.llen(f"rq:queue:{queue}")) for queue in ("high", "default", "low"))

    def down(self) -> None:
        """Kill every process of every host, delete the namespaces, the bridge and the files."""
        for host in self.hosts.values():
            host.signal_all(signal.SIGCONT)
            host.signal_all(signal.SIGKILL)
        for host in self.hosts.values():
            for process in host.processes.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=15)
            # The peer first: deleting a namespace frees its links only once the kernel is done
            # with it, which left peers on the bridge for minutes after a run here.
            subprocess.run(["ip", "link", "del", host.peer], capture_output=True, check=False)
            subprocess.run(["ip", "netns", "del", host.ns], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)
        logs = BASE_DIR / "var" / "cluster" / self.run  # every process's output, kept for a post-mortem
        logs.mkdir(parents=True, exist_ok=True)
        for log in self.workdir.glob("*.log"):
            shutil.copy(log, logs)
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- probes (from the client host) ------------------------------------------------------------------
    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.database_url, connect_timeout=3, autocommit=True)

    def database_answers(self) -> bool:
        try:
            self.connect().close()
        except psycopg.Error:
            return False
        return True

    def sentinel(self, port: int = SENTINEL_PORTS[0]) -> redis.Redis:
        return redis.Redis(self["sentinel"].ip, port, socket_timeout=2, decode_responses=True)

    def redis(self) -> redis.Redis:
        """A client of the Redis master the sentinels name now (database 0, Conveyor's)."""
        return redis.Redis(self.master_address(), 6379, socket_timeout=2)

    def master_address(self) -> str | None:
        """The master's address as the sentinels agree on it (None while they disagree or fail)."""
        try:
            answers = {tuple(self.sentinel(port).sentinel_get_master_addr_by_name(MASTER)) for port in SENTINEL_PORTS}
        except redis.RedisError:
            return None
        return str(next(iter(answers))[0]) if len(answers) == 1 else None

    def sentinels_ready(self) -> bool:
        """Every sentinel sees the master, the replica and the two other sentinels."""
        try:
            for port in SENTINEL_PORTS:
                client = self.sentinel(port)
                if len(client.sentinel_slaves(MASTER)) != 1 or len(client.sentinel_sentinels(MASTER)) != 2:
                    return False
        except redis.RedisError:
            return False
        return True

    def web_answers(self, name: str) -> bool:
        try:
            return self.api(name, "GET", "/healthz")[0] == 200
        except OSError:
            return False

    def api(
        self, name: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        """One request to web host `name`: (status, JSON body or None, headers); OSError if no answer."""
        connection = http.client.HTTPConnection(self[name].ip, 8000, timeout=5)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", **(headers or {})}
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return response.status, payload, {k.lower(): v for k, v in response.getheaders()}


@dataclass
class Submit:
    """One submit as the client saw it: every answer, and the job id once one answered 202."""

    key: str
    at: float
    answers: list[tuple[str, int | str, dict[str, Any]]] = field(default_factory=list)
    job: str | None = None


class Load:
    """Steady submits through both web hosts, a thread each, until stopped.

    A submit that gets no answer (the web host died mid-request, a reset) is sent again with the
    same Idempotency-Key to the other web host, as a careful client would; a 503 or 429 with
    Retry-After is retried on the same host after a short pause. Every answer is kept.
    """

    BODY = {"task": "demo.sleep", "kwargs": {"seconds": 0.2, "steps": 1}, "max_retries": 1, "retry_intervals": [0]}

    def __init__(self, cluster: Cluster, every: float = 1.0) -> None:
        self.cluster, self.every = cluster, every
        self.submits: list[Submit] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(name,), daemon=True) for name in ("web1", "web2")]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _run(self, home: str) -> None:
        other = {"web1": "web2", "web2": "web1"}[home]
        while not self._stop.wait(self.every):
            submit = Submit(key=str(uuid.uuid4()), at=time.time())
            self.submits.append(submit)
            host = home
            for _ in range(20):  # bounded: a submit is given up after 20 answers or failures
                try:
                    status, body, headers = self.cluster.api(
                        host, "POST", "/api/v1/jobs/", self.BODY, {"Idempotency-Key": submit.key}
                    )
                except OSError as exc:
                    submit.answers.append((host, type(exc).__name__, {}))
                    host = other if host == home else home
                    continue
                submit.answers.append((host, status, {"body": body, **headers}))
                if status == 202:
                    submit.job = body["id"]
                    break
                if status not in (409, 429, 503):
                    break
                time.sleep(min(float(headers.get("retry-after", 1)), 2))

    def accepted(self, before: float = float("inf"), after: float = 0.0) -> list[str]:
        return [s.job for s in self.submits if s.job and after <= s.at < before]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """The cluster, up for the module's tests; removed at the end even when a test failed."""
    if reason := unavailable():
        pytest.skip(reason)
    built = Cluster()
    try:
        built.build()
        with built["client"].entered():
            built.up()
            yield built
    finally:
        built.down()


@dataclass
class Ledger:
    """What became of a fault's jobs and schedule slots, read from the database (the record)."""

    jobs: int = 0
    succeeded: int = 0
    failed_worker_lost: int = 0
    unfinished: list[str] = field(default_factory=list)
    # a job whose recorded starts differ from its attempt, exceed its retry policy or the failed
    # runs put back for a retry: ran twice
    ran_twice: list[str] = field(default_factory=list)
    # a job that failed for another reason than a lost worker (not a documented end here)
    other_ends: list[str] = field(default_factory=list)
    slots: int = 0
    latest_fire_s: float = 0.0  # the latest a slot fired after its due time
    # (schedule, fire_at) of a gap in a schedule's slots: a slot missed
    missed_slots: list[str] = field(default_factory=list)
    # a schedule's run that no fire row owns: a slot fired twice
    extra_runs: list[str] = field(default_factory=list)
    # a job no 202 told the client of (a retried submit that ran as a second job)
    phantoms: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.unfinished
            or self.ran_twice
            or self.other_ends
            or self.missed_slots
            or self.extra_runs
            or self.phantoms
        )


JOBS_SQL = """
select j.id::text, j.state, j.attempt, j.max_retries, j.error,
       array(select h.state from jobs_historicaljob h where h.id = j.id order by h.history_id),
       array(select h.attempt from jobs_historicaljob h where h.id = j.id order by h.history_id)
from jobs_job j where j.id = any(%s::uuid[])
"""
RUNS_SQL = "select id::text from jobs_job where schedule_id = any(%s::uuid[]) and created_at >= %s and created_at < %s"
EXTRA_RUNS_SQL = RUNS_SQL + " and not exists (select 1 from jobs_schedulefire f where f.job_id = jobs_job.id)"
PHANTOMS_SQL = (
    "select id::text from jobs_job where schedule_id is null and created_at >= %s and not id = any(%s::uuid[])"
)
PERIODS_SQL = "select id::text, coalesce(every_seconds, 60) from jobs_schedule where id = any(%s::uuid[])"
FIRES_SQL = """
select f.schedule_id::text, extract(epoch from f.fire_at), extract(epoch from f.fired_at - f.fire_at)
from jobs_schedulefire f
where f.schedule_id = any(%s::uuid[]) and f.fire_at >= %s and f.fire_at < %s order by 1, 3
"""


@dataclass(frozen=True)
class Fire:
    """One fire row as the ledger reads it: its schedule, the slot's due time (epoch seconds)
    and how late it fired (seconds)."""

    schedule: str
    at: float
    late: float


def starts_and_retries(history: list[tuple[str, int]]) -> tuple[int, int]:
    """From a job's recorded (state, attempt) rows, oldest first: how often it started (a row
    whose attempt went up: a run marked running, or a short run's start and end in one change)
    and how often a run was put back for a retry (`scheduled` again after a start)."""
    steps = list(itertools.pairwise([("", 0), *history]))
    starts = sum(1 for (_, before), (_, after) in steps if after > before)
    retries = sum(1 for (before, _), (after, attempt) in steps if after == "scheduled" != before and attempt > 0)
    return starts, retries


def missed_slots(periods: dict[str, float], fires: list[Fire], since: float, until: float) -> list[str]:
    """The slots due in [since, until) that no fire covers, of the schedules `periods` gives the
    period of: a gap longer than a period between two fires, or between a window's end and the
    fire nearest it (a schedule that never fired misses every slot of the window).

    The window is exact to the microsecond: a fire due just before `until` counts (a window
    cut to whole seconds dropped it, and the gap it left read as a slot never fired).
    """
    missed = []
    for schedule, period in periods.items():
        slots = [fire for fire in fires if fire.schedule == schedule and since <= fire.at < until]
        times = [since, *sorted(fire.at for fire in slots), until]
        for earlier, later in itertools.pairwise(times):
            if later - earlier > period + 0.5:  # a grid point between two fires (or the window's ends)
                missed.append(f"{schedule} after {earlier:.3f}")
    return missed


def ledger_of(cluster: Cluster, jobs: list[str], schedules: list[str], since: float, until: float) -> Ledger:
    """The ledger of the submitted `jobs` and of `schedules`' slots due in [since, until).

    Every slot on a schedule's grid must have exactly one fire (outages here are shorter than
    the 60 s misfire grace, within which every missed slot still fires once, late), every run a
    fire, and every job must end `succeeded`, or `failed` with WorkerLost after its last attempt,
    with as many recorded starts as attempts.
    """
    start, end = (datetime.fromtimestamp(t, UTC) for t in (since, until))
    with cluster.connect() as db:
        fire_rows = db.execute(FIRES_SQL, [schedules, start, end]).fetchall()
        fires = [Fire(schedule, float(at), float(late)) for schedule, at, late in fire_rows]
        periods = {schedule: float(period) for schedule, period in db.execute(PERIODS_SQL, [schedules]).fetchall()}
        runs = [row[0] for row in db.execute(RUNS_SQL, [schedules, start, end]).fetchall()]
        rows = db.execute(JOBS_SQL, [[*jobs, *runs]]).fetchall()
        ledger_extra = [row[0] for row in db.execute(EXTRA_RUNS_SQL, [schedules, start, end]).fetchall()]
        phantoms = [row[0] for row in db.execute(PHANTOMS_SQL, [start, jobs]).fetchall()]
    ledger = Ledger(jobs=len(rows), slots=len(fires), extra_runs=ledger_extra, phantoms=phantoms)
    for job, state, attempt, max_retries, error, states, attempts in rows:
        starts, retries = starts_and_retries(list(zip(states, attempts, strict=True)))
        if state not in ("succeeded", "failed", "canceled"):
            ledger.unfinished.append(f"{job} {state}")
        elif state == "succeeded":
            ledger.succeeded += 1
        elif state == "failed" and (error or {}).get("type") == "WorkerLost" and attempt == max_retries + 1:
            ledger.failed_worker_lost += 1
        else:
            ledger.other_ends.append(f"{job} {state} {error}")
        # A start that no failed run put back (a late pop of a job already run) is a second run.
        if attempt != starts or starts > max_retries + 1 or starts > retries + 1:
            ledger.ran_twice.append(f"{job} attempt {attempt}, {starts} starts, {retries} retries")
    ledger.latest_fire_s = round(max((fire.late for fire in fires), default=0.0), 1)
    ledger.missed_slots = missed_slots(periods, fires, since, until)
    return ledger


def settle(cluster: Cluster, jobs: list[str], schedules: list[str], since: float, until: float) -> Ledger:
    """The ledger once it is clean, or as it stands after 90 s: a job still running or a slot not
    fired yet (a busy scheduler fires late; a slot's fire row is keyed by its due time) is given
    that long to end or fire."""
    deadline = time.monotonic() + 90
    while True:
        ledger = ledger_of(cluster, jobs, schedules, since, until)
        if ledger.clean or time.monotonic() > deadline:
            return ledger
        time.sleep(1)


FIGURES = BASE_DIR / "var" / "cluster" / "figures.jsonl"


def record(fault: str, **figures: Any) -> None:
    """Append one fault's figures to var/cluster/figures.jsonl (docs/robustness.md quotes them)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as out:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        out.write(json.dumps({"fault": fault, "at": at, **figures}) + "\n")
