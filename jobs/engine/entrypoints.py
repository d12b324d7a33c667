"""RQ plumbing: the JSON-only job class, the only functions RQ may call, and the queue class."""

from collections.abc import Sequence
from typing import Any

from django_rq.queues import DjangoRQ
from redis import Redis
from rq.job import Job as RQJob
from rq.serializers import JSONSerializer
from rq.utils import get_version, import_attribute

# RQ runs nothing but these entry points; what a job does is looked up in the task registry.
RUN_JOB = "jobs.engine.runner.execute"
# Held by rq-scheduler for each active schedule; the scheduler process handles it itself.
FIRE_SCHEDULE = "jobs.scheduling.firing.schedule_fire"
ENTRY_POINTS = frozenset({RUN_JOB, FIRE_SCHEDULE})
# Their paths before jobs/ had sub-packages (2026-12), still held by jobs queued or armed then;
# read as the new ones for one release, then removed.
LEGACY_ENTRY_POINTS: dict[str | None, str] = {
    "jobs.runner.execute": RUN_JOB,
    "jobs.schedules.schedule_fire": FIRE_SCHEDULE,
}


class RefusedJob(Exception):
    """An RQ job that names a function other than Conveyor's entry points."""


class JsonJob(RQJob):
    """An RQ job that is always JSON-serialized and can only call Conveyor's entry points.

    Used by every queue, worker and scheduler, so a job hash planted in Redis with a pickled
    payload fails to load, and one naming `os.system` fails before anything is imported.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["serializer"] = JSONSerializer
        super().__init__(*args, **kwargs)

    @property
    def entry_point(self) -> str | None:
        """The entry point this job calls, a legacy path read as its new one."""
        return LEGACY_ENTRY_POINTS.get(self.func_name, self.func_name)

    @property
    def func(self) -> Any:
        name = self.entry_point
        if name not in ENTRY_POINTS:
            raise RefusedJob(f"refusing to run {self.func_name!r}: not a Conveyor entry point")
        return import_attribute(name)


class ConveyorQueue(DjangoRQ):
    """django-rq's queue, whose non-blocking pop over several queues is one LMPOP (Redis 7):
    RQ pops each queue in turn, so a worker of `high default low` made three round trips for a
    job of `low` (a burst worker, or any worker draining a backlog: bench/analysis.md, P4).
    The same order and the same result: the first job of the first queue that has one."""

    @classmethod
    def lpop(cls, queue_keys: Sequence[str], timeout: int | None, connection: Redis | None = None) -> Any:
        if timeout is not None or len(queue_keys) < 2 or connection is None or get_version(connection) < (7, 0, 0):
            return super().lpop(queue_keys, timeout, connection=connection)
        popped = connection.lmpop(len(queue_keys), *queue_keys, direction="LEFT")
        if popped is None:
            return None
        queue_key, job_ids = popped
        return queue_key, job_ids[0]
