"""P2: batch submission through the API against raw RQ `enqueue_many`."""

import json
import statistics
from dataclasses import dataclass
from typing import Any

from bench import markdown
from bench import services as sv
from bench.harness import BATCH_SIZE, Bench, Scenario
from bench.scenarios.p1_submit import BODY
from bench.stats import Target, row, stat

RATE = Target(ratio_at_least=0.5)


@dataclass(frozen=True)
class Plan:
    p2_batch: int
    p2_batches: int
    p2_profile: bool


def raw_rq(plan: Plan) -> dict[str, Any]:
    """`bench.rqbench enqueue` of the same batches on its own Redis db: jobs/s of each batch."""
    url = sv.redis_url(sv.RAW_REDIS_DB)
    argv = [sv.PYTHON, "-m", "bench.rqbench", "enqueue", "--url", url, "--jobs", str(plan.p2_batch)]
    out = sv.run([*argv, "--batches", str(plan.p2_batches)], sv.app_env(), 120, "rqbench enqueue")
    return dict(json.loads(out.strip().splitlines()[-1]))


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    service, port = bench.web("app")
    body = json.dumps({"jobs": [BODY] * plan.p2_batch})
    reqs = [{"method": "POST", "path": "/api/v1/jobs/batch/", "headers": bench.auth(), "body": body}]
    spec = bench.spec(port, reqs, connections=1, duration=60, max_requests=plan.p2_batches, expect=[202], timeout=60)
    if bench.plan.warm:
        sv.loadgen({**spec, "max_requests": 1})  # warm-up batch
    app_rates, raw_rates, runs = [], [], []
    for _ in range(bench.plan.runs):
        result = bench.load(service, spec)
        app_rates.append(plan.p2_batch * 1000 / result["mean_ms"])
        raw = raw_rq(plan)
        raw_rates.append(statistics.median(raw["rates"]))
        runs.append({"conveyor": result, "raw_rq": raw})
        sv.flush_redis(sv.RAW_REDIS_DB)
    data: dict[str, Any] = {
        "runs": runs,
        "rows": [
            row(
                f"jobs/s, batches of {plan.p2_batch}",
                stat(app_rates),
                baseline=stat(raw_rates),
                baseline_label="raw RQ enqueue_many",
                target=RATE,
            ),
            row("batch request latency", stat([r["conveyor"]["mean_ms"] for r in runs]), unit="ms"),
        ],
    }
    if plan.p2_profile:
        data["profile"] = bench.profile_run("p2", service, {**spec, "max_requests": 4, "duration": 8})
    return data


def notes(entry: dict[str, Any], results: dict[str, Any]) -> list[str]:
    return markdown.profile_lines("Profile of P2 (batch)", entry.get("profile"))


SCENARIO = Scenario(
    name="P2",
    title="P2 — batch submit",
    description=(
        "`POST /api/v1/jobs/batch/` with 1,000 jobs, one request at a time, against raw RQ "
        "`Queue.enqueue_many` of 1,000 prepared no-op jobs (JSON serializer) on Redis db 15."
    ),
    full=Plan(p2_batch=BATCH_SIZE, p2_batches=3, p2_profile=True),
    smoke=Plan(p2_batch=100, p2_batches=1, p2_profile=False),
    estimate_s=30,
    run=run,
    notes=notes,
)
