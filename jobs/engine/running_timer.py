"""The running timer of a worker that runs jobs in-process: it writes `running` for a claimed
run still going after WORKER_RUNNING_AFTER_MS, from one thread with its own connection.

A short job never meets it: its run ends in one audited change. A fork worker does not need
it (its parent is idle while the work horse runs, and marks the run itself: jobs.engine.worker).
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django import db
from django.conf import settings

from audit.context import Attribution, restored
from jobs.engine import lifecycle
from jobs.engine.lifecycle import Run

logger = logging.getLogger(__name__)


class RunningTimer:
    """Marks the one run being watched running once it outlasts its delay."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._run: Run | None = None
        self._context: Attribution | None = None
        self._due = 0.0
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, run: Run, context: Attribution) -> Iterator[None]:
        """Watch `run` while the block runs; on leaving, wait for a write in progress (the
        thread holds the lock while it writes), so the run's end comes after it."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="running-timer", daemon=True)
                self._thread.start()
            self._run, self._context = run, context
            self._due = time.monotonic() + settings.WORKER_RUNNING_AFTER_MS / 1000
            self._lock.notify()
        try:
            yield
        finally:
            with self._lock:
                self._run = None

    def _loop(self) -> None:
        while True:
            with self._lock:
                while self._run is None:
                    self._lock.wait()
                wait = self._due - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                run, context, self._run = self._run, self._context, None
                assert context is not None
                self._mark(run, context)

    @staticmethod
    def _mark(run: Run, context: Attribution) -> None:
        try:
            with restored(context):
                lifecycle.job_mark_running(run)
        except db.DatabaseError:
            # The run's end is still recorded (from queued, in one change) by the worker.
            logger.warning("job.mark_running_failed", extra={"job_id": run.job_id}, exc_info=True)
        finally:
            db.close_old_connections()


timer = RunningTimer()
