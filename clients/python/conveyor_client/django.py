"""Django's task API (`django.tasks`) on a remote Conveyor service: a task backend whose
`.enqueue()` submits a job over HTTP and whose `get_result()` reads it back.

    TASKS = {
        "default": {
            "BACKEND": "conveyor_client.django.RemoteBackend",
            "QUEUES": ["default", "high", "low"],
            "OPTIONS": {"URL": "https://conveyor.example", "TOKEN": "cvy_...", "TIMEOUT": 10},
        }
    }

The function never runs in this process: Conveyor runs the task registered under the same name,
`task.module_path` (`shop.tasks.send_receipt`), which the service's plug-in apps define. Every
submission carries an Idempotency-Key made before the first attempt, so retrying a request whose
response was lost replays the first job instead of creating a second one.
"""

import builtins
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Any, NoReturn

import httpx
from django.core.exceptions import ImproperlyConfigured
from django.tasks import Task, TaskResult, TaskResultStatus
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import TaskError
from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist

from conveyor_client.errors import AuthError, ConveyorError, Rejected, Unavailable

logger = logging.getLogger("conveyor_client")

# Conveyor's job states as Django task statuses. The service's own table is STATUS in
# jobs/backend.py (the in-process backend); this copy must stay the same so a result reads the
# same through either backend. The client imports nothing from the service.
STATUS = {
    "scheduled": TaskResultStatus.READY,
    "deferred": TaskResultStatus.READY,
    "queued": TaskResultStatus.READY,
    "running": TaskResultStatus.RUNNING,
    "succeeded": TaskResultStatus.SUCCESSFUL,
    "failed": TaskResultStatus.FAILED,
    "canceled": TaskResultStatus.FAILED,
}
RESULT_CACHE_SIZE = 256  # job representations kept per backend for If-None-Match
DEFAULT_TIMEOUT = 10.0  # seconds, per HTTP request
DEFAULT_RETRIES = 3  # further attempts after the first
DEFAULT_BACKOFF = 0.5  # seconds before the first retry, doubled for each next one


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _raise_for(response: httpx.Response) -> NoReturn:
    """Raise the ConveyorError that describes an unsuccessful response."""
    status = response.status_code
    error_class = {400: Rejected, 413: Rejected, 401: AuthError, 403: AuthError}.get(status, ConveyorError)
    raise error_class.from_problem(status, _problem(response))


