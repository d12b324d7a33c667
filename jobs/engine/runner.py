"""The one function RQ runs: claim the job row, run its registered task, record the outcome.

In a SimpleWorker all of it happens in the worker process, and a timer (jobs.engine.running_timer) writes
`running` for a run still going after WORKER_RUNNING_AFTER_MS. A ForkWorker claims the job and
records the outcome in the parent, on its persistent connection: it hands the claim to its work
horse through fork memory (`claimed`) and the horse hands the outcome back through `sink`, so a
horse whose task does not use the database opens no connection.
"""

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rq import get_current_job

from audit.context import attribute, current
from core.errors import NotFound
from jobs import alerts, runtime
from jobs.engine import joblogs, lifecycle, running_timer
from jobs.engine.lifecycle import Run
from jobs.engine.outage import on_a_live_connection
from jobs.models import Job, JobState
from jobs.registry import Task, get_task

logger = logging.getLogger(__name__)

TRACEBACK_MAX_CHARS = 20_000
REASON = "job execution"


@dataclass
class Outcome:
    """How a run ended: a result, or an error (retried by the job's policy if `retry`)."""

    result: Any = None
    error: dict[str, str] | None = None
    retry: bool = True


@dataclass
class Handoff:
    """Set in a fork worker's work horse: the parent's claim (None: the job must not run), and
    where the outcome goes instead of the database."""

    claimed: tuple[Job, Run] | None
    sink: Callable[[Outcome], object]


@dataclass
class _Reporter:
    """Writes a run's `running` and progress through the lifecycle (runtime.Reporter)."""

    job_id: str
    run: Run

    def mark_running(self) -> bool:
        return lifecycle.job_mark_running(self.run)

    def report_progress(self, progress: dict[str, Any], *, at: datetime) -> bool:
        return lifecycle.job_report_progress(self.job_id, progress, at=at)


handoff: Handoff | None = None
last_claim: Run | None = None  # the run this process claimed last (a SimpleWorker's job_lost needs it)


def execute(job_id: str) -> None:
    """Run job `job_id` if it is still queued; exceptions are recorded, then re-raised for RQ."""
    rq_job = get_current_job()
    worker = (rq_job.worker_name if rq_job else None) or "unknown"
    # Everything the job does, its own start included, is attributed to it and its submitter.
    with attribute(channel="job", job_id=job_id, reason=REASON):
        claimed = handoff.claimed if handoff is not None else _claim(job_id, worker)
        if claimed is None:
            logger.info("job.skipped", extra={"job_id": job_id})
            return
        job, run = claimed
        with attribute(user=job.submitted_by), joblogs.capture(job_id, run.attempt):
            if handoff is not None:
                _run(job, run, handoff.sink)
                return
            with running_timer.timer.watching(run, current()):
                _run(job, run, lambda outcome: record(job_id, run, outcome))


def _claim(job_id: str, worker: str) -> tuple[Job, Run] | None:
    global last_claim
    claimed = on_a_live_connection(lifecycle.job_claim, job_id, worker=worker)
    last_claim = claimed[1] if claimed is not None else None
    return claimed


def record(job_id: str, run: Run | None, outcome: Outcome) -> Job | None:
    """Write how a run of job `job_id` ended to its row: from running, or with `run` from
    queued in one change if it was never marked running."""
    if outcome.error is None:
        return lifecycle.job_succeed(job_id, outcome.result, run=run)
    failed = lifecycle.job_fail(job_id, outcome.error, retry=outcome.retry, run=run)
    if failed is not None and failed.state == JobState.FAILED:
        alerts.job_failed(failed)
    return failed


class TaskNotRegistered(runtime.PermanentFailure):
    """The job's task was renamed or removed by an upgrade while the job waited: no attempt can run it."""


def _task_of(job: Job) -> Task:
    try:
        return get_task(job.task)
    except NotFound:
        raise TaskNotRegistered(f"no task named {job.task!r} is registered in this worker") from None


def _run(job: Job, run: Run, sink: Callable[[Outcome], object]) -> None:
    job_id = str(job.pk)
    started = time.monotonic()
    token = runtime._running.set(runtime._Running(job_id, _Reporter(job_id, run)))
    try:
        logger.info("job.started", extra={"job_id": job_id, "task": job.task, "attempt": run.attempt})
        try:
            result = _task_of(job).func(*job.args, **job.kwargs)
        except runtime.JobCanceled:
            logger.info("job.canceled", extra={"job_id": job_id, "task": job.task})
            return
        except Exception as exc:
            error = {
                "type": type(exc).__name__,
                "message": str(exc)[:2000],
                "traceback": traceback.format_exc()[-TRACEBACK_MAX_CHARS:],
            }
            # A permanent failure (a refused request, a 4xx answer) would fail the same way again.
            sink(Outcome(error=error, retry=not isinstance(exc, runtime.PermanentFailure)))
            duration_ms = round(1000 * (time.monotonic() - started))
            logger.warning(
                "job.failed",
                extra={"job_id": job_id, "task": job.task, "error_type": error["type"], "duration_ms": duration_ms},
            )
            raise
        sink(Outcome(result=result))
        duration_ms = round(1000 * (time.monotonic() - started))
        logger.info("job.finished", extra={"job_id": job_id, "task": job.task, "duration_ms": duration_ms})
    finally:
        runtime._running.reset(token)
