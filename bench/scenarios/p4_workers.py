"""P4: worker throughput on no-op jobs, Conveyor's workers against stock RQ's, and the design's floor."""

import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench import markdown
from bench import services as sv
from bench.harness import BATCH_SIZE, Bench, Scenario, conveyor_worker, stock_worker
from bench.rqbench import parse_rq_time
from bench.stats import Target, row, stat

# What the worker scenarios run: the job lifecycle alone, as the baselines' no-op task.
NOOP_BODY = {"task": "demo.noop"}
KINDS = {"fork": "Worker", "simple": "SimpleWorker"}
RATE = Target(ratio_at_least=0.75)


@dataclass(frozen=True)
class Plan:
    p4_jobs: dict[str, int]


def submit_batch(bench: Bench, count: int) -> list[str]:
    api = bench.api()
    ids: list[str] = []
    try:
        while len(ids) < count:
            size = min(BATCH_SIZE, count - len(ids))
            body, _ = api.call("POST", "/api/v1/jobs/batch/", {"jobs": [NOOP_BODY] * size})
            ids += [job["id"] for job in body["jobs"]]
    finally:
        api.close()
    return ids


def watch(service: sv.Service, timeout: float) -> dict[str, Any]:
    """Wait for a burst process to exit, sampling its peak RSS; return wall time and peak.
    The process is stopped in any case."""
    started = time.monotonic()
    peak = 0
    try:
        while service.alive():
            peak = max(peak, sv.proc_status(service.pid).get("VmHWM", 0))
            if time.monotonic() - started > timeout:
                service.stop(5)
                raise RuntimeError(f"{service.name} did not finish within {timeout:.0f} s:\n{service.log_tail()}")
            time.sleep(0.05)
        if service.proc.returncode not in (0, None):
            raise RuntimeError(f"{service.name} exited {service.proc.returncode}:\n{service.log_tail()}")
        return {"wall_s": round(time.monotonic() - started, 3), "peak_rss_mib": round(peak / 1024, 1)}
    finally:
        service.stop()


def span(jobs: int, seconds: float) -> dict[str, Any]:
    return {"jobs": jobs, "span_s": round(seconds, 3), "jobs_per_s": round(jobs / max(seconds, 1e-6), 1)}


def rq_span(ids: list[str]) -> dict[str, Any]:
    """First start to last end of these stock RQ jobs, from their hashes."""
    redis = sv.redis_client(sv.RAW_REDIS_DB)
    with redis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hmget(f"rq:job:{job_id}", ["started_at", "ended_at"])
        values = pipe.execute()
    starts = [t for t in (parse_rq_time(v[0]) for v in values) if t]
    ends = [t for t in (parse_rq_time(v[1]) for v in values) if t]
    if len(ends) < len(ids) or not starts:
        raise RuntimeError(f"only {len(ends)} of {len(ids)} RQ jobs have an end time")
    return span(len(ids), (max(ends) - min(starts)).total_seconds())


def db_span(ids: list[str]) -> dict[str, Any]:
    """First start to last end of these jobs, from their rows: RQ keeps no hash of a
    Conveyor job that succeeded (result_ttl 0), and the row is the record anyway. A row's
    start is taken before RQ's (the claim, before the fork) and its end after (the parent
    records it once the horse is gone), so the span is if anything longer than RQ's."""
    with sv.pg_connect(sv.APP_DB) as conn:
        found = conn.execute(
            "SELECT count(*), min(started_at), max(ended_at), count(*) FILTER (WHERE state = 'succeeded') "
            "FROM jobs_job WHERE id = ANY(%s::uuid[])",
            (ids,),
        ).fetchone()
    assert found is not None
    return {**span(len(ids), (found[2] - found[1]).total_seconds()), "succeeded_rows": int(found[3])}


def conveyor_run(bench: Bench, kind: str, count: int) -> dict[str, Any]:
    """Rows submitted through the batch endpoint, drained by a burst worker."""
    bench.reset_jobs()
    ids = submit_batch(bench, count)
    watched = watch(conveyor_worker(kind, burst=True), timeout=60 + count / 5)
    app = {**db_span(ids), **watched}
    if app["succeeded_rows"] != count:
        raise RuntimeError(f"{kind}: {app['succeeded_rows']} of {count} rows succeeded")
    return app


