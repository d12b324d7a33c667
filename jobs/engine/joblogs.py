"""Keeping the log records a task emits with its job, so `GET /jobs/{id}/logs/` can show them."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from audit.context import current
from jobs.models import JobLog

MAX_LINES = 500
MAX_BYTES = 64 * 1024
# Conveyor's own bookkeeping is in the process log already; the job log is the task's story.
IGNORED_LOGGERS = ("rq.", "jobs.engine.runner", "jobs.engine.lifecycle", "jobs.engine.dispatch", "django.db")


class _Collector(logging.Handler):
    def __init__(self, job_id: str) -> None:
        super().__init__(level=logging.INFO)
        self.job_id = job_id
        self.lines: list[dict[str, Any]] = []
        self.size = 0
        self.truncated = False

    def emit(self, record: logging.LogRecord) -> None:
        if current().job_id != self.job_id or record.name.startswith(IGNORED_LOGGERS):
            return
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage()[:2000],
        }
        self.size += len(line["message"]) + 64
        if len(self.lines) >= MAX_LINES or self.size > MAX_BYTES:
            self.truncated = True
            return
        self.lines.append(line)


@contextmanager
def capture(job_id: str, attempt: int) -> Iterator[None]:
    """Collect the job's log records while the block runs, then append them to its JobLog."""
    collector = _Collector(job_id)
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield
    finally:
        root.removeHandler(collector)
        if collector.lines or collector.truncated:
            log, _ = JobLog.objects.get_or_create(job_id=job_id)
            at = datetime.now(UTC).isoformat()
            marker = {"at": at, "level": "INFO", "logger": "conveyor", "message": f"attempt {attempt}"}
            room = MAX_LINES - len(log.lines)
            added = [marker, *collector.lines]
            log.lines = log.lines + added[:room]
            log.truncated = log.truncated or collector.truncated or len(added) > room
            log.save()
