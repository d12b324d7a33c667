"""Django's task API (`django.tasks`) on Conveyor: a backend whose tasks are registered Conveyor
tasks and whose `.enqueue()` submits a Conveyor job.

A function decorated with `django.tasks.task` (backend "default", which settings point here) is
registered under its module path (`shop.tasks.send_receipt`) with a JSON Schema derived from its
type hints. `.enqueue()` calls `job_submit` as the current user (the request's, or the enqueuing
job's submitter): a durable, audited row, pushed to Redis after the surrounding transaction
commits. `get_result()` reads the row. The state mapping is in docs/your-tasks.md.
"""

import builtins
import inspect
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.tasks import Task, TaskContext, TaskResult, TaskResultStatus
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import TaskError
from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist

from audit.context import current
from jobs import registry, runtime
from jobs.models import Job, JobState
from jobs.services.jobs import JobSpec, job_submit

STATUS = {
    JobState.SCHEDULED: TaskResultStatus.READY,
    JobState.DEFERRED: TaskResultStatus.READY,
    JobState.QUEUED: TaskResultStatus.READY,
    JobState.RUNNING: TaskResultStatus.RUNNING,
    JobState.SUCCEEDED: TaskResultStatus.SUCCESSFUL,
    JobState.FAILED: TaskResultStatus.FAILED,
    JobState.CANCELED: TaskResultStatus.FAILED,
}
_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    type(None): {"type": "null"},
    Any: {},
}


def schema_of(hint: Any, where: str) -> dict[str, Any]:
    """The JSON Schema of a JSON-safe type hint (str, int, float, bool, None, Any, Literal,
    list[X], tuple[X, ...], dict[str, X], unions); ImproperlyConfigured for anything else."""
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal and all(isinstance(arg, str | int | bool) for arg in args):
        return {"enum": list(args)}
    if origin in (Union, types.UnionType):
        return {"anyOf": [schema_of(arg, where) for arg in args]}
    if origin is list and len(args) == 1:
        return {"type": "array", "items": schema_of(args[0], where)}
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return {"type": "array", "items": schema_of(args[0], where)}
    if origin is dict and len(args) == 2 and args[0] is str:
        return {"type": "object", "additionalProperties": schema_of(args[1], where)}
    if hint in (list, dict):
        return {"type": "array" if hint is list else "object"}
    raise ImproperlyConfigured(
        f"{where}: {hint!r} is not a JSON type; a task takes JSON-safe arguments "
        "(str, int, float, bool, None, list, dict[str, ...], Literal, unions; ids, not model instances)"
    )


def parameters_of(task: Task) -> dict[str, Any]:
    """The JSON Schema of a django.tasks function's arguments, from its type hints and defaults."""
    func = task.func
    where = task.module_path
    hints = get_type_hints(func)
    properties: dict[str, Any] = {}
    required = []
    for position, (name, parameter) in enumerate(inspect.signature(func).parameters.items()):
        if task.takes_context and position == 0:
            continue  # `context` is Conveyor's to pass, not the client's
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.POSITIONAL_ONLY):
            raise ImproperlyConfigured(f"{where}: parameter {name!r} must be an ordinary named parameter")
        if name not in hints:
            raise ImproperlyConfigured(f"{where}: parameter {name!r} needs a type hint (its JSON Schema comes from it)")
        properties[name] = schema_of(hints[name], f"{where}({name})")
        if parameter.default is parameter.empty:
            required.append(name)
        else:
            properties[name]["default"] = parameter.default
    return {"properties": properties, "required": required}


def _runner(task: Task) -> Any:
    """What the worker calls for `task`: the function, with a TaskContext first if it takes one."""

    def run(*args: Any, **kwargs: Any) -> Any:
        if task.takes_context:
            runtime.mark_running()  # the context describes this run: its row says so first
            context = TaskContext(task_result=task.get_backend().get_result(current().job_id or ""))
            return task.call(context, *args, **kwargs)
        return task.call(*args, **kwargs)

    run.__signature__ = inspect.signature(task.func)  # type: ignore[attr-defined]  # binds args by name
    if task.takes_context:
        parameters = list(run.__signature__.parameters.values())[1:]  # type: ignore[attr-defined]
        run.__signature__ = run.__signature__.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__module__, run.__qualname__ = task.func.__module__, task.func.__qualname__
    return run


# Conveyor task name -> the decorated Task. Per process, not per backend instance: Django makes a
# backend instance per thread (task_backends is a connection handler), the registry is one.
_tasks: dict[str, Task] = {}


class ConveyorBackend(BaseTaskBackend):
    """`TASKS = {"default": {"BACKEND": "jobs.backend.ConveyorBackend", "QUEUES": [...]}}`."""

    supports_defer = True  # run_after → the job's run_at
    supports_async_task = True  # the worker runs a coroutine function to completion
    supports_get_result = True  # results are rows: any process, any time later
    supports_priority = False  # Conveyor orders by queue (high, default, low): use queue_name

    def validate_task(self, task: Task) -> None:
        """Check the task as Django does, then register it as a Conveyor task (once per function)."""
        super().validate_task(task)
        name = task.module_path
        known = _tasks.get(name)
        if known is not None and known.func is task.func:
            return  # the same function again, e.g. from .using()
        doc = inspect.getdoc(task.func) or name
        registry.add(
            name=name,
            func=_runner(task),
            description=doc.splitlines()[0],
            parameters={"type": "object", "additionalProperties": False, **parameters_of(task)},
            queue=task.queue_name,
        )
        _tasks[name] = task

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        """Submit a job as the current user, in the caller's transaction; Invalid if the
        arguments fail the task's schema, InvalidTask outside a request or job."""
        self.validate_task(task)
        actor = current().actor
        if actor is None:
            raise InvalidTask(
                "Conveyor attributes every job to a user: enqueue inside a request or a job, "
                "or within audit.context.attribute(user=...)"
            )
        spec = JobSpec(
            task=task.module_path, args=list(args), kwargs=dict(kwargs), queue=task.queue_name, run_at=task.run_after
        )
        return self._result(task, job_submit(spec=spec, actor=actor))  # type: ignore[arg-type]

    def get_result(self, result_id: Any) -> TaskResult:
        """The TaskResult of job `result_id`; TaskResultDoesNotExist if there is no such job of a django.tasks task."""
        try:
            job = Job.objects.filter(pk=result_id).first()
        except (ValidationError, ValueError):
            job = None
        task = _tasks.get(job.task) if job is not None else None
        if job is None or task is None:
            raise TaskResultDoesNotExist(result_id)
        return self._result(task, job)

    def _result(self, task: Task, job: Job) -> TaskResult:
        errors: list[TaskError] = []
        if job.error:
            kind = job.error.get("type", "Exception")
            path = f"builtins.{kind}" if isinstance(getattr(builtins, kind, None), type) else kind
            errors.append(TaskError(exception_class_path=path, traceback=job.error.get("traceback", "")))
        result: TaskResult[Any, Any] = TaskResult(
            task=task,
            id=str(job.pk),
            status=STATUS[JobState(job.state)],
            enqueued_at=job.enqueued_at or job.created_at,
            started_at=job.started_at,
            finished_at=job.ended_at if job.done else None,
            last_attempted_at=job.started_at,
            args=job.args,
            kwargs=job.kwargs,
            backend=self.alias,
            errors=errors,
            worker_ids=[job.worker or "unknown"] * job.attempt,
        )
        object.__setattr__(result, "_return_value", job.result)
        return result
