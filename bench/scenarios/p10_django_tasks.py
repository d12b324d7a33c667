"""P10: Django's task API in-process, `.enqueue()` through Conveyor's backend against `django_rq.enqueue`."""

import json
from dataclasses import dataclass
from typing import Any

from bench import services as sv
from bench.harness import Bench, Scenario
from bench.stats import Target, row, stat

RATE = Target(ratio_at_least=0.5)


@dataclass(frozen=True)
class Plan:
    p10_jobs: int


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    """Both in one `manage.py shell` (bench/enqueue.py), taking turns."""
    spec = {"jobs": plan.p10_jobs, "rounds": bench.plan.runs, "username": sv.BENCH_USER}
    env = sv.app_env(BENCH_ENQUEUE=json.dumps(spec))
    out = sv.manage(["shell", "-c", "from bench.enqueue import main; main()"], timeout=600, env=env)
    found = [line for line in out.splitlines() if line.startswith("BENCH_RESULT ")]
    if not found:
        raise RuntimeError(f"bench.enqueue printed no result:\n{out[-2000:]}")
    rates = json.loads(found[-1].removeprefix("BENCH_RESULT "))["rates"]
    value = stat(rates["django_tasks"])
    return {
        "rows": [
            row(
                f"`.enqueue()` jobs/s, {plan.p10_jobs} one by one",
                value,
                baseline=stat(rates["django_rq"]),
                baseline_label="`django_rq.enqueue`",
                target=RATE,
            ),
            row(
                "`.enqueue()` jobs/s vs one kept queue",
                value,
                baseline=stat(rates["django_rq_shared"]),
                baseline_label="`django_rq.get_queue()` once, then `.enqueue` on it",
            ),
        ],
        "rates": rates,
        "jobs": plan.p10_jobs,
    }


SCENARIO = Scenario(
    name="P10",
    title="P10 — Django's task API, in-process",
    description=(
        "`noop_task.enqueue(n)` of a `@django.tasks.task` function on Conveyor's backend (`jobs.backend`: a "
        "durable, audited job row per call, pushed to Redis after its commit; as the bench's superuser) "
        "against `django_rq.enqueue(noop, n)` of the same function (RQ's job hash and queue entry: no row), "
        "one by one in one `manage.py shell` process (`bench/enqueue.py`), the two taking turns; and, for "
        "reference, `enqueue` on one `django_rq.get_queue()` object kept for the whole round "
        "(`django_rq.enqueue` builds a queue and a Redis connection on every call). Nothing runs the jobs."
    ),
    full=Plan(p10_jobs=1000),
    smoke=Plan(p10_jobs=30),
    estimate_s=40,
    run=run,
)