def stock_run(kind: str, count: int) -> dict[str, Any]:
    """The same number of no-op jobs on a JSON queue, drained by a stock burst worker."""
    sv.flush_redis(sv.RAW_REDIS_DB)
    url = sv.redis_url(sv.RAW_REDIS_DB)
    sv.run(
        [sv.PYTHON, "-m", "bench.rqbench", "enqueue", "--url", url, "--jobs", str(count)],
        sv.app_env(),
        60,
        "rqbench enqueue",
    )
    queued = sv.redis_client(sv.RAW_REDIS_DB).lrange("rq:queue:default", 0, -1)
    raw_ids = [i.decode() if isinstance(i, bytes) else str(i) for i in queued]
    watched = watch(stock_worker(kind, burst=True), timeout=60 + count / 5)
    return {**rq_span(raw_ids), **watched}


def floor_rows(runs: dict[str, list[dict[str, Any]]], plan: Plan, bench: Bench) -> list[dict[str, Any]]:
    """The floor of the design: stock RQ's own time per job plus the database work of a short
    run in plain SQL (the claim's read and the one audited statement that records it), made by
    either worker on its persistent connection."""
    floor = sv.django_task("lifecycle_floor", jobs=plan.p4_jobs["simple"], rounds=bench.plan.runs)
    floor_ms = statistics.median(floor["per_job_ms"])
    out = [
        row(
            "a short run's read and audited record in plain SQL (psycopg, no ORM)", stat(floor["per_job_ms"]), unit="ms"
        )
    ]
    for kind in KINDS:
        stock_ms = [1000 / r["jobs_per_s"] for r in runs[f"rq_{kind}"] if r["jobs_per_s"]]
        ceilings = [ms / (ms + floor_ms) for ms in stock_ms]
        out.append(row(f"{kind}: highest ratio to stock RQ this design allows", stat(ceilings), unit="x"))
    return out


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        for _ in range(bench.plan.runs):
            runs.setdefault(f"conveyor_{kind}", []).append(conveyor_run(bench, kind, plan.p4_jobs[kind]))
            runs.setdefault(f"rq_{kind}", []).append(stock_run(kind, plan.p4_jobs[kind]))

    def pick(name: str, key: str) -> dict[str, Any]:
        return stat([r[key] for r in runs[name]])

    rows = [
        row(
            f"{kind}: no-op jobs/s ({plan.p4_jobs[kind]} jobs)",
            pick(f"conveyor_{kind}", "jobs_per_s"),
            baseline=pick(f"rq_{kind}", "jobs_per_s"),
            baseline_label=f"stock RQ {label}",
            target=RATE,
        )
        for kind, label in KINDS.items()
    ]
    rows += floor_rows(runs, plan, bench)
    rows += [
        row(
            f"{kind}: burst wall time incl. start-up",
            pick(f"conveyor_{kind}", "wall_s"),
            baseline=pick(f"rq_{kind}", "wall_s"),
            baseline_label="stock RQ",
            unit="s",
        )
        for kind in KINDS
    ]
    bench.results["memory_worker_after_p4"] = {
        name: stat([r["peak_rss_mib"] for r in values]) for name, values in runs.items()
    }
    return {"runs": runs, "rows": rows}


def notes(entry: dict[str, Any], results: dict[str, Any]) -> list[str]:
    memory = results.get("memory_worker_after_p4", {})
    if not memory:
        return []
    figures = "; ".join(f"{k.replace('_', ' ')} {markdown.figure(v, 'MiB')}" for k, v in memory.items())
    return ["Peak RSS (VmHWM) of the worker process during P4: " + figures + ".", ""]


SCENARIO = Scenario(
    name="P4",
    title="P4 — worker throughput",
    description=(
        "No-op jobs (`demo.noop`) submitted through the batch endpoint, then drained by "
        "`manage.py rqworker --burst high default low` with `CONVEYOR_WORKER=fork|simple`; against stock "
        "RQ `Worker`/`SimpleWorker` (JSON serializer) in burst mode on the same number of no-op jobs "
        "(`bench.baseline.tasks.noop`). jobs/s = jobs / (last RQ `ended_at` - first RQ `started_at`), "
        "read from the RQ job hashes for both. The floor of the design: the database work of a short run, "
        "the claim's read of the row and the one statement that records it queued -> succeeded with its "
        "history row, in plain SQL over psycopg, no ORM (`bench.djtasks.lifecycle_floor`; both workers make "
        "them on their persistent connection); the highest ratio this design allows is stock RQ's time per "
        "job over that time plus the floor."
    ),
    full=Plan(p4_jobs={"fork": 120, "simple": 250}),
    smoke=Plan(p4_jobs={"fork": 15, "simple": 15}),
    estimate_s=150,
    run=run,
    notes=notes,
)
