"""Conveyor's RQ workers: they keep Django's DB connections sane and report lost jobs.

`ForkWorker` (default) runs each job in a forked child: a crash or leak in a task cannot take
the worker down, at ~10 ms per job. `SimpleWorker` runs jobs in-process, ~4x faster, without
that isolation and without hard-stopping a running job (cancel is then cooperative, through
`progress()`). Choose with CONVEYOR_WORKER=fork|simple.
"""

from typing import Any

from django import db
from django.conf import settings
from rq import worker as rq_worker
from rq.job import Job as RQJob
from rq.queue import Queue
from rq.serializers import JSONSerializer

from jobs import alerts, lifecycle
from jobs.engine import JsonJob
from jobs.models import JobState

ALIVE_KEY = "conveyor:worker-alive:{}"


class _ConveyorWorker(rq_worker.BaseWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # JSON only, whoever constructs the worker (CLI, tests, django-rq).
        kwargs["job_class"] = JsonJob
        kwargs["serializer"] = JSONSerializer
        kwargs.setdefault("job_monitoring_interval", settings.WORKER_MONITORING_INTERVAL)
        super().__init__(*args, **kwargs)

    def alive_ttl(self, timeout: int | None) -> int:
        """How long this heartbeat vouches for the worker while it runs a job."""
        return int(timeout or self.worker_ttl + 60)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is None:
            # RQ sends its three heartbeat commands one by one, three times per job: one round
            # trip instead of four each time.
            with self.connection.pipeline(transaction=False) as pipe:
                self.heartbeat(timeout, pipe)
                pipe.execute()
            return
        # Appended after RQ's own commands: maintain_heartbeats reads their results by position.
        super().heartbeat(timeout, pipeline)
        pipeline.set(ALIVE_KEY.format(self.name), 1, ex=self.alive_ttl(timeout))

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
    def alive_ttl(self, timeout: int | None) -> int:
        # The parent heartbeats every job_monitoring_interval while its horse works, so three
        # missed beats mean the worker is gone (RQ's own key lingers for another minute).
        return 3 * self.job_monitoring_interval

    def fork_work_horse(self, job: RQJob, queue: Queue) -> None:
        # The child must not share the parent's database socket.
        db.connections.close_all()
        super().fork_work_horse(job, queue)

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
