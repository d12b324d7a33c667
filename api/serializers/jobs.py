"""Serializers for tasks and jobs."""

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import cache, cached_property
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.longpoll import MAX_WAIT
from api.serializers.common import AwareDateTimeField, QueryInput, StrictInput, TaskNameField, UserRef, timestamps
from jobs.models import Job, JobState
from jobs.services.jobs import BATCH_MAX

LABEL_KEY = re.compile(r"^[A-Za-z](?:[A-Za-z0-9.-]|_(?!_)){0,62}$")  # no "__": Django's lookup separator
LABELS_MAX = 20
LABEL_VALUE_MAX = 256
MAX_DELAY_SECONDS = 366 * 24 * 3600


class TaskOutput(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    queue = serializers.CharField()
    timeout_seconds = serializers.IntegerField()
    max_retries = serializers.IntegerField()
    retry_intervals = serializers.ListField(child=serializers.IntegerField())
    staff_only = serializers.BooleanField()
    needs_worker = serializers.BooleanField(
        help_text="Submits are refused (503, no_worker) while no live worker listens on the task's queue"
    )
    parameters = serializers.DictField(
        child=serializers.JSONField(), help_text="JSON Schema of the task's keyword arguments"
    )


def _validate_labels(value: dict[str, str]) -> None:
    if len(value) > LABELS_MAX:
        raise serializers.ValidationError(f"at most {LABELS_MAX} labels")
    for key in value:
        # fullmatch: Python's $ also matches before a final newline, JSON Schema's (ECMA 262) does not.
        if not LABEL_KEY.fullmatch(key):
            raise serializers.ValidationError(f"label key {key!r} must match {LABEL_KEY.pattern}")


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": LABELS_MAX,
        "propertyNames": {"pattern": LABEL_KEY.pattern},
        "additionalProperties": {"type": "string", "maxLength": LABEL_VALUE_MAX},
    }
)
class LabelsField(serializers.DictField):
    """Labels as a client sends them: the schema states every rule `_validate_labels` checks."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.CharField(max_length=LABEL_VALUE_MAX, allow_blank=True),
            validators=[_validate_labels],
            **kwargs,
        )


class JobSubmitInput(StrictInput):
    task = TaskNameField()
    args = serializers.ListField(child=serializers.JSONField(), required=False, default=list, max_length=100)
    kwargs = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    queue = serializers.ChoiceField(choices=settings.QUEUE_NAMES, required=False)
    run_at = AwareDateTimeField(required=False, help_text="When to run; at most a minute in the past")
    delay_seconds = serializers.IntegerField(required=False, min_value=0, max_value=MAX_DELAY_SECONDS)
    timeout_seconds = serializers.IntegerField(required=False, min_value=1, max_value=24 * 3600)
    max_retries = serializers.IntegerField(required=False, min_value=0, max_value=20)
    retry_intervals = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=24 * 3600), required=False, max_length=20
    )
    depends_on = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=100)
    labels = LabelsField(required=False, default=dict)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "run_at" in attrs and "delay_seconds" in attrs:
            raise serializers.ValidationError({"delay_seconds": "give run_at or delay_seconds, not both"})
        return attrs


class JobBatchInput(StrictInput):
    jobs = JobSubmitInput(many=True, allow_empty=False, min_length=1, max_length=BATCH_MAX)  # type: ignore[call-arg]  # ListSerializer kwarg


class JobProgressOutput(serializers.Serializer):
    current = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    percent = serializers.FloatField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class JobErrorOutput(serializers.Serializer):
    type = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    traceback = serializers.CharField(required=False, help_text="Staff only")


_URL_STAND_IN = str(uuid.UUID(int=0))


@cache
def _job_path(script_prefix: str) -> str:
    """A job's path with the stand-in id, under `script_prefix` (which `reverse` reads)."""
    return reverse("job-detail", kwargs={"id": _URL_STAND_IN})


class JobOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    task = serializers.CharField()
    args = serializers.ListField(child=serializers.JSONField())
    kwargs = serializers.DictField(child=serializers.JSONField())
    queue = serializers.CharField()
    state = serializers.ChoiceField(choices=JobState.choices)
    done = serializers.BooleanField()
    progress = JobProgressOutput(allow_null=True)
    result = serializers.JSONField(allow_null=True)
    error = serializers.SerializerMethodField()
    attempt = serializers.IntegerField()
    max_retries = serializers.IntegerField()
    retry_intervals = serializers.ListField(child=serializers.IntegerField())
    timeout_seconds = serializers.IntegerField()
    run_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    enqueued_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    submitted_by = UserRef(allow_null=True)
    retry_of = serializers.UUIDField(source="retry_of_id", allow_null=True)
    schedule = serializers.UUIDField(source="schedule_id", allow_null=True)
    depends_on = serializers.SerializerMethodField()
    labels = serializers.DictField(child=serializers.CharField())
    version = serializers.IntegerField(help_text="Increases with every change of the job")

    def to_representation(self, job: Job) -> dict[str, Any]:
        """The fields above, written out: what DRF's generic walk gives (tests/api/test_job_output.py
        holds the two equal), without deep-copying every declared field for each job (its cost:
        bench/analysis.md)."""
        at = self._timestamp
        submitter = job.submitted_by
        return {
            "id": str(job.id),
            "url": self.get_url(job),
            "task": str(job.task),
            "args": job.args,
            "kwargs": job.kwargs,
            "queue": str(job.queue),
            "state": str(job.state),
            "done": job.done,
            "progress": None if job.progress is None else JobProgressOutput(job.progress).data,
            "result": job.result,
            "error": self.get_error(job),
            "attempt": job.attempt,
            "max_retries": job.max_retries,
            "retry_intervals": job.retry_intervals,
            "timeout_seconds": job.timeout_seconds,
            "run_at": at(job.run_at),
            "created_at": at(job.created_at),
            "enqueued_at": at(job.enqueued_at),
            "started_at": at(job.started_at),
            "ended_at": at(job.ended_at),
            "submitted_by": None if submitter is None else {"id": submitter.pk, "username": submitter.username},
            "retry_of": None if job.retry_of_id is None else str(job.retry_of_id),
            "schedule": None if job.schedule_id is None else str(job.schedule_id),
            "depends_on": self.get_depends_on(job),
            "labels": job.labels,
            "version": job.version,
        }

    @cached_property
    def _timestamp(self) -> Callable[[datetime | None], str | None]:
        return timestamps()  # one per serializer: a batch's list shares one child

    @cached_property
    def _url_template(self) -> str:
        """The job URL with a stand-in id: its path reversed once per process (and script
        prefix), made absolute for the request once per serializer (a batch's list shares one
        child). Reversing was 2.5 % of a submit's web CPU (bench/analysis.md)."""
        path = _job_path(get_script_prefix())
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, job: Job) -> str:
        return self._url_template.replace(_URL_STAND_IN, str(job.pk))

    @extend_schema_field(JobErrorOutput(allow_null=True))
    def get_error(self, job: Job) -> dict[str, Any] | None:
        if job.error is None:
            return None
        request = self.context.get("request")
        if request is not None and request.user.is_staff:
            return job.error  # type: ignore[no-any-return]
        return {key: value for key, value in job.error.items() if key != "traceback"}

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_depends_on(self, job: Job) -> list[str]:
        # What prefetch_related (or the submit, jobs.services.jobs._known) left on the job, read
        # without building a related manager per job (a batch's output would build 1,000).
        known = getattr(job, "_prefetched_objects_cache", {}).get("depends_on")
        return [str(parent.pk) for parent in (job.depends_on.all() if known is None else known)]


class JobEventOutput(serializers.Serializer):
    """One Server-Sent Event of a job's stream, as an SSE client parses it."""

    event = serializers.ChoiceField(choices=["state", "progress"])
    id = serializers.CharField(help_text="The job's version when the event was sent; resume with Last-Event-ID")
    data = serializers.CharField(help_text="JSON: the Job for `state`, its `progress` object for `progress`")  # type: ignore[assignment]  # a field, not Serializer.data: DRF pops it


class JobBatchOutput(serializers.Serializer):
    jobs = JobOutput(many=True)


class JobListQuery(QueryInput):
    state = serializers.ListField(child=serializers.ChoiceField(choices=JobState.choices), required=False)
    task = serializers.CharField(required=False, allow_blank=True, max_length=100)
    queue = serializers.CharField(required=False, allow_blank=True, max_length=50)
    label = serializers.ListField(  # type: ignore[assignment]  # a field, not Field.label: DRF pops it
        child=serializers.RegexField(LABEL_KEY.pattern.removesuffix("$") + ":", max_length=300),
        required=False,
        max_length=LABELS_MAX,
        help_text="key:value; repeat to require several labels",
    )
    schedule = serializers.UUIDField(required=False)
    created_after = AwareDateTimeField(required=False)
    created_before = AwareDateTimeField(required=False)

    def validate_label(self, value: list[str]) -> dict[str, str]:
        pairs = dict(item.split(":", 1) for item in value)  # the pattern holds a key, its value may hold ":"
        _validate_labels(pairs)
        return pairs


class JobDetailQuery(QueryInput):
    wait = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_WAIT,
        help_text="Hold the request up to this many seconds until the job changes from the "
        "If-None-Match ETag (or from its state when the request arrived).",
    )
