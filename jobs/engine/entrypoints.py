"""RQ plumbing: the JSON-only job class and the only functions RQ may call."""

from typing import Any

from rq.job import Job as RQJob
from rq.serializers import JSONSerializer
from rq.utils import import_attribute

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
