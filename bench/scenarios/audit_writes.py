"""AUDIT: what one save costs with simple-history, reversion, both, and through the update service."""

from dataclasses import dataclass
from typing import Any

from bench import services as sv
from bench.harness import Bench, Scenario
from bench.stats import row, stat

# What each measured save is, and the plain save it is compared with (None: it is one).
SAVES = {
    "job_plain": ("Job.save(), history skipped", None),
    "job_history": ("Job.save() + simple-history", "job_plain"),
    "schedule_plain": ("Schedule.save(), history skipped", None),
    "schedule_history": ("Schedule.save() + simple-history", "schedule_plain"),
    "schedule_revision": ("Schedule.save() + reversion revision", "schedule_plain"),
    "schedule_history_revision": ("Schedule.save() + simple-history + reversion", "schedule_plain"),
    "schedule_update_service": ("schedule_update() service (validate, plan, both, re-arm)", "schedule_plain"),
}


@dataclass(frozen=True)
class Plan:
    audit_saves: int


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    costs = sv.django_task("audit_costs", saves=plan.audit_saves, username=sv.BENCH_USER)
    rows = []
    for key, (label, plain) in SAVES.items():
        base = costs[plain]["median_us"] if plain else None
        baseline = stat([base]) if base else None
        rows.append(
            row(
                label,
                stat([costs[key]["median_us"]]),
                baseline=baseline,
                baseline_label="plain save" if base else "",
                unit="µs",
            )
        )
    return {"rows": rows, "costs": costs}


SCENARIO = Scenario(
    name="AUDIT",
    title="Audit write costs",
    description=(
        "Median cost of one save on PostgreSQL, each in its own transaction (so the commit counts), "
        "measured in a `manage.py shell` script (`bench/djtasks.py`)."
    ),
    full=Plan(audit_saves=200),
    smoke=Plan(audit_saves=10),
    estimate_s=20,
    run=run,
)
