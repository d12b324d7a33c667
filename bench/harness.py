"""The harness of `python -m bench`: the plan, the stores and web services the scenarios share,
load-generator runs with CPU accounting, profiled runs, and the results of a whole run."""

import datetime as dt
import http.client
import json
import os
import platform
import subprocess
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg

from bench import profiling
from bench import services as sv

CONNECTIONS = 8  # of every closed-loop run unless a scenario says otherwise
BATCH_SIZE = 1000  # the largest batch the API accepts (jobs.services.jobs.BATCH_MAX)
PROFILES = sv.VAR / "profiles"


@dataclass(frozen=True)
class Plan:
    """How a whole run goes: its mode, how many measured runs each scenario makes, its time budget."""

    name: str
    runs: int
    budget_s: float  # the whole run must end within this
    warm: bool  # separate warm-up runs before the measured ones


FULL = Plan(name="full", runs=3, budget_s=14 * 60, warm=True)
# The smoke budget has headroom, so that a busy machine does not skip scenarios.
SMOKE = Plan(name="smoke", runs=1, budget_s=240, warm=False)


def no_notes(entry: dict[str, Any], results: dict[str, Any]) -> list[str]:
    return []


@dataclass(frozen=True)
class Scenario[ScenarioPlan]:
    """One benchmark: what docs/benchmarks.md says of it, its plan in each mode, and how it runs."""

    name: str
    title: str
    description: str
    full: ScenarioPlan
    smoke: ScenarioPlan
    estimate_s: float  # rough seconds in full mode, to skip it when it no longer fits the budget
    run: Callable[["Bench", ScenarioPlan], dict[str, Any]]
    stop_after: tuple[str, ...] = ()  # the web services (keys of WEBS) to stop once it is over
    notes: Callable[[dict[str, Any], dict[str, Any]], list[str]] = no_notes  # lines after its table
    runs_when: Callable[[ScenarioPlan], bool] = field(default=lambda plan: True)

    def plan(self, mode: Plan) -> ScenarioPlan:
        return self.full if mode.name == "full" else self.smoke


