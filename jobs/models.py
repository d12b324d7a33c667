"""Job records (the source of truth for every job) and idempotency records."""

import uuid

from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    SCHEDULED = "scheduled"
    DEFERRED = "deferred"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})
WAITING_STATES = frozenset({JobState.SCHEDULED, JobState.DEFERRED, JobState.QUEUED})


class Job(models.Model):
    """One submitted job. Written in the request's transaction, pushed to RQ after commit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(max_length=100)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=50)
    state = models.CharField(max_length=10, choices=JobState.choices)
    labels = models.JSONField(default=dict, blank=True)

    timeout_seconds = models.PositiveIntegerField()
    max_retries = models.PositiveSmallIntegerField(default=0)
    retry_intervals = models.JSONField(default=list, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)

    run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # False until RQ holds the job; the dispatch pass pushes due rows that are still False.
    dispatched = models.BooleanField(default=False)
    worker = models.CharField(max_length=200, blank=True)

    progress = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)

    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="dependents")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["submitted_by", "-created_at"]),
            models.Index(fields=["state", "-created_at"]),
            models.Index(fields=["task", "-created_at"]),
            models.Index(
                fields=["run_at"],
                name="job_undispatched",
                condition=models.Q(dispatched=False, state__in=["queued", "scheduled"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.id}"

    @property
    def done(self) -> bool:
        return self.state in TERMINAL_STATES


class IdempotencyRecord(models.Model):
    """The first response to a creating request sent with an Idempotency-Key (per user, 24 h)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
