"""Processes and stores the bench starts and talks to: uvicorn, workers, the scheduler,
`manage.py` steps, the load generator, PostgreSQL and Redis.

Every process is started in its own session (process group) and stopped by that group id in
`finally` blocks; every wait has a timeout.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import IO, Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PYTHON = str(VENV_BIN / "python")
VAR = ROOT / "var" / "bench"
LOGS = VAR / "logs"

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
# Where several people bench on one machine, each gives their databases a prefix of their own
# (BENCH_DB_PREFIX=alice_bench) and a Redis server of their own (BENCH_REDIS_URL): the bench
# drops and creates its databases and flushes dbs 12-15 of its Redis.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "bench")
APP_DB = f"{DB_PREFIX}_conveyor"
BASE_DB = f"{DB_PREFIX}_baseline"
FLOWER_REDIS_DB, APP_REDIS_DB, BASE_REDIS_DB, RAW_REDIS_DB = 12, 13, 14, 15
FLOWER_USER, FLOWER_PASSWORD = "bench", "bench-flower"  # a local benchmark fixture
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
REDIS_PORT = urllib.parse.urlsplit(REDIS_BASE).port or 6379
BENCH_USER = "bench"  # a superuser: the audit feed is staff-only
BENCH_CLIENT = "bench-client"  # a plain user


def pg_url(db: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{db}"


def redis_url(db: int) -> str:
    return f"{REDIS_BASE}/{db}"


def redis_client(db: int) -> redis.Redis:
    if db not in (12, 13, 14, 15):
        raise ValueError("the bench only uses Redis dbs 12-15")
    return redis.Redis.from_url(redis_url(db), socket_timeout=30)


def flush_redis(db: int) -> None:
    """FLUSHDB on one of the bench's own dbs (never FLUSHALL)."""
    redis_client(db).flushdb()


def app_env(**extra: str) -> dict[str, str]:
    """The environment of Conveyor's processes in the bench."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=pg_url(APP_DB),
        REDIS_URL=redis_url(APP_REDIS_DB),
        CONVEYOR_ENV="development",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update(extra)
    return env


def baseline_env(**extra: str) -> dict[str, str]:
    env = app_env(**extra)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.baseline.settings",
        BASELINE_DATABASE_URL=pg_url(BASE_DB),
        BASELINE_REDIS_URL=redis_url(BASE_REDIS_DB),
    )
    return env


# --- processes ----------------------------------------------------------------------------------


class Service:
    """A long-running child process in its own process group, logging to var/bench/logs/."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        stdout: int | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.stop_signal = stop_signal
        self.log_path = LOGS / f"{name}.log"
        self._log: IO[bytes] = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else self._log,
            stderr=self._log,
            start_new_session=True,
        )
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM the group, then SIGKILL it if it is still there after `timeout` seconds."""
        try:
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, self.stop_signal)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.pid, signal.SIGKILL)
                    self.proc.wait(10)
            # Children the leader left behind (a horse, a uvicorn worker) share its group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        finally:
            self._log.close()
        return self.proc.returncode

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself; stop it and raise if it takes too long."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(5)
            raise RuntimeError(f"{self.name} did not finish within {timeout:.0f} s (log: {self.log_path})") from None

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, path: str, timeout: float, service: Service) -> None:
    """Wait until the server on `port` answers any HTTP status to `path`."""
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{service.name} did not answer on port {port} within {timeout} s:\n{service.log_tail()}")


def start_web(name: str, app: str, env: dict[str, str], ready_path: str, workers: int = 2) -> tuple[Service, int]:
    """On a free loopback port: an ASGI app (Conveyor's or the baseline's) the way Conveyor ships
    its web server, `python -m config.web --app <app> --workers N` (N uvicorn processes on
    SO_REUSEPORT sockets with TCP_NODELAY)."""
    port = free_port()
    argv = [PYTHON, "-m", "config.web", "--app", app, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers)]
    service = Service(name, argv, env)
    try:
        wait_http(port, ready_path, 60, service)
        # Both workers must be up before any timing: wait for the children, then warm each.
        deadline = time.monotonic() + 30
        while len(children(service.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
    except BaseException:
        service.stop()
        raise
    return service, port


def start_gunicorn(name: str, app: str, env: dict[str, str], ready_path: str) -> tuple[Service, int]:
    """On a free loopback port: a WSGI app the way most Django teams serve one, gunicorn with the
    threaded worker (`gunicorn -w 2 -k gthread --threads 4`)."""
    port = free_port()
    argv = [str(VENV_BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", "2", "--worker-class", "gthread", "--threads", "4"]
    service = Service(name, argv, env)
    try:
        wait_http(port, ready_path, 60, service)
        deadline = time.monotonic() + 30
        while len(children(service.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    except BaseException:
        service.stop()
        raise
    return service, port


def start_flower() -> tuple[Service, int]:
    """On a free loopback port: one Flower process (`celery -A bench.celeryapp flower`) with basic
    auth, submitting to the Celery app's Redis broker (db 12)."""
    port = free_port()
    argv = [PYTHON, "-m", "celery", "-A", "bench.celeryapp", "flower", "--address=127.0.0.1", f"--port={port}"]
    argv.append(f"--basic-auth={FLOWER_USER}:{FLOWER_PASSWORD}")
    service = Service("flower", argv, app_env(BENCH_CELERY_BROKER=redis_url(FLOWER_REDIS_DB)))
    try:
        wait_http(port, "/healthcheck", 60, service)
    except BaseException:
        service.stop()
        raise
    return service, port


