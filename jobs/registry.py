"""The task registry: the only door from HTTP to code.

A task is a callable registered under a public name with a JSON Schema of its keyword
arguments. Clients name a task; nothing else they send is ever imported or called.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jsonschema_rs
from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from core.errors import FieldError, NotFound


@dataclass(frozen=True)
class Task:
    """A registered task and its defaults."""

    name: str
    func: Callable[..., Any]
    description: str
    parameters: dict[str, Any]
    queue: str = "default"
    timeout_seconds: int = 300
    max_retries: int = 0
    retry_intervals: tuple[int, ...] = ()
    staff_only: bool = False
    needs_worker: bool = False  # a submit is refused (503) while no live worker listens on its queue
    validator: Draft202012Validator = field(init=False, repr=False, compare=False)
    # The same schema compiled (Rust): it only says yes or no, ~50 times faster; a no is explained
    # by `validator`, whose messages and paths the API returns (bench/analysis.md, P2). None if it
    # refuses a schema `validator` takes (a $ref it cannot resolve up front): `validator` alone.
    compiled: jsonschema_rs.Draft202012Validator | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        Draft202012Validator.check_schema(self.parameters)
        object.__setattr__(self, "validator", Draft202012Validator(self.parameters))
        try:  # formats are annotations, as for `validator` (it has no format checker)
            compiled = jsonschema_rs.Draft202012Validator(self.parameters, validate_formats=False)
        except ValueError:
            compiled = None
        object.__setattr__(self, "compiled", compiled)

    @cached_property
    def positional_names(self) -> list[str]:
        """Parameter names in signature order, for binding `args` (inspect.signature is slow)."""
        return list(inspect.signature(self.func).parameters)

    def may_run(self, user: Any) -> bool:
        """Whether `user` may submit this task."""
        return bool(user.is_staff) if self.staff_only else True

    def bind(self, args: list[Any], kwargs: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
        """Merge `args` into `kwargs` by position and validate them against the schema.

        Returns the bound keyword arguments and the errors, with pointers into the request
        (`/args/0`, `/kwargs/to`).
        """
        names = self.positional_names
        if len(args) > len(names):
            return {}, [FieldError("/args", f"{self.name} takes at most {len(names)} arguments", "too_many")]
        bound = dict(kwargs)
        origin = {name: f"/kwargs/{name}" for name in kwargs}
        for index, (name, value) in enumerate(zip(names, args, strict=False)):
            if name in bound:
                return {}, [FieldError(f"/kwargs/{name}", f"{name} given by position and by name", "duplicate")]
            bound[name] = value
            origin[name] = f"/args/{index}"
        if self._accepts(bound):
            return bound, []
        errors = []
        for error in sorted(self.validator.iter_errors(bound), key=lambda e: list(e.absolute_path)):
            path = list(error.absolute_path)
            if path and path[0] in origin:
                pointer = origin[path[0]] + "".join(f"/{part}" for part in path[1:])
            else:
                pointer = "/kwargs"
            errors.append(FieldError(pointer, error.message, str(error.validator)))
        return bound, errors

    def _accepts(self, bound: dict[str, Any]) -> bool:
        """The compiled schema's yes; False when it says no or cannot take a value (`validator` decides)."""
        if self.compiled is None:
            return False
        try:
            return bool(self.compiled.is_valid(bound))
        except (ValueError, OverflowError):
            return False


_tasks: dict[str, Task] = {}


def task(
    name: str,
    *,
    parameters: dict[str, Any],
    queue: str = "default",
    timeout_seconds: int = 300,
    max_retries: int = 0,
    retry_intervals: tuple[int, ...] = (),
    staff_only: bool = False,
    needs_worker: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as task `name`; its docstring's first line describes it.

    `parameters` is a JSON Schema (type object) of its keyword arguments; unknown keywords
    are refused unless the schema says otherwise. `needs_worker=True`: a submit is refused with
    503 while no live worker listens on the job's queue (for work that is useless late); other
    tasks' jobs wait for a worker.
    """
    schema = {"type": "object", "additionalProperties": False, **parameters}

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        add(
            name=name,
            func=func,
            description=(inspect.getdoc(func) or name).splitlines()[0],
            parameters=schema,
            queue=queue,
            timeout_seconds=timeout_seconds,
            max_retries=max_retries,
            retry_intervals=retry_intervals,
            staff_only=staff_only,
            needs_worker=needs_worker,
        )
        return func

    return register


def add(*, name: str, func: Callable[..., Any], **options: Any) -> Task:
    """Register `func` as task `name` (options as Task's fields); raise ImproperlyConfigured, so
    that the process does not start, if the name is taken or the parameters are no JSON Schema."""
    where = f"{func.__module__}.{func.__qualname__}"
    if name in _tasks:
        taken = _tasks[name].func
        raise ImproperlyConfigured(
            f"task {name!r} is registered twice: by {where} and by {taken.__module__}.{taken.__qualname__}"
        )
    try:
        _tasks[name] = Task(name=name, func=func, **options)
    except SchemaError as exc:
        detail = f"task {name!r} ({where}): its parameters are not a valid JSON Schema: {exc.message}"
        raise ImproperlyConfigured(detail) from None
    return _tasks[name]


def get_task(name: str) -> Task:
    """Return the task registered as `name`, or raise NotFound."""
    try:
        return _tasks[name]
    except KeyError:
        raise NotFound(f"no task named {name!r}") from None


def all_tasks() -> list[Task]:
    """Return every registered task, sorted by name."""
    return sorted(_tasks.values(), key=lambda t: t.name)