class RemoteBackend(BaseTaskBackend):
    """A django.tasks backend that runs tasks on a Conveyor service (OPTIONS: URL, TOKEN, and
    optionally TIMEOUT, RETRIES, BACKOFF, TRANSPORT: an httpx transport)."""

    supports_defer = True  # run_after → the job's run_at
    supports_async_task = True  # the service's worker runs coroutine functions (jobs/backend.py)
    supports_get_result = True  # results are rows on the service: any process, any time later
    supports_priority = False  # Conveyor orders by queue (high, default, low): use queue_name

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        url, token = self.options.get("URL"), self.options.get("TOKEN")
        if not url or not token:
            raise ImproperlyConfigured(f"TASKS[{alias!r}]['OPTIONS'] needs the service's URL and a TOKEN")
        self.retries = max(0, int(self.options.get("RETRIES", DEFAULT_RETRIES)))
        self.backoff = float(self.options.get("BACKOFF", DEFAULT_BACKOFF))
        self._http = httpx.Client(
            base_url=f"{str(url).rstrip('/')}/api/v1/",
            # httpx hides Authorization in reprs of headers and requests.
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=float(self.options.get("TIMEOUT", DEFAULT_TIMEOUT)),
            transport=self.options.get("TRANSPORT"),
        )
        self._tasks: dict[str, Task] = {}  # Conveyor task name (module path) -> the Task
        self._seen: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()  # job id -> (ETag, job)
        self._lock = threading.Lock()

    def validate_task(self, task: Task) -> None:
        """Check the task as Django does and remember it, so its results can be read back."""
        super().validate_task(task)
        self._tasks[task.module_path] = task

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        """Submit a job for `task` and return its result (its id is the job's id). Rejected if
        the service refuses it (e.g. arguments failing the task's schema), AuthError on 401/403,
        Unavailable when every attempt failed."""
        self.validate_task(task)
        body: dict[str, Any] = {
            "task": task.module_path,
            "args": list(args),
            "kwargs": dict(kwargs),
            "queue": task.queue_name,
        }
        if task.run_after is not None:
            body["run_at"] = task.run_after.isoformat()
        try:
            content = json.dumps(body, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidTask(f"{task.module_path}: arguments must be JSON values ({exc})") from None
        # One key for every attempt: a retry after a lost response replays the first job.
        key = f"django-task-{uuid.uuid4()}"
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        response = self._send("POST", "jobs/", content=content, headers=headers, retry_conflict=True)
        if response.status_code != 202:
            _raise_for(response)
        return self._result(task, response.json())

    def get_result(self, result_id: Any) -> TaskResult:
        """The TaskResult of job `result_id`; TaskResultDoesNotExist if the service has no such
        job for this token's user, or it is not of a task known to this backend."""
        try:
            job_id = str(uuid.UUID(str(result_id)))
        except ValueError:
            raise TaskResultDoesNotExist(result_id) from None
        with self._lock:
            seen = self._seen.get(job_id)
        headers = {"If-None-Match": seen[0]} if seen else {}
        response = self._send("GET", f"jobs/{job_id}/", headers=headers)
        if response.status_code == 304 and seen:
            job = seen[1]
        elif response.status_code == 404:
            raise TaskResultDoesNotExist(result_id)
        elif response.status_code == 200:
            job = response.json()
            self._remember(job_id, response, job)
        else:
            _raise_for(response)
        task = self._tasks.get(job["task"])
        if task is None:
            raise TaskResultDoesNotExist(result_id)
        return self._result(task, job)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def _send(self, method: str, path: str, *, retry_conflict: bool = False, **request: Any) -> httpx.Response:
        """The first response that is not worth retrying: connection errors, timeouts and 5xx
        are retried (409 too when `retry_conflict`: the same key still in flight), with backoff."""
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(method, path, **request)
            except httpx.TransportError as exc:
                reason = type(exc).__name__
            else:
                if not (response.status_code >= 500 or (retry_conflict and response.status_code == 409)):
                    return response
                reason = f"HTTP {response.status_code}"
            if attempt < self.retries:
                logger.warning(
                    "conveyor_client.retry",
                    extra={"method": method, "path": path, "attempt": attempt + 1, "reason": reason},
                )
                time.sleep(self.backoff * 2**attempt)
        raise Unavailable(f"Conveyor did not answer {method} {path} after {self.retries + 1} attempts: {reason}")

    def _remember(self, job_id: str, response: httpx.Response, job: dict[str, Any]) -> None:
        etag = response.headers.get("ETag")
        if etag is None:
            return
        with self._lock:
            self._seen[job_id] = (etag, job)
            self._seen.move_to_end(job_id)
            while len(self._seen) > RESULT_CACHE_SIZE:
                self._seen.popitem(last=False)

    def _result(self, task: Task, job: dict[str, Any]) -> TaskResult:
        """The job as a TaskResult, mapped as jobs/backend.py maps it on the service."""
        errors: list[TaskError] = []
        if job.get("error"):
            kind = job["error"].get("type", "Exception")
            path = f"builtins.{kind}" if isinstance(getattr(builtins, kind, None), type) else kind
            errors.append(TaskError(exception_class_path=path, traceback=job["error"].get("traceback", "")))
        result: TaskResult[Any, Any] = TaskResult(
            task=task,
            id=job["id"],
            status=STATUS[job["state"]],
            enqueued_at=_parse_time(job.get("enqueued_at") or job.get("created_at")),
            started_at=_parse_time(job.get("started_at")),
            finished_at=_parse_time(job.get("ended_at")) if job.get("done") else None,
            last_attempted_at=_parse_time(job.get("started_at")),
            args=job.get("args", []),
            kwargs=job.get("kwargs", {}),
            backend=self.alias,
            errors=errors,
            # The API does not name the worker (the service's rows do): one entry per attempt.
            worker_ids=["unknown"] * int(job.get("attempt", 0)),
        )
        object.__setattr__(result, "_return_value", job.get("result"))
        return result
