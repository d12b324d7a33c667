"""The one function RQ runs: load the job row, run its registered task, record the outcome."""

import logging
import time
import traceback

from rq import get_current_job

from audit.context import attribute
from core.errors import NotFound
from jobs import alerts, joblogs, lifecycle, runtime
from jobs.models import Job, JobState
from jobs.registry import Task, get_task

logger = logging.getLogger(__name__)

TRACEBACK_MAX_CHARS = 20_000


def execute(job_id: str) -> None:
    """Run job `job_id` if it is still queued; exceptions are recorded, then re-raised for RQ."""
    rq_job = get_current_job()
    worker = (rq_job.worker_name if rq_job else None) or "unknown"
    # Everything the job does, its own start included, is attributed to it and its submitter
    # (job_start reads the submitter with the row).
    with attribute(channel="job", job_id=job_id, reason="job execution"):
        job = lifecycle.job_start(job_id, worker=worker)
        if job is None:
            logger.info("job.skipped", extra={"job_id": job_id})
            return
        with attribute(user=job.submitted_by), joblogs.capture(job_id, job.attempt):
            _run(job)


class TaskNotRegistered(runtime.PermanentFailure):
    """The job's task was renamed or removed by an upgrade while the job waited: no attempt can run it."""


def _task_of(job: Job) -> Task:
    try:
        return get_task(job.task)
    except NotFound:
        raise TaskNotRegistered(f"no task named {job.task!r} is registered in this worker") from None


def _run(job: Job) -> None:
    job_id = str(job.pk)
    started = time.monotonic()
    token = runtime._running.set(runtime._Running(job_id))
    try:
        logger.info("job.started", extra={"job_id": job_id, "task": job.task, "attempt": job.attempt})
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
            failed = lifecycle.job_fail(job_id, error, retry=not isinstance(exc, runtime.PermanentFailure))
            if failed is not None and failed.state == JobState.FAILED:
                alerts.job_failed(failed)
            duration_ms = round(1000 * (time.monotonic() - started))
            logger.warning(
                "job.failed",
                extra={"job_id": job_id, "task": job.task, "error_type": error["type"], "duration_ms": duration_ms},
            )
            raise
        lifecycle.job_succeed(job_id, result)
        duration_ms = round(1000 * (time.monotonic() - started))
        logger.info("job.finished", extra={"job_id": job_id, "task": job.task, "duration_ms": duration_ms})
    finally:
        runtime._running.reset(token)
