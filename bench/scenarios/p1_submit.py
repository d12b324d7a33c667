"""P1: submitting one job, against the hand-written Django view (two servings) and Celery + Flower."""

import base64
import json
from dataclasses import dataclass
from typing import Any

from bench import markdown
from bench import services as sv
from bench.harness import Bench, Scenario
from bench.stats import Target, row, stat

BODY = {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}
RPS = Target(ratio_at_least=1.5, against="baseline")
RPS_VS_FLOWER = Target(ratio_at_least=1, against="Flower")
P99 = Target(at_most=25)
FLOWER = "Celery + Flower"
# The two servings of the hand-written view; the faster in the run is the baseline.
SERVINGS = {"baseline": "on uvicorn + config.bridge", "baseline_gthread": "on gunicorn gthread -w 2 --threads 4"}


@dataclass(frozen=True)
class Plan:
    p1_warmup: float
    p1_duration: float
    p1_profile: bool


def requests(bench: Bench) -> dict[str, list[dict[str, Any]]]:
    body = json.dumps(BODY)
    flower_auth = base64.b64encode(f"{sv.FLOWER_USER}:{sv.FLOWER_PASSWORD}".encode()).decode()
    flower_headers = {"Authorization": f"Basic {flower_auth}", "Content-Type": "application/json"}
    return {
        "conveyor": [{"method": "POST", "path": "/api/v1/jobs/", "headers": bench.auth(), "body": body}],
        "baseline": [{"method": "POST", "path": "/jobs/", "body": body}],
        "baseline_gthread": [{"method": "POST", "path": "/jobs/", "body": body}],
        # The same kwargs to a Celery task of the same signature (bench/celeryapp.py).
        "flower": [
            {
                "method": "POST",
                "path": "/api/task/async-apply/bench.noop",
                "headers": flower_headers,
                "body": json.dumps({"kwargs": BODY["kwargs"]}),
            }
        ],
    }


