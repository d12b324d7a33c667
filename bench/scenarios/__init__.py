"""The scenarios of `python -m bench`, one module each: in the order a run takes them, and in the
order docs/benchmarks.md shows them. P9 (cost as data grows) runs apart: `python -m bench.scale`."""

from typing import Any

from bench.harness import Scenario
from bench.scenarios import (
    audit_writes,
    p1_submit,
    p2_batch,
    p3_status,
    p4_workers,
    p5_latency,
    p6_schedules,
    p7_audit_reads,
    p8_longpoll,
    p10_django_tasks,
)

RUN_ORDER: list[Scenario[Any]] = [
    p1_submit.SCENARIO,
    p3_status.SCENARIO,
    p2_batch.SCENARIO,
    p8_longpoll.SCENARIO,
    p4_workers.SCENARIO,
    p5_latency.SCENARIO,
    p7_audit_reads.SCENARIO,
    audit_writes.SCENARIO,
    p10_django_tasks.SCENARIO,
    p6_schedules.SCENARIO,  # last: it waits out whole minutes
]
BY_NAME = {scenario.name: scenario for scenario in RUN_ORDER}
PAGE_ORDER = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P10", "AUDIT"]
