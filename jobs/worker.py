"""Conveyor's RQ workers: they keep Django's DB connections sane and report lost jobs.

`ForkWorker` (default) runs each job in a forked child: a crash or leak in a task cannot take
the worker down, at ~10 ms per job. `SimpleWorker` runs jobs in-process, ~4x faster, without
that isolation and without hard-stopping a running job (cancel is then cooperative, through
`progress()`). Choose with CONVEYOR_WORKER=fork|simple.

Both ride out an outage of Redis or the database (jobs.outage): every step of RQ's work loop
waits for the stores to come back instead of ending the process, and a job whose outcome could
not be recorded is handed to `lifecycle.job_lost` once they are back. A fork worker's work horse
dies with its worker (`ForkWorker.main_work_horse`).
"""

import ctypes
import os
import signal
import sys
from typing import Any

from django import db
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import worker as rq_worker
from rq.job import Job as RQJob
from rq.queue import Queue
from rq.serializers import JSONSerializer

from jobs import alerts, lifecycle
from jobs.engine import JsonJob
from jobs.models import JobState
from jobs.outage import BACKOFF_MAX, OUTAGE_ERRORS, Outage

ALIVE_KEY = "conveyor:worker-alive:{}"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class _ConveyorWorker(rq_worker.BaseWorker):
    # RQ's own wait between failed dequeues (it retries those itself); ours cap it too.
    max_connection_wait_time = BACKOFF_MAX

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # JSON only, whoever constructs the worker (CLI, tests, django-rq).
        kwargs["job_class"] = JsonJob
        kwargs["serializer"] = JSONSerializer
        kwargs.setdefault("job_monitoring_interval", settings.WORKER_MONITORING_INTERVAL)
        super().__init__(*args, **kwargs)
        self.outage = Outage("worker", self.connection)

    # RQ's work loop ends the process on any error in these steps; each is safe to repeat, so
    # an outage is waited out and the step run again.
    def check_for_suspension(self, burst: bool) -> None:
        self.outage.call(super().check_for_suspension, burst)

    def run_maintenance_tasks(self) -> None:
        self.outage.call(super().run_maintenance_tasks)

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        return self.outage.call(super().dequeue_job_and_maintain_ttl, timeout, max_idle_time)

    def execute_job(self, job: RQJob, queue: Queue) -> None:
        """Run `job`; if an outage kept its outcome from being recorded, record it as lost (or
        retried by its policy) once the stores are back. Not repeated: the task may have run."""
        try:
            super().execute_job(job, queue)
            if not self.outcome_unrecorded():
                return
        except OUTAGE_ERRORS as exc:
            self.outage.ride_out(exc)
        # A no-op unless the row still says running (the work horse died, or could not write).
        self.outage.call(
            lifecycle.job_lost,
            job.id,
            "the job's outcome was not recorded (its run lost a store, or the work horse died)",
        )

    def outcome_unrecorded(self) -> bool:
        """Whether the job just executed may have ended without recording its outcome."""
        return False

    def _pubsub_exception_handler(self, exc: Exception, pubsub: Any, pubsub_thread: Any) -> None:
        # RQ logs every reconnection attempt of its command listener; the main loop already
        # logs the outage once.
        if not isinstance(exc, RedisConnectionError):
            super()._pubsub_exception_handler(exc, pubsub, pubsub_thread)

    def alive_ttl(self, timeout: int | None) -> int:
        """How long this heartbeat vouches for the worker while it runs a job."""
        return int(timeout or self.worker_ttl + 60)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is None:
            # RQ sends its three heartbeat commands one by one, three times per job: one round
            # trip instead of four each time.
            self.outage.call(self._heartbeat_now, timeout)
            return
        # Appended after RQ's own commands: maintain_heartbeats reads their results by position.
        super().heartbeat(timeout, pipeline)
        pipeline.set(ALIVE_KEY.format(self.name), 1, ex=self.alive_ttl(timeout))

    def _heartbeat_now(self, timeout: int | None) -> None:
        with self.connection.pipeline(transaction=False) as pipe:
            self.heartbeat(timeout, pipe)
            pipe.execute()

    def handle_job_failure(
        self,
        job: RQJob,
        queue: Queue,
        started_job_registry: Any = None,
        exc_string: str = "",
        execution: Any = None,
    ) -> None:
        """RQ gave up on an execution; if the row still says running, the task never reported."""
        super().handle_job_failure(job, queue, started_job_registry, exc_string, execution)
        lost = lifecycle.job_lost(job.id, exc_string or "the worker lost the job")
        if lost is not None and lost.state == JobState.FAILED:
            alerts.job_failed(lost)


class ForkWorker(_ConveyorWorker, rq_worker.Worker):
    _horse_status: int | None = None  # the last work horse's wait status
    _worker_pid = 0  # this worker's pid, as its horse knows it

    def alive_ttl(self, timeout: int | None) -> int:
        # The parent heartbeats every job_monitoring_interval while its horse works, so three
        # missed beats mean the worker is gone (RQ's own key lingers for another minute).
        return 3 * self.job_monitoring_interval

    def maintain_heartbeats(self, job: RQJob, execution: Any) -> None:
        """Heartbeat while the horse works; during an outage, skip the beat and keep watching
        the horse (the next beat is one monitoring interval away)."""
        try:
            super().maintain_heartbeats(job, execution)
        except OUTAGE_ERRORS as exc:
            self.outage.down(exc)
        else:
            self.outage.up("redis")

    def fork_work_horse(self, job: RQJob, queue: Queue) -> None:
        # The child must not share the parent's database socket.
        db.connections.close_all()
        self._worker_pid = os.getpid()
        self._horse_status = None
        super().fork_work_horse(job, queue)

    def main_work_horse(self, job: RQJob, queue: Queue) -> None:
        """Run in the forked horse: first make it die with its worker.

        The horse runs in its own process group, so a worker killed with SIGKILL (OOM killer,
        `kill -9`) used to leave it running the job unwatched. On Linux the kernel now sends it
        SIGKILL when the worker dies; a worker that died before that was set is caught by the
        parent pid check. The job then ends through reconcile (`WorkerLost`, or a retry).
        """
        if sys.platform == "linux":
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != self._worker_pid:
                os._exit(1)
        super().main_work_horse(job, queue)

    def wait_for_horse(self) -> Any:
        pid, status, rusage = super().wait_for_horse()
        if pid is not None:
            self._horse_status = status
        return pid, status, rusage

    def outcome_unrecorded(self) -> bool:
        # A horse that recorded its job's outcome exits 0 (a task's own failure included); one
        # that met an outage while writing it exits 1 (RQ's `main_work_horse`).
        return self._horse_status is not None and self._horse_status != 0

    def perform_job(self, job: RQJob, queue: Queue, execution: Any) -> bool:
        try:
            return super().perform_job(job, queue, execution)
        finally:
            if self.is_horse:
                db.connections.close_all()


class SimpleWorker(_ConveyorWorker, rq_worker.SimpleWorker):
    def perform_job(self, job: RQJob, queue: Queue, execution: Any) -> bool:
        db.close_old_connections()
        try:
            return super().perform_job(job, queue, execution)
        finally:
            db.close_old_connections()