def measure(bench: Bench, plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """The four take turns going first, `runs` times; each run with CPU accounting."""
    reqs = requests(bench)
    targets = {  # name: (web, expected status, database)
        "conveyor": ("app", 202, sv.APP_DB),
        "baseline": ("base", 202, sv.BASE_DB),
        "baseline_gthread": ("gthread", 202, sv.BASE_DB),
        "flower": ("flower", 200, None),
    }
    for name, (web, code, _db) in targets.items() if bench.plan.warm else []:
        port = bench.web(web)[1]
        sv.loadgen(bench.spec(port, reqs[name], duration=max(0.5, plan.p1_warmup), expect=[code]))
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    names = list(targets)
    for index in range(bench.plan.runs):
        shift = index % len(names)  # each takes its turn going first
        for name in names[shift:] + names[:shift]:
            web, code, db = targets[name]
            service, port = bench.web(web)
            sessions = sv.pg_sessions(db) if db else 0
            spec = bench.spec(port, reqs[name], warmup=plan.p1_warmup, duration=plan.p1_duration, expect=[code])
            result = bench.load(service, spec)
            total = sum(result["statuses"].values())
            if db:
                result["pg_sessions_per_request"] = round((sv.pg_sessions(db) - sessions) / max(1, total), 2)
            runs[name].append(result)
    bench.results["memory_web_after_p1"] = {
        name: sv.tree_memory(bench.web(web)[0].pid) for name, (web, *_rest) in targets.items()
    }
    return runs


def rows(runs: dict[str, list[dict[str, Any]]], base: str) -> list[dict[str, Any]]:
    def pick(name: str, key: str) -> dict[str, Any]:
        return stat([r[key] for r in runs[name]])

    def cpu(name: str, key: str) -> dict[str, Any]:
        return stat([r["cpu"][key] for r in runs[name]])

    def versus(metric: str, source: Any, key: str, against: str = base, **kwargs: Any) -> dict[str, Any]:
        """Conveyor against `against` on one figure, read by `source` (pick or cpu)."""
        return row(metric, source("conveyor", key), baseline=source(against, key), **kwargs)

    fastest = f"hand-written view, fastest serving: {SERVINGS[base]}"
    return [
        versus("requests/s", pick, "rps", baseline_label=fastest, target=RPS),
        *(
            versus(f"requests/s vs the view {label}", pick, "rps", name, baseline_label=f"hand-written view {label}")
            for name, label in SERVINGS.items()
        ),
        versus(
            "requests/s vs Flower", pick, "rps", "flower", baseline_label=f"{FLOWER} async-apply", target=RPS_VS_FLOWER
        ),
        versus("p99 latency vs Flower", pick, "p99_ms", "flower", baseline_label=FLOWER, unit="ms"),
        versus("web CPU per request vs Flower", cpu, "web_ms_per_req", "flower", baseline_label=FLOWER, unit="ms"),
        versus("p50 latency", pick, "p50_ms", unit="ms"),
        versus("p99 latency", pick, "p99_ms", unit="ms", target=P99),
        versus("web CPU per request", cpu, "web_ms_per_req", unit="ms"),
        versus("PostgreSQL CPU per request (all dbs)", cpu, "postgres_ms_per_req", unit="ms"),
        versus("Redis CPU per request", cpu, "redis_ms_per_req", unit="ms", may_be_zero=True),
        versus("load generator CPU per request", cpu, "client_ms_per_req", unit="ms", may_be_zero=True),
        versus("machine CPU busy", cpu, "machine_busy_percent", unit="%"),
        row(
            "failed requests (all runs)",
            stat([sum(r["errors"] for r in runs["conveyor"])]),
            baseline=stat([sum(r["errors"] for r in runs[base])]),
            may_be_zero=True,
        ),
        versus("new PostgreSQL sessions per request", pick, "pg_sessions_per_request", may_be_zero=True),
    ]


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    runs = measure(bench, plan)
    base = max(SERVINGS, key=lambda name: stat([r["rps"] for r in runs[name]])["median"] or 0)
    data: dict[str, Any] = {"runs": runs, "rows": rows(runs, base), "baseline": base}
    if plan.p1_profile:
        service, port = bench.web("app")
        spec = bench.spec(port, requests(bench)["conveyor"], duration=8, expect=[202])
        data["profile"] = bench.profile_run("p1", service, spec)
    return data


def notes(entry: dict[str, Any], results: dict[str, Any]) -> list[str]:
    """The web processes' peak memory after P1, and its profile."""
    out = []
    memory = results.get("memory_web_after_p1", {})
    if memory:
        parts = []
        for label, tree in memory.items():
            peaks = [p.get("VmHWM", 0) for p in tree.get("per_process", {}).values()]
            parts.append(f"{label} {max(peaks) / 1024:.0f} MiB (tree RSS {tree['rss_mib']:.0f} MiB)")
        out += ["Peak RSS (VmHWM) of the largest web process after P1: " + "; ".join(parts) + ".", ""]
    return out + markdown.profile_lines("Profile of P1", entry.get("profile"))


SCENARIO = Scenario(
    name="P1",
    title="P1 — submit one job",
    description=(
        '`POST /api/v1/jobs/` with `{"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}` over '
        "8 keep-alive connections (closed loop), against (1) a hand-written Django view (`bench/baseline/`: no "
        "auth, inserts one row, `django_rq.enqueue`) on its own database (`<prefix>_baseline`) and Redis db 14, "
        "served two ways: as most teams deploy Django, `gunicorn -w 2 -k gthread --threads 4 "
        "bench.baseline.wsgi:application`, and the way Conveyor is served "
        "(`python -m config.web --app bench.baseline.asgi:application --workers 2`: Django's WSGI handler on "
        "a pool of threads behind uvicorn); both with persistent connections (`CONN_MAX_AGE` 60). The faster "
        "of the two in the run is the baseline. (2) Celery + Flower: one Flower process "
        "(`celery -A bench.celeryapp flower --basic-auth=...`) answering `POST /api/task/async-apply/bench.noop` "
        "with the same kwargs, which publishes to a Redis broker (db 12; no result backend, no Celery worker). "
        "The four take turns going first. CPU rows: CPU time of each part divided by the requests served "
        "(PostgreSQL counts every database on the server, other tenants included)."
    ),
    full=Plan(p1_warmup=1.0, p1_duration=6.0, p1_profile=True),
    smoke=Plan(p1_warmup=0.3, p1_duration=1.2, p1_profile=False),
    estimate_s=90,
    run=run,
    stop_after=("flower", "gthread"),  # only P1 compares with them
    notes=notes,
)
