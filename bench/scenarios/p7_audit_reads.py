"""P7: audit reads, a job's history page and the audit feed by actor, over large history tables."""

from dataclasses import dataclass
from typing import Any

from bench import markdown
from bench import services as sv
from bench.harness import Bench, Scenario
from bench.scenarios.p1_submit import BODY
from bench.stats import Target, row, stat

P99 = Target(at_most=30)


@dataclass(frozen=True)
class Plan:
    p7_history: int
    p7_feed_rows: int
    p7_requests: int  # a p99 of 50 samples is their maximum: one stall of the shared machine
    p7_profile: bool


def timed_gets(bench: Bench, plan: Plan, path: str) -> list[dict[str, Any]]:
    """`p7_requests` GETs of `path` one after the other, `runs` times."""
    service, port = bench.web("app")
    reqs = [{"method": "GET", "path": path, "headers": bench.auth()}]
    spec = bench.spec(port, reqs, connections=1, duration=60, expect=[200], timeout=60)
    if bench.plan.warm:
        sv.loadgen({**spec, "max_requests": 3})  # warm caches
    return [bench.load(service, {**spec, "max_requests": plan.p7_requests}) for _ in range(bench.plan.runs)]


def rows(history: dict[str, Any], feed: dict[str, Any], runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    def p(name: str, key: str) -> dict[str, Any]:
        return stat([r[key] for r in runs[name]])

    return [
        row(f"job history page ({history['entries']} entries): p50", p("history", "p50_ms"), unit="ms"),
        row("job history page: p99", p("history", "p99_ms"), unit="ms", target=P99),
        row(f"audit feed ?actor= ({feed['rows']} history rows): p50", p("feed", "p50_ms"), unit="ms"),
        row("audit feed ?actor=: p99", p("feed", "p99_ms"), unit="ms", target=P99),
        # What a request costs, apart from what the shared machine does meanwhile.
        *(
            # /proc counts CPU in 10 ms ticks: a smoke run's few requests can round to 0.
            row(
                f"{label}: {part} CPU per request",
                stat([r["cpu"][key] for r in runs[name]]),
                unit="ms",
                may_be_zero=True,
            )
            for name, label in (("history", "job history page"), ("feed", "audit feed"))
            for part, key in (("web", "web_ms_per_req"), ("PostgreSQL (all dbs)", "postgres_ms_per_req"))
        ),
    ]


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    api = bench.api()
    try:
        job, _ = api.call("POST", "/api/v1/jobs/", {**BODY, "delay_seconds": 3600})
    finally:
        api.close()
    paths = {"history": f"/api/v1/jobs/{job['id']}/history/"}
    history = sv.django_task("make_history", job_id=job["id"], entries=plan.p7_history, username=sv.BENCH_USER)
    runs = {"history": timed_gets(bench, plan, paths["history"])}
    feed = sv.django_task("make_feed", timeout=600, rows=plan.p7_feed_rows, users=20, username=sv.BENCH_USER)
    paths["feed"] = f"/api/v1/audit/events/?actor={feed['actor_id']}"
    runs["feed"] = timed_gets(bench, plan, paths["feed"])
    data: dict[str, Any] = {"rows": rows(history, feed, runs), "history": history, "feed": feed, "runs": runs}
    if plan.p7_profile:
        service, port = bench.web("app")
        for label, path in paths.items():
            reqs = [{"method": "GET", "path": path, "headers": bench.auth()}]
            spec = bench.spec(port, reqs, connections=2, duration=6, expect=[200], timeout=60)
            data[f"profile_{label}"] = bench.profile_run(f"p7-{label}", service, spec)
    return data


def notes(entry: dict[str, Any], results: dict[str, Any]) -> list[str]:
    feed = entry.get("feed", {})
    return [
        f"History rows: {feed.get('rows')} ({feed.get('bulk_created')} made with bulk_create, "
        f"{feed.get('copied_in_sql')} copied from them in SQL).",
        "",
        *markdown.profile_lines("Profile of the history page", entry.get("profile_history")),
        *markdown.profile_lines("Profile of the audit feed", entry.get("profile_feed")),
    ]


SCENARIO = Scenario(
    name="P7",
    title="P7 — audit reads",
    description=(
        "`GET /api/v1/jobs/{id}/history/` (first page) of a job with 10,000 history entries, and "
        "`GET /api/v1/audit/events/?actor=<id>` over ~1,000,000 job history rows (20 actors, so the "
        "actor has ~50,000), made with `bulk_create`; one connection, 200 requests per run. CPU rows: "
        "CPU time of the web processes and of PostgreSQL (every database on the server) divided by the "
        "requests served."
    ),
    full=Plan(p7_history=10_000, p7_feed_rows=1_000_000, p7_requests=200, p7_profile=True),
    smoke=Plan(p7_history=500, p7_feed_rows=10_000, p7_requests=10, p7_profile=False),
    estimate_s=120,
    run=run,
    notes=notes,
)
