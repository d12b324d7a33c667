"""Task and job endpoints."""

import hashlib
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.idempotency import IDEMPOTENCY_KEY, idempotent
from api.pollcache import poll_validator
from api.schema import problems
from api.serializers.jobs import (
    JobBatchInput,
    JobBatchOutput,
    JobDetailQuery,
    JobEventOutput,
    JobListQuery,
    JobOutput,
    JobSubmitInput,
    TaskOutput,
)
from api.serializers.operations import JobLogOutput
from api.serializers.validation import validated
from api.views.audit import HISTORY_SCHEMA, history_response
from api.views.base import AuthenticatedView
from jobs.models import TERMINAL_STATES, Job
from jobs.registry import all_tasks, get_task
from jobs.selectors import job_get, job_list, job_log
from jobs.services.jobs import JobSpec, job_cancel, job_retry, job_submit, job_submit_batch

# Seconds a client should wait before polling a job that is not done.
POLL_AFTER = "1"
# What a submit may answer besides 202: back-pressure (jobs.services.admission) is 429 or 503.
SUBMIT_PROBLEMS = problems(409, 422, 429, 503)


def _header(name: str, kind: Any, statuses: list[int], description: str) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.HEADER, response=statuses, description=description)


ACCEPTED_HEADERS = [
    _header("Location", OpenApiTypes.URI, [202], "The job's URL"),
    _header(
        "Retry-After",
        OpenApiTypes.INT,
        [202, 429, 503],
        "202: seconds to wait before polling; 429/503 (back-pressure): seconds to wait before submitting again",
    ),
    _header("Idempotent-Replayed", OpenApiTypes.STR, [202], "`true` when this is a replayed response"),
]
DETAIL_HEADERS = [
    _header("ETag", OpenApiTypes.STR, [200, 304], "Strong validator of the job's representation"),
    _header("Retry-After", OpenApiTypes.INT, [200, 304], "Present while the job is not done"),
]
IF_NONE_MATCH = OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER)


class TaskViewSet(AuthenticatedView, viewsets.ViewSet):
    """Registered tasks: what can be run, and the JSON Schema of their arguments."""

    lookup_field = "name"
    lookup_value_converter = "str"

    @extend_schema(operation_id="tasks_list", responses=TaskOutput(many=True))
    def list(self, request: Request) -> Response:
        """List the registered tasks.

        Every task a client may name, with its queue, limits and the JSON Schema of its arguments."""
        return Response(TaskOutput(all_tasks(), many=True).data)

    @extend_schema(
        operation_id="tasks_retrieve",
        # TaskEnum: the registered names, as the submit bodies give them (api.serializers.common.TaskNameField).
        parameters=[OpenApiParameter("name", {"$ref": "#/components/schemas/TaskEnum"}, OpenApiParameter.PATH)],
        responses=TaskOutput,
    )
    def retrieve(self, request: Request, name: str) -> Response:
        """Get one registered task.

        A task by its registered name, with the JSON Schema of its arguments."""
        return Response(TaskOutput(get_task(name)).data)


def job_etag(job_id: Any, version: int, submitter: str, request: Request) -> str:
    """A strong ETag of the job's representation, known before building it: from the row's
    `version` (+1 on every change of the row) and whatever else the representation shows or
    depends on (the submitter's username, staff-only tracebacks, the scheme and host its URLs
    name). Parents and the rest are fixed at submission."""
    key = f"{job_id}|{version}|{submitter}|{request.user.is_staff}|{request.scheme}://{request.get_host()}"
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _etag_of(job: Job, request: Request) -> str:
    submitter = job.submitted_by.get_username() if job.submitted_by else ""
    return job_etag(job.pk, job.version, submitter, request)


