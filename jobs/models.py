"""Job records (the source of truth for every job) and idempotency records."""

import uuid
from datetime import datetime
from typing import Any

import reversion
from django.conf import settings
from django.db import models

from audit.history import AuditedHistory
from audit.models import Auditable


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
UNFINISHED_STATES = WAITING_STATES | {JobState.RUNNING}
# Ended without succeeding: such a job can be retried, and a job that depends on it never runs.
UNSUCCESSFUL_STATES = frozenset({JobState.FAILED, JobState.CANCELED})


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
    # +1 on every change (saves and the plain UPDATEs alike): event ids and change detection.
    version = models.PositiveIntegerField(default=0)

    # No single-column index for these two: the composite indexes below lead with them (each
    # index is written on every insert, bench/analysis.md, P2).
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs", db_index=False
    )
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    schedule = models.ForeignKey(
        "jobs.Schedule", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs", db_index=False
    )
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="dependents")

    # State transitions and human actions only: progress ticks and dispatch bookkeeping are
    # plain UPDATEs that history does not see (see docs/audit.md).
    history = AuditedHistory(excluded_fields=["progress", "dispatched", "enqueued_at", "version"])

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Staff's job list (every job, newest first): its first page read from the index, not
            # a sort of the whole table (P9 in docs/benchmarks-scale.md; tests/jobs/test_list_plan.py).
            # submitted_by second: when PostgreSQL reads a user's list through this index (it may),
            # it skips other users' jobs in the index, without reading their rows.
            models.Index(fields=["-created_at", "submitted_by"], name="job_newest"),
            models.Index(fields=["submitted_by", "-created_at"]),
            models.Index(fields=["state", "-created_at"]),
            models.Index(fields=["task", "-created_at"]),
            models.Index(fields=["schedule", "-created_at"]),
            # The waiting-jobs limit counts a user's waiting jobs on every submit (jobs.services.admission).
            # Not a partial index: SQLite uses one only when the query repeats its condition as
            # literals, and Django binds the states as parameters.
            models.Index(fields=["submitted_by", "state"], name="job_by_user_state"),
            models.Index(
                fields=["run_at"],
                name="job_undispatched",
                condition=models.Q(dispatched=False, state__in=["queued", "scheduled"]),
            ),
            # Retention reads finished jobs oldest first (jobs.operations.retention).
            models.Index(
                fields=["ended_at"], name="job_finished", condition=models.Q(state__in=sorted(TERMINAL_STATES))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.version += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = [*kwargs["update_fields"], "version"]
        super().save(*args, **kwargs)

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


class ScheduleKind(models.TextChoices):
    AT = "at"
    INTERVAL = "interval"
    CRON = "cron"


class MisfirePolicy(models.TextChoices):
    SKIP = "skip"
    RUN_ONCE = "run_once"


class OverlapPolicy(models.TextChoices):
    ALLOW = "allow"
    SKIP = "skip"


# What a client sets on a schedule; what its restore points (reversion versions) hold.
SCHEDULE_CONFIG_FIELDS = tuple(
    [
        "name",
        "description",
        "task",
        "args",
        "kwargs",
        "queue",
        "kind",
        "run_at",
        "every_seconds",
        "start_at",
        "cron",
        "timezone",
        "enabled",
        "max_runs",
        "end_at",
        "misfire_policy",
        "overlap_policy",
    ]
)


class ScheduleState(models.TextChoices):
    """Derived from a schedule's `enabled` and `finished_at` (Schedule.state), never stored."""

    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"


@reversion.register(fields=[*SCHEDULE_CONFIG_FIELDS, "owner"])
class Schedule(Auditable):
    """A recurring or one-off plan to run a task; the source of truth rq-scheduler is armed from."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)  # unique per owner: see Meta
    description = models.TextField(blank=True, max_length=2000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedules")
    task = models.CharField(max_length=100)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=50, blank=True)

    kind = models.CharField(max_length=10, choices=ScheduleKind.choices)
    run_at = models.DateTimeField(null=True, blank=True)
    every_seconds = models.PositiveIntegerField(null=True, blank=True)
    start_at = models.DateTimeField(null=True, blank=True)
    cron = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")

    enabled = models.BooleanField(default=True)
    max_runs = models.PositiveIntegerField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    misfire_policy = models.CharField(max_length=10, choices=MisfirePolicy.choices, default=MisfirePolicy.RUN_ONCE)
    overlap_policy = models.CharField(max_length=10, choices=OverlapPolicy.choices, default=OverlapPolicy.ALLOW)

    # Runtime state, written by the scheduler with plain UPDATEs (not audit events).
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run_count = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    history = AuditedHistory(excluded_fields=["next_run_at", "last_run_at", "last_job", "run_count"])

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        # Per owner: a global name would tell one user another's names, and let them squat one.
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="schedule_name_per_owner")]

    def __str__(self) -> str:
        return self.name

    @property
    def state(self) -> ScheduleState:
        if self.finished_at is not None:
            return ScheduleState.FINISHED
        return ScheduleState.ACTIVE if self.enabled else ScheduleState.PAUSED

    @property
    def pending_fire(self) -> datetime | None:
        """The slot this schedule will fire next: its next_run_at while it is active, else None
        (a paused schedule's stored slot is stale: resuming plans anew)."""
        return self.next_run_at if self.state == ScheduleState.ACTIVE else None

    @property
    def runs_exhausted(self) -> bool:
        """Whether it has run max_runs times."""
        return self.max_runs is not None and self.run_count >= self.max_runs

    @property
    def timing(self) -> dict[str, Any]:
        """When it fires, as jobs.firetimes' functions take it (`**schedule.timing`)."""
        return {
            "kind": self.kind,
            "run_at": self.run_at,
            "every_seconds": self.every_seconds,
            "start_at": self.start_at,
            "cron": self.cron or None,
            "timezone": self.timezone,
        }


class FireOutcome(models.TextChoices):
    FIRED = "fired"
    SKIPPED_OVERLAP = "skipped_overlap"
    MISSED = "missed"
    REFUSED = "refused"


class ScheduleFire(models.Model):
    """One slot of a schedule. Unique on (schedule, fire_at): a second trigger of a slot is a no-op."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="fires")
    fire_at = models.DateTimeField()
    fired_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=FireOutcome.choices)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "fire_at"], name="one_fire_per_slot")]

    def __str__(self) -> str:
        return f"{self.schedule_id}@{self.fire_at.isoformat()}"


class JobLog(models.Model):
    """The log lines a job's task emitted, across its attempts (capped; see jobs.engine.joblogs)."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, primary_key=True, related_name="log")
    lines = models.JSONField(default=list)
    truncated = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"log of {self.job_id}"
