"""The bench: set up stores and services, run the scenarios, write JSON, render the doc.

Scenarios (docs/benchmarks.md explains each): P1 submit, P2 batch submit, P3 status reads
(200/304), P4 worker throughput, P5 submit→running latency, P6 schedule lateness (full mode
only), P7 audit reads, P8 long-polls during P1, memory, audit write costs, P10 `django.tasks`
`.enqueue()` in-process. P9 (cost as data grows) is `python -m bench.scale` (bench/scale.py).
"""

import base64
import datetime as dt
import http.client
import json
import os
import platform
import statistics
import subprocess
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
from rq import Queue
from rq.serializers import JSONSerializer

from bench import profiling
from bench import services as sv
from bench.rqbench import NOOP

P1_BODY = {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}
# What the worker scenarios run: the job lifecycle alone, as the baselines' no-op task.
NOOP_BODY = {"task": "demo.noop"}
P1_CONNECTIONS = 8
BATCH_SIZE = 1000


@dataclass(frozen=True)
class Plan:
    name: str
    runs: int
    budget_s: float  # the whole run must end within this
    p1_warmup: float
    p1_duration: float
    p1_profile: bool
    p2_batch: int
    p2_batches: int
    p3_duration: float
    p4_jobs: dict[str, int]
    p5_jobs: int
    p6_minutes: int  # 0: skipped
    p6_cron: int
    p6_interval: int
    p7_history: int
    p7_feed_rows: int
    p7_requests: int
    p8_clients: int
    p8_duration: float
    p8_ramp: float  # seconds over which the long-poll clients start
    audit_saves: int
    warm: bool  # separate warm-up runs before the measured ones


FULL = Plan(
    name="full",
    runs=3,
    budget_s=14 * 60,
    p1_warmup=1.0,
    p1_duration=6.0,
    p1_profile=True,
    p2_batch=BATCH_SIZE,
    p2_batches=3,
    p3_duration=4.0,
    p4_jobs={"fork": 120, "simple": 250},
    p5_jobs=250,  # so that the p99 is not just the slowest sample
    p6_minutes=3,
    p6_cron=1000,
    p6_interval=100,
    p7_history=10_000,
    p7_feed_rows=1_000_000,
    p7_requests=200,  # a p99 of 50 samples is their maximum: one stall of the shared machine
    p8_clients=1000,
    p8_duration=6.0,
    p8_ramp=30.0,  # = the wait: their deadlines, and so their re-polls, are spread evenly
    audit_saves=200,
    warm=True,
)

SMOKE = Plan(
    name="smoke",
    runs=1,
    budget_s=240,  # ~60 s on a quiet machine; the headroom keeps a busy one from skipping scenarios
    p1_warmup=0.3,
    p1_duration=1.2,
    p1_profile=False,
    p2_batch=100,
    p2_batches=1,
    p3_duration=0.8,
    p4_jobs={"fork": 15, "simple": 15},
    p5_jobs=5,
    p6_minutes=0,
    p6_cron=0,
    p6_interval=0,
    p7_history=500,
    p7_feed_rows=10_000,
    p7_requests=10,
    p8_clients=5,
    p8_duration=1.2,
    p8_ramp=1.0,
    audit_saves=10,
    warm=False,
)

# Rough seconds each scenario needs in full mode (to skip what no longer fits the budget).
ESTIMATES = {"P10": 40, "P1": 90, "P3": 60, "P2": 30, "P8": 120, "P4": 150, "P5": 90, "P7": 120, "AUDIT": 20, "P6": 240}


# --- small helpers ------------------------------------------------------------------------------


def stat(values: list[float]) -> dict[str, Any]:
    """Median with min-max of per-run values."""
    clean = [float(v) for v in values if v is not None]
    if not clean:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {
        "median": round(statistics.median(clean), 3),
        "min": round(min(clean), 3),
        "max": round(max(clean), 3),
        "runs": [round(v, 3) for v in clean],
    }


def ratio(value: dict[str, Any] | None, baseline: dict[str, Any] | None) -> float | None:
    if not value or not baseline or not value.get("median") or not baseline.get("median"):
        return None
    return round(value["median"] / baseline["median"], 3)