def run(argv: list[str], env: dict[str, str], timeout: float, name: str) -> str:
    """Run a command to completion (bounded); return stdout, raise with stderr on failure."""
    try:
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{name} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}\n{done.stdout[-1000:]}")
    return done.stdout


def manage(args: list[str], timeout: float = 120, env: dict[str, str] | None = None) -> str:
    return run([PYTHON, "manage.py", *args], env or app_env(), timeout, f"manage.py {' '.join(args)[:60]}")


def django_task(name: str, timeout: float = 300, **kwargs: Any) -> dict[str, Any]:
    """Run a bench.djtasks step in `manage.py shell -c` and return its result."""
    env = app_env(BENCH_TASK=json.dumps({"name": name, **kwargs}))
    out = manage(["shell", "-c", "from bench.djtasks import main; main()"], timeout=timeout, env=env)
    for line in out.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line.removeprefix("BENCH_RESULT "))  # type: ignore[no-any-return]
    raise RuntimeError(f"djtask {name} printed no result:\n{out[-2000:]}")


def loadgen(spec: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run the load generator in its own process and return its result."""
    limit = timeout or float(spec.get("duration", 10)) + float(spec.get("warmup", 0)) + 90
    try:
        done = subprocess.run(
            [PYTHON, "-m", "bench.loadgen"],
            cwd=ROOT,
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the load generator did not finish within {limit:.0f} s") from None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            data = json.loads(line)
            if data.get("event") == "result":
                return data  # type: ignore[no-any-return]
    raise RuntimeError(f"the load generator failed ({done.returncode}):\n{done.stderr[-3000:]}")


# --- /proc --------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(p) for p in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    result, pending = [], [pid]
    while pending:
        current = pending.pop()
        for child in children(current):
            result.append(child)
            pending.append(child)
    return result


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) in KiB and Threads of a process (empty if it is gone)."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                values[key] = int(rest.split()[0])
    return values


def tree_memory(pid: int) -> dict[str, Any]:
    """RSS of a process and its descendants (the uvicorn master and its workers)."""
    pids = [pid, *descendants(pid)]
    stats = {p: proc_status(p) for p in pids}
    return {
        "rss_mib": round(sum(s.get("VmRSS", 0) for s in stats.values()) / 1024, 1),
        "threads": sum(s.get("Threads", 0) for s in stats.values()),
        "per_process": {str(p): {k: v for k, v in s.items()} for p, s in stats.items()},
    }


# --- PostgreSQL ---------------------------------------------------------------------------------


def pg_connect(db: str) -> psycopg.Connection[Any]:
    return psycopg.connect(pg_url(db), autocommit=True, connect_timeout=5)


def check_stores() -> None:
    """Fail early, with a clear message, when PostgreSQL or Redis is not there."""
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except psycopg.Error as exc:
        raise RuntimeError(f"PostgreSQL is not reachable at 127.0.0.1:5432: {exc}") from None
    try:
        redis.Redis.from_url(redis_url(APP_REDIS_DB), socket_timeout=3).ping()
    except redis.RedisError as exc:
        raise RuntimeError(f"Redis is not reachable at {REDIS_BASE}: {exc}") from None


def ensure_database(name: str, fresh: bool) -> None:
    if not name.startswith(f"{DB_PREFIX}_") or "bench" not in DB_PREFIX:
        raise ValueError(f"the bench only creates databases named {DB_PREFIX}_* (a prefix naming the bench)")
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def pg_connections(db: str) -> int:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (db,)).fetchone()
    return int(row[0]) if row else 0


def pg_sessions(db: str) -> int:
    """Sessions ever opened on `db` (pg_stat_database.sessions, PostgreSQL 14+)."""
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (db,)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def pg_commit_latency(db: str, count: int = 100) -> float:
    """Median milliseconds of a one-row INSERT committed on its own (WAL flush included)."""
    samples = []
    with pg_connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (id bigserial PRIMARY KEY, at timestamptz)")
        try:
            for _ in range(count):
                started = time.perf_counter()
                conn.execute("INSERT INTO bench_commit_probe (at) VALUES (now())")
                samples.append(time.perf_counter() - started)
        finally:
            conn.execute("DROP TABLE IF EXISTS bench_commit_probe")
    samples.sort()
    return round(1000 * samples[len(samples) // 2], 3)


def pg_connect_latency(db: str, count: int = 30) -> float:
    """Median milliseconds to open a new connection and run one query (what each request pays
    when nothing keeps connections open)."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        with psycopg.connect(pg_url(db), connect_timeout=5) as conn:
            conn.execute("SELECT 1").fetchone()
        samples.append(time.perf_counter() - started)
    samples.sort()
    return round(1000 * samples[len(samples) // 2], 3)


class PgWatch:
    """Samples the shared PostgreSQL's connections (per database) twice a second for the whole
    run, so a result can say how crowded the server was while it was measured."""

    def __init__(self) -> None:
        import threading

        self.samples: list[tuple[float, dict[str, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "PgWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
                    while not self._stop.is_set():
                        rows = conn.execute(
                            "SELECT coalesce(datname, '-'), count(*) FROM pg_stat_activity GROUP BY 1"
                        ).fetchall()
                        self.samples.append((time.monotonic(), {str(r[0]): int(r[1]) for r in rows}))
                        del self.samples[:-20000]
                        self._stop.wait(0.5)
            except psycopg.Error:
                self._stop.wait(1)  # the server refused us too: try again

    def peak(self, since: float, until: float) -> dict[str, Any]:
        window = [counts for at, counts in self.samples if since <= at <= until]
        if not window:
            return {"total": None}
        busiest = max(window, key=lambda counts: sum(counts.values()))
        return {"total": sum(busiest.values()), "by_db": dict(sorted(busiest.items(), key=lambda kv: -kv[1])[:4])}


# --- CPU accounting -----------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/stat").read_text()
        return raw[raw.rindex(")") + 2 :].split()
    return []


def cpu_seconds(pid: int, with_reaped_children: bool = False) -> float:
    """User + system CPU seconds of a process (plus its exited, reaped children if asked)."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def _pids_named(comm: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == comm:
                    found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


def system_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def cpu_snapshot(web_pid: int | None) -> dict[str, float]:
    """CPU seconds so far of the web tree, of PostgreSQL (every backend, exited ones through the
    postmaster: all databases, so other tenants count too), of Redis and of the whole machine."""
    postgres = _pids_named("postgres")
    postmaster = min(postgres) if postgres else None
    busy, total = system_busy()
    snapshot = {
        "web": sum(cpu_seconds(p) for p in ([web_pid, *descendants(web_pid)] if web_pid else [])),
        "postgres": sum(cpu_seconds(p) for p in postgres)
        + (cpu_seconds(postmaster, with_reaped_children=True) - cpu_seconds(postmaster) if postmaster else 0.0),
        "redis": sum(cpu_seconds(p) for p in _pids_named("redis-server") if f":{REDIS_PORT}" in _cmdline(p)),
        "machine_busy": busy,
        "machine_total": total,
    }
    return snapshot


def cpu_delta(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request of each part, and how busy the machine was (percent)."""
    n = max(1, requests)
    wall = max(1e-9, after["machine_total"] - before["machine_total"])
    return {
        "web_ms_per_req": round(1000 * (after["web"] - before["web"]) / n, 2),
        "postgres_ms_per_req": round(1000 * (after["postgres"] - before["postgres"]) / n, 2),
        "redis_ms_per_req": round(1000 * (after["redis"] - before["redis"]) / n, 2),
        "machine_busy_percent": round(100 * (after["machine_busy"] - before["machine_busy"]) / wall, 1),
    }