class Api:
    """A keep-alive http.client connection to Conveyor's API for setup calls."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        payload = None if body is None else json.dumps(body)
        for attempt in range(2):
            try:
                self.conn.request(method, path, payload, {**self.headers, **(headers or {})})
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:500]!r}")
        return (json.loads(data) if data else None), dict(response.getheaders())

    def close(self) -> None:
        self.conn.close()


# The web services the scenarios share, each with its own settings as shipped: Conveyor, the
# hand-written baseline view served as Conveyor is and under gunicorn gthread, Celery's Flower.
WEBS: dict[str, Callable[[], tuple[sv.Service, int]]] = {
    "app": lambda: sv.start_web("web-conveyor", "config.asgi:application", sv.app_env(), "/healthz"),
    "base": lambda: sv.start_web("web-baseline", "bench.baseline.asgi:application", sv.baseline_env(), "/"),
    "gthread": lambda: sv.start_gunicorn(
        "web-baseline-gthread", "bench.baseline.wsgi:application", sv.baseline_env(), "/"
    ),
    "flower": sv.start_flower,
}


class Bench:
    """One run: the services it started, the tokens of its users, and its results."""

    def __init__(self, plan: Plan, only: set[str] | None = None) -> None:
        self.plan = plan
        self.only = only
        self.started = time.monotonic()
        self.results: dict[str, Any] = {"scenarios": {}}
        self.services: list[sv.Service] = []
        self.webs: dict[str, tuple[sv.Service, int]] = {}
        self.token = self.client_token = ""
        self.pg_watch: sv.PgWatch | None = None

    def remaining(self) -> float:
        return self.plan.budget_s - (time.monotonic() - self.started)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def web(self, key: str) -> tuple[sv.Service, int]:
        """A running web service and its port (keys of WEBS)."""
        return self.webs[key]

    def api(self) -> Api:
        return Api(self.web("app")[1], self.token)

    def spec(self, port: int, requests: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        """A load-generator spec: `requests` round-robin on CONNECTIONS keep-alive connections."""
        return {"host": "127.0.0.1", "port": port, "connections": CONNECTIONS, "requests": requests, **kwargs}

    def setup(self) -> None:
        """Fresh databases (full mode) migrated, the bench's Redis dbs emptied, its users' tokens."""
        sv.check_stores()
        fresh = self.plan.name == "full"
        started = time.monotonic()
        sv.ensure_database(sv.APP_DB, fresh=fresh)
        sv.ensure_database(sv.BASE_DB, fresh=fresh)
        for db in (sv.FLOWER_REDIS_DB, sv.APP_REDIS_DB, sv.BASE_REDIS_DB, sv.RAW_REDIS_DB):
            sv.flush_redis(db)
        migrate(
            ([sv.PYTHON, "manage.py", "migrate", "--noinput"], sv.app_env()),
            ([sv.PYTHON, "-m", "django", "migrate", "--run-syncdb", "--noinput"], sv.baseline_env()),
        )
        try:
            sv.manage(["createsuperuser", "--noinput"], env=sv.app_env(**superuser_env()))
        except RuntimeError as exc:
            if "already taken" not in str(exc) and "already exists" not in str(exc):
                raise
        self.token = sv.manage(["create_token", sv.BENCH_USER, "--name", "bench"]).strip().splitlines()[-1]
        self.client_token = sv.django_task("client_token", username=sv.BENCH_CLIENT)["token"]
        self.results["meta"]["machine"]["pg_commit_ms"] = sv.pg_commit_latency(sv.APP_DB)
        self.results["meta"]["machine"]["pg_connect_ms"] = sv.pg_connect_latency(sv.APP_DB)
        self.results["setup_seconds"] = round(time.monotonic() - started, 1)

    def start_webs(self) -> None:
        """Every web service of WEBS at once."""
        errors: dict[str, BaseException] = {}

        def start(key: str) -> None:
            try:
                self.webs[key] = WEBS[key]()
            except BaseException as exc:
                errors[key] = exc

        threads = [threading.Thread(target=start, args=(key,)) for key in WEBS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.services += [self.webs[key][0] for key in WEBS if key in self.webs]
        for error in errors.values():
            raise RuntimeError(f"web server failed to start: {error}")

    def stop_all(self) -> None:
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception as exc:  # keep stopping the others
                print(f"bench: could not stop {service.name}: {exc}")
        self.services.clear()

    def stop_web(self, key: str) -> None:
        """Stop one of the web services before the next scenarios."""
        if key in self.webs:
            service, _port = self.webs.pop(key)
            service.stop()
            self.services.remove(service)

    def reset_jobs(self) -> None:
        """Forget every unfinished job (rows canceled, the app's Redis db emptied)."""
        with sv.pg_connect(sv.APP_DB) as conn:
            conn.execute(
                "UPDATE jobs_job SET state = 'canceled', ended_at = now() "
                "WHERE state IN ('queued', 'scheduled', 'deferred', 'running')"
            )
        sv.flush_redis(sv.APP_REDIS_DB)

    def scenario(self, scenario: Scenario[Any]) -> None:
        """Run one scenario (unless --only leaves it out or the budget no longer fits it)."""
        name = scenario.name
        if self.only and name not in self.only:
            return
        entry: dict[str, Any] = {"status": "ok"}
        estimate = scenario.estimate_s if self.plan.name == "full" else 5
        if self.remaining() < estimate:
            entry = {"status": "skipped", "reason": f"not enough time left ({self.remaining():.0f} s)"}
            self.results["scenarios"][name] = entry
            print(f"bench: {name} skipped: {entry['reason']}", flush=True)
            return
        started = time.monotonic()
        print(f"bench: {name} ...", flush=True)
        try:
            # Nothing drains the bench's submits: each scenario starts from an empty queue, far
            # below its cap (QUEUE_MAX_DEPTH answers 503 at it, and a queue past half of it turns
            # the staff submit's admission skip off), whatever ran before.
            self.reset_jobs()
            entry.update(scenario.run(self, scenario.plan(self.plan)))
        except Exception as exc:
            entry = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
            print(f"bench: {name} FAILED: {entry['error']}", flush=True)
        entry["seconds"] = round(time.monotonic() - started, 1)
        self.results["scenarios"][name] = entry
        print(f"bench: {name} {entry['status']} in {entry['seconds']} s", flush=True)

    def load(
        self, service: sv.Service | None, spec: dict[str, Any], attempts: int = 3, tolerate: bool = False
    ) -> dict[str, Any]:
        """Run the load generator once, with CPU accounting of the web tree and the stores.

        A run where more than 2% of requests failed is run again (up to `attempts` times in all):
        the shared PostgreSQL refuses connections when other users fill it (`too many clients`);
        the peak connection count during each run is recorded with it."""
        failed: list[dict[str, Any]] = []
        for _ in range(attempts):
            before = sv.cpu_snapshot(service.pid if service else None)
            started = time.monotonic()
            result = sv.loadgen(spec)
            after = sv.cpu_snapshot(service.pid if service else None)
            total = sum(result.get("statuses", {}).values())
            result["cpu"] = sv.cpu_delta(before, after, total)
            result["cpu"]["client_ms_per_req"] = round(1000 * result.get("client_cpu_s", 0) / max(1, total), 2)
            if self.pg_watch is not None:
                result["pg_peak_connections"] = self.pg_watch.peak(started, time.monotonic())
            if tolerate or (total and result.get("errors", 0) <= 0.02 * total and result.get("requests")):
                break
            failed.append({k: result.get(k) for k in ("errors", "error_samples", "pg_peak_connections")})
            print(f"bench: a run had {result.get('errors')} errors of {total}; running it again", flush=True)
        result["failed_attempts"] = failed
        if tolerate:
            return result
        if total and result.get("errors", 0) > 0.1 * total:
            raise RuntimeError(f"{result['errors']} of {total} requests failed: {result.get('error_samples')}")
        if not result.get("requests"):
            raise RuntimeError(f"no request succeeded: {result.get('error_samples')}")
        return result

    def profile_run(self, label: str, service: sv.Service, spec: dict[str, Any]) -> dict[str, Any]:
        """One extra run under py-spy (GIL samples: where the web process spends CPU)."""
        PROFILES.mkdir(parents=True, exist_ok=True)
        output = PROFILES / f"{label}.txt"
        output.unlink(missing_ok=True)
        spy = profiling.record(service.pid, int(spec.get("duration", 8)) - 1, output)
        if spy is None:
            return {"skipped": "py-spy is not installed (.venv/bin/pip install py-spy)"}
        try:
            result = sv.loadgen(spec)
            spy.wait(30)
        finally:
            if spy.poll() is None:
                spy.kill()
                spy.wait(5)
        if not output.exists():
            return {"skipped": "py-spy wrote no profile (ptrace not permitted?)"}
        summary = profiling.summarize(output)
        summary["run"] = {k: result.get(k) for k in ("rps", "p50_ms", "p99_ms")}
        summary["file"] = str(output.relative_to(sv.ROOT))
        return summary

    def run(self, scenarios: Iterable[Scenario[Any]]) -> None:
        """Set up, run the scenarios in order (stopping the web services each one lists after
        it), stop everything, and complete the results' meta."""
        scenarios = list(scenarios)
        self.results["meta"] = describe(self.plan, scenarios)
        self.pg_watch = sv.PgWatch().__enter__()
        try:
            self.setup()
            self.start_webs()
            for scenario in scenarios:
                if scenario.runs_when(scenario.plan(self.plan)):
                    self.scenario(scenario)
                for key in scenario.stop_after:
                    self.stop_web(key)
        except Exception as exc:
            self.results["error"] = f"{type(exc).__name__}: {exc}"
            self.results["traceback"] = traceback.format_exc()
            print(f"bench: FAILED: {self.results['error']}", flush=True)
        finally:
            self.stop_all()
            self.pg_watch.__exit__(None, None, None)
        meta = self.results["meta"]
        meta["pg_peak_connections"] = self.pg_watch.peak(0, time.monotonic())
        meta["runs_retried"] = sum(
            len(run.get("failed_attempts", []))
            for entry in self.results["scenarios"].values()
            for run in _all_runs(entry)
        )
        meta["duration_s"] = round(time.monotonic() - self.started, 1)
        meta["loadavg_end"] = os.getloadavg()


def conveyor_worker(kind: str, burst: bool = False) -> sv.Service:
    """`manage.py rqworker [--burst] high default low` with CONVEYOR_WORKER=fork|simple."""
    argv = [sv.PYTHON, "manage.py", "rqworker", *(["--burst"] if burst else []), "high", "default", "low"]
    return sv.Service(f"worker-{kind}{'-burst' if burst else ''}", argv, sv.app_env(CONVEYOR_WORKER=kind))


def stock_worker(kind: str, burst: bool = False) -> sv.Service:
    """Stock RQ's Worker (fork) or SimpleWorker with the JSON serializer on the raw Redis db."""
    argv = [sv.PYTHON, "-m", "bench.rqbench", "work", "--url", sv.redis_url(sv.RAW_REDIS_DB), "--kind", kind]
    return sv.Service(f"rq-{kind}{'-burst' if burst else ''}", argv + (["--burst"] if burst else []), sv.app_env())


def plan_fields(plan: Plan, scenarios: list[Scenario[Any]]) -> dict[str, Any]:
    """The results file's "plan": the run's own fields, then every scenario's."""
    fields = asdict(plan)
    for scenario in scenarios:
        fields.update(asdict(scenario.plan(plan)))  # type: ignore[call-overload]
    return fields


PACKAGES = (
    "Django",
    "djangorestframework",
    "rq",
    "django-rq",
    "rq-scheduler",
    "uvicorn",
    "gunicorn",
    "uvloop",
    "httptools",
    "psycopg",
    "redis",
    "django-simple-history",
    "django-reversion",
    "py-spy",
    "celery",
    "flower",
)


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """The CPU, memory, kernel, Python, PostgreSQL and Redis the run measures on."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    cpu_model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    pg_version = redis_version = "unknown"
    try:
        with psycopg.connect(sv.PG_ADMIN, connect_timeout=3) as conn:
            pg_version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            pg_max = str(conn.execute("SHOW max_connections").fetchone()[0])  # type: ignore[index]
        redis_version = str(sv.redis_client(sv.APP_REDIS_DB).info("server")["redis_version"])
    except Exception:
        pg_max = "unknown"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "postgresql_max_connections": pg_max,
        "redis": redis_version,
        "loadavg_start": os.getloadavg(),
    }


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=sv.ROOT, capture_output=True, text=True, check=False).stdout.strip()


def describe(plan: Plan, scenarios: list[Scenario[Any]]) -> dict[str, Any]:
    """The machine, the software and the command."""
    return {
        "mode": plan.name,
        "plan": plan_fields(plan, scenarios),
        "command": ".venv/bin/python -m bench" + (" --smoke" if plan.name == "smoke" else ""),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": {name: version(name) for name in PACKAGES},
        "git": {
            "commit": git("rev-parse", "--short", "HEAD"),
            "tracked_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
        },
        "redis_base": sv.REDIS_BASE.removeprefix("redis://"),
        "env": {
            "DATABASE_URL": sv.pg_url(sv.APP_DB),
            "REDIS_URL": sv.redis_url(sv.APP_REDIS_DB),
            "CONVEYOR_ENV": "development",
            "LOG_LEVEL": "WARNING",
        },
    }


def migrate(*commands: tuple[list[str], dict[str, str]]) -> None:
    """Run the migrate commands side by side; raise if one fails."""
    procs = [
        subprocess.Popen(argv, cwd=sv.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for argv, env in commands
    ]
    for proc in procs:
        try:
            _, err = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
        if proc.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{err[-3000:]}")


def superuser_env() -> dict[str, str]:
    return {
        "DJANGO_SUPERUSER_USERNAME": sv.BENCH_USER,
        "DJANGO_SUPERUSER_EMAIL": "bench@example.com",
        "DJANGO_SUPERUSER_PASSWORD": uuid.uuid4().hex,
    }


def _all_runs(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Every load-generator result in a scenario's data, wherever it is nested."""
    found: list[dict[str, Any]] = []
    pending: list[Any] = [entry.get("runs")]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if "failed_attempts" in item:
                found.append(item)
            else:
                pending += list(item.values())
        elif isinstance(item, list):
            pending += item
    return found