def row(
    metric: str,
    value: dict[str, Any],
    *,
    baseline: dict[str, Any] | None = None,
    baseline_label: str = "",
    target: str = "",
    met: bool | None = None,
    may_be_zero: bool = False,
    unit: str = "",
) -> dict[str, Any]:
    return {
        "metric": metric,
        "unit": unit,
        "baseline_label": baseline_label,
        "baseline": baseline,
        "value": value,
        "ratio": ratio(value, baseline),
        "target": target,
        "met": met,
        "may_be_zero": may_be_zero,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def parse_rq_time(raw: bytes | str | None) -> dt.datetime | None:
    if not raw:
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


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


# --- the bench ----------------------------------------------------------------------------------


class Bench:
    def __init__(self, plan: Plan, only: set[str] | None = None) -> None:
        self.plan = plan
        self.only = only
        self.started = time.monotonic()
        self.results: dict[str, Any] = {"scenarios": {}}
        self.services: list[sv.Service] = []
        self.app: sv.Service | None = None
        self.app_port = 0
        self.base: sv.Service | None = None
        self.base_port = 0
        self.gthread: sv.Service | None = None  # the same baseline app under gunicorn gthread
        self.gthread_port = 0
        self.flower: sv.Service | None = None
        self.flower_port = 0
        self.token = self.client_token = ""
        self.user_id = 0
        self.profiles_dir = sv.VAR / "profiles"
        self.pg_watch: sv.PgWatch | None = None

    # -- infrastructure ----------------------------------------------------------------------

    def remaining(self) -> float:
        return self.plan.budget_s - (time.monotonic() - self.started)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def api(self) -> Api:
        return Api(self.app_port, self.token)

    def spec(self, port: int, requests: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        spec = {"host": "127.0.0.1", "port": port, "connections": P1_CONNECTIONS, "requests": requests}
        spec.update(kwargs)
        return spec

    def setup(self) -> None:
        sv.check_stores()
        fresh = self.plan.name == "full"
        started = time.monotonic()
        sv.ensure_database(sv.APP_DB, fresh=fresh)
        sv.ensure_database(sv.BASE_DB, fresh=fresh)
        for db in (sv.FLOWER_REDIS_DB, sv.APP_REDIS_DB, sv.BASE_REDIS_DB, sv.RAW_REDIS_DB):
            sv.flush_redis(db)
        procs = [
            subprocess.Popen(
                [sv.PYTHON, "manage.py", "migrate", "--noinput"],
                cwd=sv.ROOT,
                env=sv.app_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            subprocess.Popen(
                [sv.PYTHON, "-m", "django", "migrate", "--run-syncdb", "--noinput"],
                cwd=sv.ROOT,
                env=sv.baseline_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        ]
        for proc in procs:
            try:
                _, err = proc.communicate(timeout=180)
            finally:
                if proc.poll() is None:
                    proc.kill()
            if proc.returncode != 0:
                raise RuntimeError(f"migrate failed:\n{err[-3000:]}")
        env = sv.app_env(**self.superuser_env())
        try:
            sv.manage(["createsuperuser", "--noinput"], env=env)
        except RuntimeError as exc:
            if "already taken" not in str(exc) and "already exists" not in str(exc):
                raise
        self.token = sv.manage(["create_token", sv.BENCH_USER, "--name", "bench"]).strip().splitlines()[-1]
        self.client_token = sv.django_task("client_token", username=sv.BENCH_CLIENT)["token"]
        with sv.pg_connect(sv.APP_DB) as conn:
            found = conn.execute("SELECT id FROM auth_user WHERE username = %s", (sv.BENCH_USER,)).fetchone()
            self.user_id = int(found[0]) if found else 0
        self.results["meta"]["machine"]["pg_commit_ms"] = sv.pg_commit_latency(sv.APP_DB)
        self.results["meta"]["machine"]["pg_connect_ms"] = sv.pg_connect_latency(sv.APP_DB)
        self.results["setup_seconds"] = round(time.monotonic() - started, 1)

    def start_webs(self) -> None:
        # All three at once, each with its own settings as shipped.
        app_env = sv.app_env()
        base_env = sv.baseline_env()
        holder: dict[str, Any] = {}

        def start(key: str, name: str, app: str, env: dict[str, str], path: str) -> None:
            try:
                if key == "flower":
                    holder[key] = sv.start_flower()
                elif key == "gthread":
                    holder[key] = sv.start_gunicorn(name, app, env, path)
                else:
                    holder[key] = sv.start_web(name, app, env, path)
            except BaseException as exc:
                holder[key + "_error"] = exc

        threads = [
            threading.Thread(
                target=start, args=("app", "web-conveyor", "config.asgi:application", app_env, "/healthz")
            ),
            threading.Thread(
                target=start, args=("base", "web-baseline", "bench.baseline.asgi:application", base_env, "/")
            ),
            threading.Thread(
                target=start, args=("gthread", "web-baseline-gthread", "bench.baseline.wsgi:application", base_env, "/")
            ),
            threading.Thread(target=start, args=("flower", "flower", "", {}, "")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        for key in ("app", "base", "gthread", "flower"):
            if key in holder:
                service, port = holder[key]
                self.services.append(service)
                setattr(self, key, service)
                setattr(self, f"{key}_port", port)
        for key in ("app_error", "base_error", "gthread_error", "flower_error"):
            if key in holder:
                raise RuntimeError(f"web server failed to start: {holder[key]}")

    def stop_all(self) -> None:
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception as exc:  # keep stopping the others
                print(f"bench: could not stop {service.name}: {exc}")
        self.services.clear()

    def stop(self, key: str) -> None:
        """Stop one of the web services ("base", "gthread", "flower") before the next scenarios."""
        service = getattr(self, key)
        if service is not None:
            service.stop()
            self.services.remove(service)
            setattr(self, key, None)

    def reset_jobs(self) -> None:
        """Forget every unfinished job (rows canceled, the app's Redis db emptied)."""
        with sv.pg_connect(sv.APP_DB) as conn:
            conn.execute(
                "UPDATE jobs_job SET state = 'canceled', ended_at = now() "
                "WHERE state IN ('queued', 'scheduled', 'deferred', 'running')"
            )
        sv.flush_redis(sv.APP_REDIS_DB)

    def scenario(self, name: str, func: Callable[[], dict[str, Any]]) -> None:
        if self.only and name not in self.only:
            return
        entry: dict[str, Any] = {"status": "ok"}
        estimate = ESTIMATES.get(name, 60) if self.plan.name == "full" else 5
        if self.remaining() < estimate:
            entry = {"status": "skipped", "reason": f"not enough time left ({self.remaining():.0f} s)"}
            self.results["scenarios"][name] = entry
            print(f"bench: {name} skipped: {entry['reason']}", flush=True)
            return
        started = time.monotonic()
        print(f"bench: {name} ...", flush=True)
        try:
            entry.update(func())
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

    # -- P1 ----------------------------------------------------------------------------------

    def p1_requests(self) -> dict[str, list[dict[str, Any]]]:
        body = json.dumps(P1_BODY)
        flower_auth = base64.b64encode(f"{sv.FLOWER_USER}:{sv.FLOWER_PASSWORD}".encode()).decode()
        flower_headers = {"Authorization": f"Basic {flower_auth}", "Content-Type": "application/json"}
        return {
            "conveyor": [{"method": "POST", "path": "/api/v1/jobs/", "headers": self.auth(), "body": body}],
            "baseline": [{"method": "POST", "path": "/jobs/", "body": body}],
            "baseline_gthread": [{"method": "POST", "path": "/jobs/", "body": body}],
            # The same kwargs to a Celery task of the same signature (bench/celeryapp.py).
            "flower": [
                {
                    "method": "POST",
                    "path": "/api/task/async-apply/bench.noop",
                    "headers": flower_headers,
                    "body": json.dumps({"kwargs": P1_BODY["kwargs"]}),
                }
            ],
        }

    def p1(self) -> dict[str, Any]:
        plan = self.plan
        assert self.app is not None and self.base is not None and self.gthread is not None
        assert self.flower is not None
        requests = self.p1_requests()
        targets = {  # name: (service, port, expected status, database)
            "conveyor": (self.app, self.app_port, 202, sv.APP_DB),
            "baseline": (self.base, self.base_port, 202, sv.BASE_DB),
            "baseline_gthread": (self.gthread, self.gthread_port, 202, sv.BASE_DB),
            "flower": (self.flower, self.flower_port, 200, None),
        }
        for name, (_service, port, code, _db) in targets.items() if plan.warm else []:
            sv.loadgen(self.spec(port, requests[name], duration=max(0.5, plan.p1_warmup), expect=[code]))
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        names = list(targets)
        for index in range(plan.runs):
            shift = index % len(names)  # each takes its turn going first
            for name in names[shift:] + names[:shift]:
                service, port, code, db = targets[name]
                sessions = sv.pg_sessions(db) if db else 0
                spec = self.spec(port, requests[name], warmup=plan.p1_warmup, duration=plan.p1_duration, expect=[code])
                result = self.load(service, spec)
                total = sum(result["statuses"].values())
                if db:
                    result["pg_sessions_per_request"] = round((sv.pg_sessions(db) - sessions) / max(1, total), 2)
                runs[name].append(result)
        memory = {name: sv.tree_memory(service.pid) for name, (service, *_rest) in targets.items()}
        self.results["memory_web_after_p1"] = memory

        def pick(name: str, key: str) -> dict[str, Any]:
            return stat([r[key] for r in runs[name]])

        def pick_cpu(name: str, key: str) -> dict[str, Any]:
            return stat([r["cpu"][key] for r in runs[name]])

        # The baseline is the hand-written view as served fastest in this run.
        servings = {"baseline": "on uvicorn + a2wsgi", "baseline_gthread": "on gunicorn gthread -w 2 --threads 4"}
        base = max(servings, key=lambda name: pick(name, "rps")["median"] or 0)
        rps_ratio = ratio(pick("conveyor", "rps"), pick(base, "rps")) or 0
        flower_ratio = ratio(pick("conveyor", "rps"), pick("flower", "rps")) or 0
        p99 = pick("conveyor", "p99_ms")
        rows = [
            row(
                "requests/s",
                pick("conveyor", "rps"),
                baseline=pick(base, "rps"),
                baseline_label=f"hand-written view, fastest serving: {servings[base]}",
                target=">= 1.5x baseline",
                met=rps_ratio >= 1.5,
            ),
            *(
                row(
                    f"requests/s vs the view {label}",
                    pick("conveyor", "rps"),
                    baseline=pick(name, "rps"),
                    baseline_label=f"hand-written view {label}",
                )
                for name, label in servings.items()
            ),
            row(
                "requests/s vs Flower",
                pick("conveyor", "rps"),
                baseline=pick("flower", "rps"),
                baseline_label="Celery + Flower async-apply",
                target=">= 1x Flower",
                met=flower_ratio >= 1,
            ),
            row(
                "p99 latency vs Flower",
                p99,
                baseline=pick("flower", "p99_ms"),
                baseline_label="Celery + Flower",
                unit="ms",
            ),
            row(
                "web CPU per request vs Flower",
                pick_cpu("conveyor", "web_ms_per_req"),
                baseline=pick_cpu("flower", "web_ms_per_req"),
                baseline_label="Celery + Flower",
                unit="ms",
            ),
            row("p50 latency", pick("conveyor", "p50_ms"), baseline=pick(base, "p50_ms"), unit="ms"),
            row(
                "p99 latency",
                p99,
                baseline=pick(base, "p99_ms"),
                unit="ms",
                target="<= 25 ms",
                met=(p99["median"] or 1e9) <= 25,
            ),
            row(
                "web CPU per request",
                pick_cpu("conveyor", "web_ms_per_req"),
                baseline=pick_cpu(base, "web_ms_per_req"),
                unit="ms",
            ),
            row(
                "PostgreSQL CPU per request (all dbs)",
                pick_cpu("conveyor", "postgres_ms_per_req"),
                baseline=pick_cpu(base, "postgres_ms_per_req"),
                unit="ms",
            ),
            row(
                "Redis CPU per request",
                pick_cpu("conveyor", "redis_ms_per_req"),
                baseline=pick_cpu(base, "redis_ms_per_req"),
                unit="ms",
                may_be_zero=True,
            ),
            row(
                "load generator CPU per request",
                pick_cpu("conveyor", "client_ms_per_req"),
                baseline=pick_cpu(base, "client_ms_per_req"),
                unit="ms",
                may_be_zero=True,
            ),
            row(
                "machine CPU busy",
                pick_cpu("conveyor", "machine_busy_percent"),
                baseline=pick_cpu(base, "machine_busy_percent"),
                unit="%",
            ),
            row(
                "failed requests (all runs)",
                stat([sum(r["errors"] for r in runs["conveyor"])]),
                baseline=stat([sum(r["errors"] for r in runs[base])]),
                may_be_zero=True,
            ),
            row(
                "new PostgreSQL sessions per request",
                pick("conveyor", "pg_sessions_per_request"),
                baseline=pick(base, "pg_sessions_per_request"),
                may_be_zero=True,
            ),
        ]
        data: dict[str, Any] = {"runs": runs, "rows": rows, "baseline": base}
        if plan.p1_profile:
            data["profile"] = self.profile_run(
                "p1", self.app, self.spec(self.app_port, requests["conveyor"], duration=8, expect=[202])
            )
        return data

    def profile_run(self, label: str, service: sv.Service, spec: dict[str, Any]) -> dict[str, Any]:
        """One extra run under py-spy (GIL samples: where the web process spends CPU)."""
        if profiling.py_spy() is None:
            return {"skipped": "py-spy is not installed (.venv/bin/pip install py-spy)"}
        self.profiles_dir.mkdir(parents=True, exist_ok=True)
        output = self.profiles_dir / f"{label}.txt"
        output.unlink(missing_ok=True)
        seconds = int(spec.get("duration", 8)) - 1
        exe = profiling.py_spy()
        assert exe is not None
        argv = [
            exe,
            "record",
            "--pid",
            str(service.pid),
            "--subprocesses",
            "--gil",
            "--duration",
            str(seconds),
            "--rate",
            "100",
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
        ]
        spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
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

    # -- P3 ----------------------------------------------------------------------------------

    def p3(self) -> dict[str, Any]:
        # As the client that polls its own job: a plain user, not the bench's superuser.
        api = Api(self.app_port, self.client_token)
        auth = {"Authorization": f"Bearer {self.client_token}"}
        try:
            job, _ = api.call("POST", "/api/v1/jobs/", {**P1_BODY, "delay_seconds": 3600})
            _, headers = api.call("GET", f"/api/v1/jobs/{job['id']}/")
        finally:
            api.close()
        etag = headers.get("ETag") or headers.get("etag")
        if not etag:
            raise RuntimeError("the job detail answered without an ETag")
        path = f"/api/v1/jobs/{job['id']}/"
        kinds = {
            "me": ([{"method": "GET", "path": "/api/v1/me/", "headers": auth}], [200]),
            "get_200": ([{"method": "GET", "path": path, "headers": auth}], [200]),
            "get_304": ([{"method": "GET", "path": path, "headers": {**auth, "If-None-Match": etag}}], [304]),
        }
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in kinds}
        for reqs, expect in kinds.values() if self.plan.warm else []:
            sv.loadgen(self.spec(self.app_port, reqs, duration=0.5, expect=expect))
        for _ in range(self.plan.runs):
            for name, (reqs, expect) in kinds.items():
                spec = self.spec(self.app_port, reqs, warmup=0.5, duration=self.plan.p3_duration, expect=expect)
                runs[name].append(self.load(self.app, spec))

        def pick(name: str, key: str) -> dict[str, Any]:
            return stat([r[key] for r in runs[name]])

        ratio_304 = ratio(pick("get_304", "rps"), pick("me", "rps")) or 0
        rows = [
            row(
                "GET job, 200: requests/s",
                pick("get_200", "rps"),
                baseline=pick("me", "rps"),
                baseline_label="GET /me/",
            ),
            row(
                "GET job, 304 (If-None-Match): requests/s",
                pick("get_304", "rps"),
                baseline=pick("me", "rps"),
                baseline_label="GET /me/",
                target=">= 0.9x",
                met=ratio_304 >= 0.9,
            ),
            row(
                "GET job, 200: p99",
                pick("get_200", "p99_ms"),
                baseline=pick("me", "p99_ms"),
                baseline_label="GET /me/",
                unit="ms",
            ),
            row(
                "GET job, 304: p99",
                pick("get_304", "p99_ms"),
                baseline=pick("me", "p99_ms"),
                baseline_label="GET /me/",
                unit="ms",
            ),
            row(
                "GET job, 200: web CPU per request",
                stat([r["cpu"]["web_ms_per_req"] for r in runs["get_200"]]),
                baseline=stat([r["cpu"]["web_ms_per_req"] for r in runs["me"]]),
                baseline_label="GET /me/",
                unit="ms",
            ),
        ]
        rows.append(
            row(
                "GET job, 304: web CPU per request",
                stat([r["cpu"]["web_ms_per_req"] for r in runs["get_304"]]),
                baseline=stat([r["cpu"]["web_ms_per_req"] for r in runs["me"]]),
                baseline_label="GET /me/",
                unit="ms",
            )
        )
        return {"runs": runs, "rows": rows, "job_id": job["id"]}

    # -- P2 ----------------------------------------------------------------------------------

    def p2(self) -> dict[str, Any]:
        plan = self.plan
        body = json.dumps({"jobs": [P1_BODY] * plan.p2_batch})
        reqs = [{"method": "POST", "path": "/api/v1/jobs/batch/", "headers": self.auth(), "body": body}]
        spec = self.spec(
            self.app_port, reqs, connections=1, duration=60, max_requests=plan.p2_batches, expect=[202], timeout=60
        )
        if plan.warm:
            sv.loadgen({**spec, "max_requests": 1})  # warm-up batch
        app_rates, raw_rates, runs = [], [], []
        for _ in range(plan.runs):
            result = self.load(self.app, spec)
            app_rates.append(plan.p2_batch * 1000 / result["mean_ms"])
            out = sv.run(
                [
                    sv.PYTHON,
                    "-m",
                    "bench.rqbench",
                    "enqueue",
                    "--url",
                    sv.redis_url(sv.RAW_REDIS_DB),
                    "--jobs",
                    str(plan.p2_batch),
                    "--batches",
                    str(plan.p2_batches),
                ],
                sv.app_env(),
                120,
                "rqbench enqueue",
            )
            raw = json.loads(out.strip().splitlines()[-1])
            raw_rates.append(statistics.median(raw["rates"]))
            runs.append({"conveyor": result, "raw_rq": raw})
            sv.flush_redis(sv.RAW_REDIS_DB)
        value, baseline = stat(app_rates), stat(raw_rates)
        met = (ratio(value, baseline) or 0) >= 0.5
        data: dict[str, Any] = {
            "runs": runs,
            "rows": [
                row(
                    f"jobs/s, batches of {plan.p2_batch}",
                    value,
                    baseline=baseline,
                    baseline_label="raw RQ enqueue_many",
                    target=">= 0.5x",
                    met=met,
                ),
                row("batch request latency", stat([r["conveyor"]["mean_ms"] for r in runs]), unit="ms"),
            ],
        }
        if plan.p1_profile:
            data["profile"] = self.profile_run("p2", self.app, {**spec, "max_requests": 4, "duration": 8})  # type: ignore[arg-type]
        return data

    # -- P8 ----------------------------------------------------------------------------------

    def p8(self) -> dict[str, Any]:
        """Long-polls during P1, on P1's web service and PostgreSQL."""
        assert self.app is not None
        return self.p8_run(self.app, self.app_port, self.token, self.plan.p8_clients)

    def superuser_env(self) -> dict[str, str]:
        return {
            "DJANGO_SUPERUSER_USERNAME": sv.BENCH_USER,
            "DJANGO_SUPERUSER_EMAIL": "bench@example.com",
            "DJANGO_SUPERUSER_PASSWORD": uuid.uuid4().hex,
        }

    def p8_run(self, web: sv.Service, port: int, token: str, clients: int) -> dict[str, Any]:
        plan = self.plan
        auth = {"Authorization": f"Bearer {token}"}
        api = Api(port, token)
        try:
            ids = [api.call("POST", "/api/v1/jobs/", {**P1_BODY, "delay_seconds": 3600})[0]["id"] for _ in range(20)]
        finally:
            api.close()
        app_req = [{"method": "POST", "path": "/api/v1/jobs/", "headers": auth, "body": json.dumps(P1_BODY)}]
        p1_spec = self.spec(port, app_req, warmup=0.5, duration=plan.p8_duration, expect=[202])
        if plan.warm:
            sv.loadgen({**p1_spec, "warmup": 0, "duration": 1})
        without = [self.load(web, p1_spec) for _ in range(plan.runs)]
        memory_before = sv.tree_memory(web.pid)
        pg_before = sv.pg_connections(sv.APP_DB)
        stop_file = sv.VAR / f"longpoll-stop-{os.getpid()}"
        stop_file.unlink(missing_ok=True)
        status_file = sv.VAR / f"longpoll-status-{os.getpid()}.json"
        status_file.unlink(missing_ok=True)
        spec = {
            "mode": "longpoll",
            "host": "127.0.0.1",
            "port": port,
            "clients": clients,
            "wait": 30,
            "if_none_match": True,
            "ramp": plan.p8_ramp,
            "duration": 60 + plan.p8_ramp + plan.runs * (plan.p8_duration + 3),
            "paths": [f"/api/v1/jobs/{job_id}/?wait=30" for job_id in ids],
            "headers": auth,
            "stop_file": str(stop_file),
            "status_file": str(status_file),
        }
        # The spec goes through a file: services get no stdin.
        spec_file = sv.VAR / "longpoll-spec.json"
        spec_file.write_text(json.dumps(spec))
        command = f'exec "{sv.PYTHON}" -m bench.loadgen < "{spec_file}"'
        longpoll = sv.Service("longpoll-clients", ["/bin/sh", "-c", command], sv.app_env(), stdout=subprocess.PIPE)
        self.services.append(longpoll)
        client_result: dict[str, Any] = {}
        ready_s = 0.0
        try:
            started = time.monotonic()
            status: dict[str, Any] = {}
            while time.monotonic() - started < 60 + plan.p8_ramp and longpoll.alive():
                if status_file.exists():
                    status = json.loads(status_file.read_text())
                    if status["sent"] >= clients:  # every client has sent its first request
                        break
                time.sleep(0.25)
            ready_s = time.monotonic() - started
            time.sleep(1.5)
            waiting = json.loads(status_file.read_text())["waiting"] if status_file.exists() else 0
            memory_during = sv.tree_memory(web.pid)
            pg_during = sv.pg_connections(sv.APP_DB)
            # Failures here are the finding (e.g. a connection pool exhausted by waiting clients).
            with_polls = [self.load(web, {**p1_spec, "timeout": 30}, tolerate=True) for _ in range(plan.runs)]
            still = json.loads(status_file.read_text())["waiting"] if status_file.exists() else 0
            memory_after = sv.tree_memory(web.pid)
        finally:
            stop_file.touch()
            try:
                out, _ = longpoll.proc.communicate(timeout=30)
                for line in (out or b"").decode(errors="replace").splitlines():
                    if '"event": "result"' in line:
                        client_result = json.loads(line)
            except subprocess.TimeoutExpired:
                pass
            longpoll.stop()
            self.services.remove(longpoll)
            stop_file.unlink(missing_ok=True)
            status_file.unlink(missing_ok=True)
        rss_delta = memory_during["rss_mib"] - memory_before["rss_mib"]
        none_served = all(not r.get("requests") for r in with_polls)
        p99_with, p99_without = stat([r["p99_ms"] for r in with_polls]), stat([r["p99_ms"] for r in without])
        rows = [
            row(
                "P1 p99 latency" + (" (0: no request succeeded)" if none_served else ""),
                p99_with,
                baseline=p99_without,
                baseline_label="P1 without long-polls",
                unit="ms",
                target="<= 2x without",
                met=not none_served and (ratio(p99_with, p99_without) or 1e9) <= 2,
                may_be_zero=True,  # 0: no request succeeded while the clients waited
            ),
            row(
                "P1 requests/s",
                stat([r["rps"] for r in with_polls]),
                baseline=stat([r["rps"] for r in without]),
                baseline_label="P1 without long-polls",
                may_be_zero=True,
            ),
            row(
                "P1 failed requests (all runs)",
                stat([sum(r["errors"] for r in with_polls)]),
                baseline=stat([sum(r["errors"] for r in without)]),
                baseline_label="P1 without long-polls",
                may_be_zero=True,
            ),
            row(f"waiting clients (of {clients}), held > 1 s by the server", stat([waiting])),
            row(
                "web RSS, master + workers",
                stat([memory_during["rss_mib"]]),
                baseline=stat([memory_before["rss_mib"]]),
                baseline_label="before the clients",
                unit="MiB",
            ),
            row("RSS per waiting client", stat([1024 * rss_delta / max(1, waiting)]), unit="KiB", may_be_zero=True),
            row(
                "web threads",
                stat([memory_during["threads"]]),
                baseline=stat([memory_before["threads"]]),
                baseline_label="before the clients",
            ),
            row(
                "PostgreSQL connections",
                stat([pg_during]),
                baseline=stat([pg_before]),
                baseline_label="before the clients",
                may_be_zero=True,
            ),
        ]
        return {
            "rows": rows,
            "clients_requested": plan.p8_clients,
            "clients_run": clients,
            "waiting": waiting,
            "seconds_to_start": round(ready_s, 1),
            "waiting_after_runs": still,
            "memory": {"before": memory_before, "during": memory_during, "after": memory_after},
            "client_result": client_result,
            "runs": {"without": without, "with": with_polls},
        }

    # -- P4 ----------------------------------------------------------------------------------

    def submit_batch(self, count: int) -> list[str]:
        api = self.api()
        ids: list[str] = []
        try:
            while len(ids) < count:
                size = min(BATCH_SIZE, count - len(ids))
                body, _ = api.call("POST", "/api/v1/jobs/batch/", {"jobs": [NOOP_BODY] * size})
                ids += [job["id"] for job in body["jobs"]]
        finally:
            api.close()
        return ids

    def watch(self, service: sv.Service, timeout: float) -> dict[str, Any]:
        """Wait for a burst process to exit, sampling its peak RSS; return wall time and peak."""
        started = time.monotonic()
        peak = 0
        while service.alive():
            peak = max(peak, sv.proc_status(service.pid).get("VmHWM", 0))
            if time.monotonic() - started > timeout:
                service.stop(5)
                raise RuntimeError(f"{service.name} did not finish within {timeout:.0f} s:\n{service.log_tail()}")
            time.sleep(0.05)
        if service.proc.returncode not in (0, None):
            raise RuntimeError(f"{service.name} exited {service.proc.returncode}:\n{service.log_tail()}")
        return {"wall_s": round(time.monotonic() - started, 3), "peak_rss_mib": round(peak / 1024, 1)}

    @staticmethod
    def rq_span(db: int, ids: list[str]) -> dict[str, Any]:
        """First start to last end of these RQ jobs, from their hashes."""
        redis = sv.redis_client(db)
        with redis.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hmget(f"rq:job:{job_id}", ["started_at", "ended_at"])
            values = pipe.execute()
        starts = [t for t in (parse_rq_time(v[0]) for v in values) if t]
        ends = [t for t in (parse_rq_time(v[1]) for v in values) if t]
        if len(ends) < len(ids) or not starts:
            raise RuntimeError(f"only {len(ends)} of {len(ids)} RQ jobs have an end time")
        span = (max(ends) - min(starts)).total_seconds()
        return {"jobs": len(ids), "span_s": round(span, 3), "jobs_per_s": round(len(ids) / max(span, 1e-6), 1)}

    @staticmethod
    def db_span(ids: list[str]) -> dict[str, Any]:
        """First start to last end of these jobs, from their rows: RQ keeps no hash of a
        Conveyor job that succeeded (result_ttl 0), and the row is the record anyway. A row's
        start is taken before RQ's (the claim, before the fork) and its end after (the parent
        records it once the horse is gone), so the span is if anything longer than RQ's."""
        with sv.pg_connect(sv.APP_DB) as conn:
            found = conn.execute(
                "SELECT count(*), min(started_at), max(ended_at) FROM jobs_job WHERE id = ANY(%s::uuid[])", (ids,)
            ).fetchone()
        assert found is not None
        span = (found[2] - found[1]).total_seconds()
        return {"jobs": len(ids), "span_s": round(span, 3), "jobs_per_s": round(len(ids) / max(span, 1e-6), 1)}

    def p4(self) -> dict[str, Any]:
        plan = self.plan
        runs: dict[str, list[dict[str, Any]]] = {}
        for kind in ("fork", "simple"):
            count = plan.p4_jobs[kind]
            for _ in range(plan.runs):
                # Conveyor: rows submitted through the batch endpoint, drained by a burst worker.
                self.reset_jobs()
                ids = self.submit_batch(count)
                worker = sv.Service(
                    f"worker-{kind}-burst",
                    [sv.PYTHON, "manage.py", "rqworker", "--burst", "high", "default", "low"],
                    sv.app_env(CONVEYOR_WORKER=kind),
                )
                try:
                    watched = self.watch(worker, timeout=60 + count / 5)
                finally:
                    worker.stop()
                app = {**self.db_span(ids), **watched}
                with sv.pg_connect(sv.APP_DB) as conn:
                    done = conn.execute(
                        "SELECT count(*) FROM jobs_job WHERE id = ANY(%s::uuid[]) AND state = 'succeeded'", (ids,)
                    ).fetchone()
                app["succeeded_rows"] = int(done[0]) if done else 0
                if app["succeeded_rows"] != count:
                    raise RuntimeError(f"{kind}: {app['succeeded_rows']} of {count} rows succeeded")
                runs.setdefault(f"conveyor_{kind}", []).append(app)
                # Stock RQ: the same number of no-op jobs on a JSON queue, a stock burst worker.
                sv.flush_redis(sv.RAW_REDIS_DB)
                sv.run(
                    [
                        sv.PYTHON,
                        "-m",
                        "bench.rqbench",
                        "enqueue",
                        "--url",
                        sv.redis_url(sv.RAW_REDIS_DB),
                        "--jobs",
                        str(count),
                    ],
                    sv.app_env(),
                    60,
                    "rqbench enqueue",
                )
                queued = sv.redis_client(sv.RAW_REDIS_DB).lrange("rq:queue:default", 0, -1)
                raw_ids = [i.decode() if isinstance(i, bytes) else str(i) for i in queued]
                stock = sv.Service(
                    f"rq-{kind}-burst",
                    [
                        sv.PYTHON,
                        "-m",
                        "bench.rqbench",
                        "work",
                        "--url",
                        sv.redis_url(sv.RAW_REDIS_DB),
                        "--kind",
                        kind,
                        "--burst",
                    ],
                    sv.app_env(),
                )
                try:
                    watched = self.watch(stock, timeout=60 + count / 5)
                finally:
                    stock.stop()
                runs.setdefault(f"rq_{kind}", []).append({**self.rq_span(sv.RAW_REDIS_DB, raw_ids), **watched})
        rows = []
        for kind, label in (("fork", "Worker"), ("simple", "SimpleWorker")):
            value = stat([r["jobs_per_s"] for r in runs[f"conveyor_{kind}"]])
            baseline = stat([r["jobs_per_s"] for r in runs[f"rq_{kind}"]])
            rows.append(
                row(
                    f"{kind}: no-op jobs/s ({plan.p4_jobs[kind]} jobs)",
                    value,
                    baseline=baseline,
                    baseline_label=f"stock RQ {label}",
                    target=">= 0.75x",
                    met=(ratio(value, baseline) or 0) >= 0.75,
                )
            )
        # The floor of the design: stock RQ's own time per job plus the two audited transitions
        # in plain SQL (and, for the fork worker, the new connection each work horse opens).
        floor = sv.django_task("lifecycle_floor", jobs=plan.p4_jobs["simple"], rounds=plan.runs)
        floor_ms = statistics.median(floor["per_job_ms"])
        connect_ms = self.results["meta"]["machine"].get("pg_connect_ms") or 0.0
        floor_row = "the two audited transitions of a job in plain SQL (psycopg, no ORM)"
        rows.append(row(floor_row, stat(floor["per_job_ms"]), unit="ms"))
        for kind, extra in (("fork", floor_ms + connect_ms), ("simple", floor_ms)):
            stock_ms = [1000 / r["jobs_per_s"] for r in runs[f"rq_{kind}"] if r["jobs_per_s"]]
            ceilings = [ms / (ms + extra) for ms in stock_ms]
            rows.append(row(f"{kind}: highest ratio to stock RQ this design allows", stat(ceilings), unit="x"))
        for kind in ("fork", "simple"):
            rows.append(
                row(
                    f"{kind}: burst wall time incl. start-up",
                    stat([r["wall_s"] for r in runs[f"conveyor_{kind}"]]),
                    baseline=stat([r["wall_s"] for r in runs[f"rq_{kind}"]]),
                    baseline_label="stock RQ",
                    unit="s",
                )
            )
        self.results["memory_worker_after_p4"] = {
            name: stat([r["peak_rss_mib"] for r in values]) for name, values in runs.items()
        }
        return {"runs": runs, "rows": rows}

    # -- P5 ----------------------------------------------------------------------------------

    def wait_worker(self, db: int, service: sv.Service, timeout: float = 60) -> None:
        redis = sv.redis_client(db)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not service.alive():
                raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
            if redis.scard("rq:workers"):
                time.sleep(0.5)  # past its first dequeue: idle and blocked on the queues
                return
            time.sleep(0.1)
        raise RuntimeError(f"{service.name} did not register within {timeout} s")

    def p5(self) -> dict[str, Any]:
        plan = self.plan
        samples: dict[str, list[float]] = {}
        for kind in ("fork", "simple"):
            self.reset_jobs()
            worker = sv.Service(
                f"worker-{kind}",
                [sv.PYTHON, "manage.py", "rqworker", "high", "default", "low"],
                sv.app_env(CONVEYOR_WORKER=kind),
            )
            self.services.append(worker)
            api = self.api()
            try:
                self.wait_worker(sv.APP_REDIS_DB, worker)
                with sv.pg_connect(sv.APP_DB) as conn:
                    for _ in range(plan.p5_jobs):
                        job, _ = api.call("POST", "/api/v1/jobs/", NOOP_BODY)
                        deadline = time.monotonic() + 15
                        while True:
                            found = conn.execute(
                                "SELECT started_at, created_at, ended_at FROM jobs_job WHERE id = %s", (job["id"],)
                            ).fetchone()
                            if found and found[0] is not None and found[2] is not None:
                                break
                            if time.monotonic() > deadline:
                                raise RuntimeError(f"job {job['id']} did not finish within 15 s")
                            time.sleep(0.002)
                        samples.setdefault(f"conveyor_{kind}", []).append((found[0] - found[1]).total_seconds() * 1000)
                        time.sleep(0.03)
            finally:
                api.close()
                worker.stop()
                self.services.remove(worker)
            # Stock RQ: enqueue → started_at with an idle stock worker.
            sv.flush_redis(sv.RAW_REDIS_DB)
            stock = sv.Service(
                f"rq-{kind}",
                [sv.PYTHON, "-m", "bench.rqbench", "work", "--url", sv.redis_url(sv.RAW_REDIS_DB), "--kind", kind],
                sv.app_env(),
            )
            self.services.append(stock)
            try:
                self.wait_worker(sv.RAW_REDIS_DB, stock)
                redis = sv.redis_client(sv.RAW_REDIS_DB)
                queue = Queue("default", connection=redis, serializer=JSONSerializer)
                for _ in range(plan.p5_jobs):
                    rq_job = queue.enqueue(NOOP)
                    deadline = time.monotonic() + 15
                    while True:
                        started, ended, enqueued = redis.hmget(
                            f"rq:job:{rq_job.id}", ["started_at", "ended_at", "enqueued_at"]
                        )
                        if started and ended:
                            break
                        if time.monotonic() > deadline:
                            raise RuntimeError("a stock RQ job did not finish within 15 s")
                        time.sleep(0.002)
                    start_time, enqueue_time = parse_rq_time(started), parse_rq_time(enqueued)
                    assert start_time and enqueue_time
                    samples.setdefault(f"rq_{kind}", []).append((start_time - enqueue_time).total_seconds() * 1000)
                    time.sleep(0.03)
            finally:
                stock.stop()
                self.services.remove(stock)
        summary = {
            name: {"p50_ms": round(percentile(v, 50), 2), "p99_ms": round(percentile(v, 99), 2), "n": len(v)}
            for name, v in samples.items()
        }
        rows = []
        for kind in ("fork", "simple"):
            for q in ("p50_ms", "p99_ms"):
                value = summary[f"conveyor_{kind}"][q]
                rows.append(
                    row(
                        f"{kind}: submit → running, {q[:3]}",
                        stat([value]),
                        baseline=stat([summary[f"rq_{kind}"][q]]),
                        baseline_label="stock RQ enqueue → started",
                        unit="ms",
                        **({"target": "<= 20 ms", "met": value <= 20} if q == "p99_ms" else {}),
                    )
                )
        return {
            "rows": rows,
            "summary": summary,
            "samples_ms": {k: [round(x, 2) for x in v] for k, v in samples.items()},
        }

    # -- P7 ----------------------------------------------------------------------------------

    def timed_gets(self, path: str, label: str) -> list[dict[str, Any]]:
        reqs = [{"method": "GET", "path": path, "headers": self.auth()}]
        spec = self.spec(self.app_port, reqs, connections=1, duration=60, expect=[200], timeout=60)
        if self.plan.warm:
            sv.loadgen({**spec, "max_requests": 3})  # warm caches
        return [self.load(self.app, {**spec, "max_requests": self.plan.p7_requests}) for _ in range(self.plan.runs)]

    def p7(self) -> dict[str, Any]:
        plan = self.plan
        api = self.api()
        try:
            job, _ = api.call("POST", "/api/v1/jobs/", {**P1_BODY, "delay_seconds": 3600})
        finally:
            api.close()
        history = sv.django_task("make_history", job_id=job["id"], entries=plan.p7_history, username=sv.BENCH_USER)
        history_runs = self.timed_gets(f"/api/v1/jobs/{job['id']}/history/", "history")
        feed = sv.django_task("make_feed", timeout=600, rows=plan.p7_feed_rows, users=20, username=sv.BENCH_USER)
        feed_runs = self.timed_gets(f"/api/v1/audit/events/?actor={feed['actor_id']}", "feed")

        def p(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
            return stat([r[key] for r in runs])

        rows = [
            row(f"job history page ({history['entries']} entries): p50", p(history_runs, "p50_ms"), unit="ms"),
            row(
                "job history page: p99",
                p(history_runs, "p99_ms"),
                unit="ms",
                target="<= 30 ms",
                met=(p(history_runs, "p99_ms")["median"] or 1e9) <= 30,
            ),
            row(f"audit feed ?actor= ({feed['rows']} history rows): p50", p(feed_runs, "p50_ms"), unit="ms"),
            row(
                "audit feed ?actor=: p99",
                p(feed_runs, "p99_ms"),
                unit="ms",
                target="<= 30 ms",
                met=(p(feed_runs, "p99_ms")["median"] or 1e9) <= 30,
            ),
            # What a request costs, apart from what the shared machine does meanwhile.
            *(
                # /proc counts CPU in 10 ms ticks: a smoke run's few requests can round to 0.
                row(
                    f"{label}: {part} CPU per request", stat([r["cpu"][key] for r in runs]), unit="ms", may_be_zero=True
                )
                for label, runs in (("job history page", history_runs), ("audit feed", feed_runs))
                for part, key in (("web", "web_ms_per_req"), ("PostgreSQL (all dbs)", "postgres_ms_per_req"))
            ),
        ]
        data: dict[str, Any] = {
            "rows": rows,
            "history": history,
            "feed": feed,
            "runs": {"history": history_runs, "feed": feed_runs},
        }
        if plan.p1_profile:
            for label, path in (
                ("history", f"/api/v1/jobs/{job['id']}/history/"),
                ("feed", f"/api/v1/audit/events/?actor={feed['actor_id']}"),
            ):
                reqs = [{"method": "GET", "path": path, "headers": self.auth()}]
                spec = self.spec(self.app_port, reqs, connections=2, duration=6, expect=[200], timeout=60)
                assert self.app is not None
                data[f"profile_{label}"] = self.profile_run(f"p7-{label}", self.app, spec)
        return data

    # -- audit costs -------------------------------------------------------------------------

    def audit(self) -> dict[str, Any]:
        costs = sv.django_task("audit_costs", saves=self.plan.audit_saves, username=sv.BENCH_USER)
        plain_job, plain_schedule = costs["job_plain"]["median_us"], costs["schedule_plain"]["median_us"]
        labels = {
            "job_plain": ("Job.save(), history skipped", None),
            "job_history": ("Job.save() + simple-history", plain_job),
            "schedule_plain": ("Schedule.save(), history skipped", None),
            "schedule_history": ("Schedule.save() + simple-history", plain_schedule),
            "schedule_revision": ("Schedule.save() + reversion revision", plain_schedule),
            "schedule_history_revision": ("Schedule.save() + simple-history + reversion", plain_schedule),
            "schedule_update_service": ("schedule_update() service (validate, plan, both, re-arm)", plain_schedule),
        }
        rows = []
        for key, (label, base) in labels.items():
            value = stat([costs[key]["median_us"]])
            baseline = stat([base]) if base else None
            rows.append(row(label, value, baseline=baseline, baseline_label="plain save" if base else "", unit="µs"))
        return {"rows": rows, "costs": costs}

    # -- P10 ---------------------------------------------------------------------------------

    def p10(self) -> dict[str, Any]:
        """Django's task API in-process: `.enqueue()` through Conveyor's backend against
        `django_rq.enqueue` of the same function, in one `manage.py shell` (bench/enqueue.py)."""
        jobs = 1000 if self.plan.name == "full" else 30
        spec = {"jobs": jobs, "rounds": self.plan.runs, "username": sv.BENCH_USER}
        env = sv.app_env(BENCH_ENQUEUE=json.dumps(spec))
        out = sv.manage(["shell", "-c", "from bench.enqueue import main; main()"], timeout=600, env=env)
        found = [line for line in out.splitlines() if line.startswith("BENCH_RESULT ")]
        if not found:
            raise RuntimeError(f"bench.enqueue printed no result:\n{out[-2000:]}")
        rates = json.loads(found[-1].removeprefix("BENCH_RESULT "))["rates"]
        self.reset_jobs()  # nothing runs them: the rows are canceled, the Redis db emptied
        value, baseline = stat(rates["django_tasks"]), stat(rates["django_rq"])
        return {
            "rows": [
                row(
                    f"`.enqueue()` jobs/s, {jobs} one by one",
                    value,
                    baseline=baseline,
                    baseline_label="`django_rq.enqueue`",
                    target=">= 0.5x",
                    met=(ratio(value, baseline) or 0) >= 0.5,
                ),
                row(
                    "`.enqueue()` jobs/s vs one kept queue",
                    value,
                    baseline=stat(rates["django_rq_shared"]),
                    baseline_label="`django_rq.get_queue()` once, then `.enqueue` on it",
                ),
            ],
            "rates": rates,
            "jobs": jobs,
        }

    # -- P6 ----------------------------------------------------------------------------------

    def p6(self) -> dict[str, Any]:
        plan = self.plan
        self.reset_jobs()
        prefix = f"bench-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
        scheduler = sv.Service("scheduler", [sv.PYTHON, "manage.py", "conveyor_scheduler"], sv.app_env())
        self.services.append(scheduler)
        try:
            created = sv.django_task(
                "create_schedules",
                timeout=300,
                username=sv.BENCH_USER,
                cron=plan.p6_cron,
                interval=plan.p6_interval,
                every=5,
                prefix=prefix,
            )
            t_created = dt.datetime.now(dt.UTC)
            first = (t_created + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
            slots = [first + dt.timedelta(minutes=i) for i in range(plan.p6_minutes)]
            cpu_before = sv.cpu_seconds(scheduler.pid)
            deadline = slots[-1] + dt.timedelta(seconds=90)
            with sv.pg_connect(sv.APP_DB) as conn:
                while dt.datetime.now(dt.UTC) < deadline:
                    if not scheduler.alive():
                        raise RuntimeError(f"the scheduler exited:\n{scheduler.log_tail()}")
                    if dt.datetime.now(dt.UTC) > slots[-1]:
                        found = conn.execute(
                            "SELECT count(*) FROM jobs_schedulefire f JOIN jobs_schedule s ON s.id = f.schedule_id "
                            "WHERE s.name LIKE %s AND f.fire_at = %s",
                            (f"{prefix}-cron-%", slots[-1]),
                        ).fetchone()
                        if found and int(found[0]) >= plan.p6_cron:
                            break
                    time.sleep(1)
            t_end = dt.datetime.now(dt.UTC)
            cpu_used = sv.cpu_seconds(scheduler.pid) - cpu_before
        finally:
            scheduler.stop()
            self.services.remove(scheduler)
            sv.django_task("disable_schedules", prefix=prefix)
        with sv.pg_connect(sv.APP_DB) as conn:
            fires = conn.execute(
                "SELECT s.kind, s.id::text, f.fire_at, f.fired_at, f.outcome, f.job_id::text, j.enqueued_at "
                "FROM jobs_schedulefire f JOIN jobs_schedule s ON s.id = f.schedule_id "
                "LEFT JOIN jobs_job j ON j.id = f.job_id WHERE s.name LIKE %s",
                (f"{prefix}-%",),
            ).fetchall()
            jobs = conn.execute(
                "SELECT count(*) FROM jobs_job j JOIN jobs_schedule s ON s.id = j.schedule_id WHERE s.name LIKE %s",
                (f"{prefix}-%",),
            ).fetchone()
        slot_set = set(slots)
        cron = [f for f in fires if f[0] == "cron" and f[2] in slot_set]
        cron_late = [(f[3] - f[2]).total_seconds() for f in cron]
        # The fire row is written in the fire's transaction; its job reaches RQ after the commit.
        cron_pushed = [(f[6] - f[2]).total_seconds() for f in cron if f[6] is not None]
        cron_fired = {(f[1], f[2]) for f in cron if f[4] == "fired"}
        cron_missed = plan.p6_cron * len(slots) - len(cron_fired)
        interval_until = t_end - dt.timedelta(seconds=10)
        interval = [f for f in fires if f[0] == "interval" and t_created <= f[2] <= interval_until]
        interval_late = [(f[3] - f[2]).total_seconds() for f in interval]
        by_schedule: dict[str, list[dt.datetime]] = {}
        for f in interval:
            by_schedule.setdefault(f[1], []).append(f[2])
        interval_missed = 0
        for times in by_schedule.values():
            times.sort()
            expected = round((times[-1] - times[0]).total_seconds() / 5) + 1
            interval_missed += expected - len(times)
        fired_with_job = sum(1 for f in fires if f[5] is not None)
        duplicates = (int(jobs[0]) if jobs else 0) - fired_with_job
        outcomes: dict[str, int] = {}
        for f in fires:
            outcomes[f[4]] = outcomes.get(f[4], 0) + 1

        def s(values: list[float], q: float) -> dict[str, Any]:
            return stat([percentile(values, q)])

        rows = [
            row(f"cron `* * * * *` x{plan.p6_cron}: lateness p50", s(cron_late, 50), unit="s"),
            row("cron: lateness p99", s(cron_late, 99), unit="s", target="<= 1 s", met=percentile(cron_late, 99) <= 1),
            row("cron: lateness max (time to fire a whole minute)", s(cron_late, 100), unit="s"),
            row("cron: job pushed to RQ after the slot, p99", s(cron_pushed, 99), unit="s"),
            row(
                f"cron: missed slots (of {plan.p6_cron * len(slots)})",
                stat([cron_missed]),
                target="0",
                met=cron_missed == 0,
                may_be_zero=True,
            ),
            row(f"interval 5 s x{plan.p6_interval}: lateness p50", s(interval_late, 50), unit="s"),
            row(
                "interval: lateness p99",
                s(interval_late, 99),
                unit="s",
                target="<= 1 s",
                met=percentile(interval_late, 99) <= 1,
            ),
            row(
                f"interval: missed slots (of {len(interval) + interval_missed})",
                stat([interval_missed]),
                target="0",
                met=interval_missed == 0,
                may_be_zero=True,
            ),
            row(
                "duplicate runs (jobs beyond fired slots)",
                stat([duplicates]),
                target="0",
                met=duplicates == 0,
                may_be_zero=True,
            ),
            row("scheduler CPU during the window", stat([cpu_used]), unit="s"),
        ]
        return {
            "rows": rows,
            "created": created,
            "minutes": plan.p6_minutes,
            "slots": [x.isoformat() for x in slots],
            "fires": len(fires),
            "outcomes": outcomes,
            "cron_fires_in_window": len(cron),
            "interval_fires_in_window": len(interval),
        }

    # -- the whole run -----------------------------------------------------------------------

    def run(self) -> int:
        self.results["meta"] = describe(self.plan)
        self.pg_watch = sv.PgWatch().__enter__()
        try:
            self.setup()
            self.start_webs()
            self.scenario("P1", self.p1)
            self.stop("flower")  # only P1 compares with it
            self.stop("gthread")
            self.scenario("P3", self.p3)
            self.scenario("P2", self.p2)
            self.scenario("P8", self.p8)
            self.stop("base")
            self.scenario("P4", self.p4)
            self.scenario("P5", self.p5)
            self.scenario("P7", self.p7)
            self.scenario("AUDIT", self.audit)
            self.scenario("P10", self.p10)
            if self.plan.p6_minutes:
                self.scenario("P6", self.p6)
        except Exception as exc:
            self.results["error"] = f"{type(exc).__name__}: {exc}"
            self.results["traceback"] = traceback.format_exc()
            print(f"bench: FAILED: {self.results['error']}", flush=True)
        finally:
            self.stop_all()
            self.pg_watch.__exit__(None, None, None)
        self.results["meta"]["pg_peak_connections"] = self.pg_watch.peak(0, time.monotonic())
        retried = sum(
            len(run.get("failed_attempts", []))
            for entry in self.results["scenarios"].values()
            for run in _all_runs(entry)
        )
        self.results["meta"]["runs_retried"] = retried
        self.results["meta"]["duration_s"] = round(time.monotonic() - self.started, 1)
        self.results["meta"]["loadavg_end"] = os.getloadavg()
        return 0


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


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(plan: Plan) -> dict[str, Any]:
    """The machine, the software and the command."""
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
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=sv.ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=sv.ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "mode": plan.name,
        "plan": asdict(plan),
        "command": ".venv/bin/python -m bench" + (" --smoke" if plan.name == "smoke" else ""),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": cpu_model,
            "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "postgresql": pg_version,
            "postgresql_max_connections": pg_max,
            "redis": redis_version,
            "loadavg_start": os.getloadavg(),
        },
        "versions": {
            name: version(name)
            for name in (
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
        },
        "git": {"commit": commit, "tracked_changes": bool(dirty)},
        "redis_base": sv.REDIS_BASE.removeprefix("redis://"),
        "env": {
            "DATABASE_URL": sv.pg_url(sv.APP_DB),
            "REDIS_URL": sv.redis_url(sv.APP_REDIS_DB),
            "CONVEYOR_ENV": "development",
            "LOG_LEVEL": "WARNING",
        },
    }
