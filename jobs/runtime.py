"""What task code may call while it runs: progress reporting and the current job's id."""

import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.utils import timezone


class JobCanceled(Exception):
    """Raised inside a task when its job was canceled; tasks should let it propagate."""


class PermanentFailure(Exception):
    """Raised by a task when another attempt cannot help: the job fails now, retries left or not."""


class Reporter(Protocol):
    """How a run's state reaches its row; the runner sets one for each run it starts."""

    def mark_running(self) -> bool:
        """Write `running` into the row; False if the job was canceled."""

    def report_progress(self, progress: dict[str, Any], *, at: datetime) -> bool:
        """Write `progress` into the row; False if the job was canceled."""


@dataclass
class _Running:
    job_id: str
    reporter: Reporter
    last_write: float = 0.0
    marked: bool = False  # whether this process saw the row marked running


_running: ContextVar[_Running | None] = ContextVar("running_job", default=None)
# Progress rows are written at most this often; the last report of a run is always written.
PROGRESS_INTERVAL = 0.5


def current_job_id() -> str | None:
    """Return the id of the job this code runs in, or None outside a job."""
    running = _running.get()
    return running.job_id if running else None


def mark_running() -> None:
    """Make the row of the running job say `running` (a short run's row says `queued` until it
    ends); raise JobCanceled if it was canceled. For code that reads its own job's row."""
    running = _running.get()
    if running is None or running.marked:
        return
    if not running.reporter.mark_running():
        raise JobCanceled(running.job_id)
    running.marked = True


def progress(current: int, total: int | None = None, message: str = "", *, force: bool = False) -> None:
    """Report progress of the running job (throttled); raise JobCanceled if it was canceled.

    Outside a job this does nothing, so task functions stay callable from a shell.
    """
    running = _running.get()
    if running is None:
        return
    now = time.monotonic()
    if not force and now - running.last_write < PROGRESS_INTERVAL and (total is None or current < total):
        return
    running.last_write = now
    # The first report marks the run running, if the worker's timer has not yet.
    mark_running()
    percent = round(100 * current / total, 1) if total else None
    data = {"current": current, "total": total, "percent": percent, "message": message[:500]}
    if not running.reporter.report_progress(data, at=timezone.now()):
        raise JobCanceled(running.job_id)