class JobViewSet(AuthenticatedView, viewsets.GenericViewSet):
    """Jobs: submitted runs of registered tasks, owned by their submitter (staff see all)."""

    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    serializer_class = JobOutput

    def _accepted(self, job: Any) -> Response:
        data = JobOutput(job, context={"request": self.request}).data
        headers = {"Location": data["url"], "Retry-After": POLL_AFTER}
        return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(operation_id="jobs_list", parameters=[JobListQuery], responses=JobOutput(many=True))
    def list(self, request: Request) -> Response:
        """List jobs.

        Your jobs (all jobs for staff), newest first, filtered by state, task, queue, schedule, label and creation
        time."""
        query = JobListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        jobs = job_list(user=self.actor, states=query.validated_data.pop("state", None), **query.validated_data)
        page = self.paginate_queryset(jobs)
        return self.get_paginated_response(JobOutput(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="jobs_submit",
        request=JobSubmitInput,
        parameters=[IDEMPOTENCY_KEY, *ACCEPTED_HEADERS],
        responses={202: JobOutput, **SUBMIT_PROBLEMS},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        """Submit a job.

        Runs a registered task with arguments checked against its schema: 202 with the job and its Location. An
        Idempotency-Key makes a retry of the same request return the first answer."""
        spec = JobSpec(**validated(JobSubmitInput, request.data))
        return self._accepted(job_submit(spec=spec, actor=self.actor))

    @extend_schema(
        operation_id="jobs_retrieve",
        parameters=[JobDetailQuery, IF_NONE_MATCH, *DETAIL_HEADERS],
        responses={200: JobOutput, 304: OpenApiResponse(description="Not modified since the If-None-Match ETag")},
    )
    def retrieve(self, request: Request, id: str) -> Response:
        """Get a job (poll it).

        The job with a strong ETag: If-None-Match answers 304 while nothing changed, and `?wait=N` holds the request
        up to N seconds until it does."""
        if request.query_params:  # ?wait itself is served by api.longpoll
            JobDetailQuery(data=request.query_params).is_valid(raise_exception=True)
        given = {tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")}
        if given != {""}:
            # A poll that names an ETag is mostly answered 304: read only the ETag's columns
            # first, and the whole job only if it changed.
            version, state, submitter = poll_validator(user=self.actor, job_id=id)
            etag = job_etag(id, version, submitter, request)
            if etag in given or "*" in given:
                headers = {"ETag": etag} if state in TERMINAL_STATES else {"ETag": etag, "Retry-After": POLL_AFTER}
                return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        job = job_get(user=self.actor, job_id=id)
        headers = {"ETag": _etag_of(job, request)}
        if not job.done:
            headers["Retry-After"] = POLL_AFTER
        return Response(JobOutput(job, context={"request": request}).data, headers=headers)

    @extend_schema(operation_id="jobs_cancel", request=None, responses={200: JobOutput, **problems(409)})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, id: str) -> Response:
        """Cancel a job.

        A waiting job is canceled at once and a running one is stopped; either ends `canceled`. Canceling a canceled
        job is a 200 no-op; a succeeded or failed job is a 409."""
        job = job_cancel(job=job_get(user=self.actor, job_id=id), actor=self.actor)
        return Response(JobOutput(job, context={"request": request}).data)

    @extend_schema(
        operation_id="jobs_retry",
        request=None,
        parameters=[IDEMPOTENCY_KEY, *ACCEPTED_HEADERS],
        responses={202: JobOutput, **SUBMIT_PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def retry(self, request: Request, id: str) -> Response:
        """Retry a failed or canceled job.

        Submits a new job with the same task and arguments, `retry_of` set to this one: 202 with the new job. Any
        other state is a 409."""
        return self._accepted(job_retry(job=job_get(user=self.actor, job_id=id), actor=self.actor))

    @extend_schema(operation_id="jobs_history", **HISTORY_SCHEMA)
    @action(detail=True, methods=["get"])
    def history(self, request: Request, id: str) -> Response:
        """Read a job's audit trail.

        Every change of the job, newest first, with who or what made it; `?as_of=T` starts at the state at T."""
        return history_response(self, request, Job, job_get(user=self.actor, job_id=id).pk)

    @extend_schema(operation_id="jobs_logs", responses=JobLogOutput)
    @action(detail=True, methods=["get"])
    def logs(self, request: Request, id: str) -> Response:
        """Read a job's log lines.

        The lines the task logged while it ran, oldest first, capped in size."""
        job = job_get(user=self.actor, job_id=id)
        return Response(JobLogOutput(job_log(job=job)).data)

    @extend_schema(
        operation_id="jobs_events",
        parameters=[
            OpenApiParameter(
                "Last-Event-ID",
                {"type": "integer", "minimum": 0},
                OpenApiParameter.HEADER,
                description="The id of the last event received: only later changes are sent. Anything but a "
                "non-negative integer (an empty value too) is a 400.",
            )
        ],
        responses={
            (200, "text/event-stream"): JobEventOutput,
            204: OpenApiResponse(
                description="The job is done and Last-Event-ID is its last version: nothing more will come "
                "(an EventSource stops reconnecting)."
            ),
            **problems(400, 406),
        },
        description="Server-Sent Events: `state` and `progress` events (id = the job's version) until the "
        "job is done; `: keep-alive` comments every 15 s; send Last-Event-ID to resume. Browsers: "
        "`new EventSource(url)` works with the session cookie (it sends `Accept: text/event-stream` and "
        "cannot send a token). 401/404 come before the Accept check; an Accept without "
        "`text/event-stream`, `text/*` or `*/*` is a 406. Served asynchronously by api/events.py; this "
        "action documents it.",
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, id: str) -> Response:
        """Follow a job's state and progress (Server-Sent Events)."""
        return self.retrieve(request, id)

    @extend_schema(
        operation_id="jobs_batch",
        request=JobBatchInput,
        parameters=[IDEMPOTENCY_KEY, *ACCEPTED_HEADERS[1:]],
        responses={202: JobBatchOutput, **SUBMIT_PROBLEMS},
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def batch(self, request: Request) -> Response:
        """Submit many jobs at once.

        Up to the batch limit of submit bodies, all or nothing: one invalid item rejects the batch with a pointer to
        it, such as `/jobs/3/kwargs/x`."""
        specs = [JobSpec(**item) for item in validated(JobBatchInput, request.data)["jobs"]]
        jobs = job_submit_batch(specs=specs, actor=self.actor)
        body = JobBatchOutput({"jobs": jobs}, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Retry-After": POLL_AFTER})
