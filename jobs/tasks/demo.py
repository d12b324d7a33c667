"""Demonstration tasks: a long task that reports progress, one that always fails, and one that
does nothing (what a job costs beyond its task: the benchmarks run it)."""

import logging
import time

from jobs.registry import task
from jobs.runtime import progress

logger = logging.getLogger(__name__)


@task(
    "demo.sleep",
    parameters={
        "properties": {
            "seconds": {"type": "number", "minimum": 0, "maximum": 3600},
            "steps": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10},
        },
        "required": ["seconds"],
    },
)
def sleep(seconds: float, steps: int = 10) -> dict[str, float]:
    """Sleep for `seconds` in `steps` equal parts, reporting progress after each."""
    for step in range(1, steps + 1):
        time.sleep(seconds / steps)
        logger.info("demo.step %d of %d", step, steps)
        progress(step, steps, f"step {step} of {steps}")
    return {"slept": seconds}


@task(
    "demo.fail",
    parameters={"properties": {"message": {"type": "string", "maxLength": 1000}}, "required": ["message"]},
)
def fail(message: str) -> None:
    """Always raise RuntimeError(message): for trying retries, alerts and dependents."""
    raise RuntimeError(message)


@task("demo.noop", parameters={"properties": {}})
def noop() -> None:
    """Do nothing."""
