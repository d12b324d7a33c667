"""P5: submit → running with an idle worker, Conveyor's against stock RQ's enqueue → started."""

import time
from dataclasses import dataclass
from typing import Any

import psycopg
from rq import Queue
from rq.serializers import JSONSerializer

from bench import services as sv
from bench.harness import Api, Bench, Scenario, conveyor_worker, stock_worker
from bench.loadgen import percentile
from bench.rqbench import NOOP, parse_rq_time
from bench.scenarios.p4_workers import KINDS, NOOP_BODY
from bench.stats import Target, row, stat

P99 = Target(at_most=20)
FINISH_S = 15  # a sample whose job has not finished by then fails the run
PAUSE_S = 0.03  # between samples: the worker is idle again


@dataclass(frozen=True)
class Plan:
    p5_jobs: int


def wait_worker(db: int, service: sv.Service, timeout: float = 60) -> None:
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


def conveyor_sample(api: Api, conn: psycopg.Connection[Any]) -> float:
    """One job through the API: ms from its row's creation to its start."""
    job, _ = api.call("POST", "/api/v1/jobs/", NOOP_BODY)
    deadline = time.monotonic() + FINISH_S
    while True:
        found = conn.execute(
            "SELECT started_at, created_at, ended_at FROM jobs_job WHERE id = %s", (job["id"],)
        ).fetchone()
        if found and found[0] is not None and found[2] is not None:
            return float((found[0] - found[1]).total_seconds() * 1000)
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job['id']} did not finish within {FINISH_S} s")
        time.sleep(0.002)


def stock_sample(queue: Queue) -> float:
    """One no-op job on stock RQ: ms from its enqueue to its start."""
    rq_job = queue.enqueue(NOOP)
    deadline = time.monotonic() + FINISH_S
    while True:
        started, ended, enqueued = queue.connection.hmget(
            f"rq:job:{rq_job.id}", ["started_at", "ended_at", "enqueued_at"]
        )
        if started and ended:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"a stock RQ job did not finish within {FINISH_S} s")
        time.sleep(0.002)
    start_time, enqueue_time = parse_rq_time(started), parse_rq_time(enqueued)
    assert start_time and enqueue_time
    return (start_time - enqueue_time).total_seconds() * 1000


def conveyor_samples(bench: Bench, kind: str, jobs: int) -> list[float]:
    bench.reset_jobs()
    worker = conveyor_worker(kind)
    bench.services.append(worker)
    api = bench.api()
    samples = []
    try:
        wait_worker(sv.APP_REDIS_DB, worker)
        with sv.pg_connect(sv.APP_DB) as conn:
            for _ in range(jobs):
                samples.append(conveyor_sample(api, conn))
                time.sleep(PAUSE_S)
    finally:
        api.close()
        worker.stop()
        bench.services.remove(worker)
    return samples


def stock_samples(bench: Bench, kind: str, jobs: int) -> list[float]:
    sv.flush_redis(sv.RAW_REDIS_DB)
    worker = stock_worker(kind)
    bench.services.append(worker)
    samples = []
    try:
        wait_worker(sv.RAW_REDIS_DB, worker)
        queue = Queue("default", connection=sv.redis_client(sv.RAW_REDIS_DB), serializer=JSONSerializer)
        for _ in range(jobs):
            samples.append(stock_sample(queue))
            time.sleep(PAUSE_S)
    finally:
        worker.stop()
        bench.services.remove(worker)
    return samples


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    samples: dict[str, list[float]] = {}
    for kind in KINDS:
        samples[f"conveyor_{kind}"] = conveyor_samples(bench, kind, plan.p5_jobs)
        samples[f"rq_{kind}"] = stock_samples(bench, kind, plan.p5_jobs)
    summary = {
        name: {
            "p50_ms": round(percentile(sorted(v), 50), 2),
            "p99_ms": round(percentile(sorted(v), 99), 2),
            "n": len(v),
        }
        for name, v in samples.items()
    }
    rows = [
        row(
            f"{kind}: submit → running, {q[:3]}",
            stat([summary[f"conveyor_{kind}"][q]]),
            baseline=stat([summary[f"rq_{kind}"][q]]),
            baseline_label="stock RQ enqueue → started",
            unit="ms",
            target=P99 if q == "p99_ms" else None,
        )
        for kind in KINDS
        for q in ("p50_ms", "p99_ms")
    ]
    return {
        "rows": rows,
        "summary": summary,
        "samples_ms": {k: [round(x, 2) for x in v] for k, v in samples.items()},
    }


SCENARIO = Scenario(
    name="P5",
    title="P5 — submit → running with an idle worker",
    description=(
        "250 `demo.noop` jobs, one at a time through the API; `started_at - created_at` of the row. Stock RQ: "
        "`started_at - enqueued_at` of a no-op job with an idle stock worker."
    ),
    full=Plan(p5_jobs=250),  # so that the p99 is not just the slowest sample
    smoke=Plan(p5_jobs=5),
    estimate_s=90,
    run=run,
)
