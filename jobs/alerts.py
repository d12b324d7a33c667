"""Mail to the admins (settings.ADMINS) when jobs fail for good or schedules keep failing.

Off when ADMINS is empty; at most one mail per subject per ALERT_INTERVAL (a Redis key with a
TTL), so a failing nightly flood sends one mail, not thousands.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.utils import timezone
from redis.exceptions import RedisError

from core.redis import redis_connection
from jobs import firetimes
from jobs.models import TERMINAL_STATES, Job, JobState, Schedule

logger = logging.getLogger(__name__)

ALERT_INTERVAL = timedelta(minutes=10)
FAILED_RUNS = 3  # a schedule whose last this-many runs failed
SILENT_PERIODS = 3  # ... or with no success within this many of its periods


def _once(key: str) -> bool:
    """True the first time `key` is seen within ALERT_INTERVAL."""
    try:
        return bool(redis_connection().set(f"conveyor:alert:{key}", 1, nx=True, ex=ALERT_INTERVAL.seconds))
    except RedisError:
        return True  # better a duplicate mail than a silent failure


def send(key: str, subject: str, message: str) -> bool:
    """Mail the admins unless ADMINS is empty or `key` was sent within ALERT_INTERVAL; True if sent."""
    if not settings.ADMINS or not _once(key):
        return False
    mail_admins(subject, message)
    logger.info("alert.sent", extra={"alert": key})
    return True


def job_failed(job: Job) -> None:
    """A job failed for good: mail the admins (once per task per interval)."""
    error = job.error or {}
    send(
        f"task:{job.task}",
        f"Job {job.task} failed",
        f"Job {job.pk} ({job.task}) failed after {job.attempt} attempt(s): {error.get('type')}: {error.get('message')}",
    )
    if job.schedule_id is not None:
        recent = list(
            Job.objects.filter(schedule_id=job.schedule_id)
            .filter(state__in=TERMINAL_STATES)
            .order_by("-created_at")
            .values_list("state", flat=True)[:FAILED_RUNS]
        )
        if len(recent) == FAILED_RUNS and all(state == JobState.FAILED for state in recent):
            send(
                f"schedule-failing:{job.schedule_id}",
                f"Schedule {job.schedule_id} keeps failing",
                f"The last {FAILED_RUNS} runs of schedule {job.schedule_id} failed.",
            )


def silent_schedules() -> int:
    """Alert on active schedules with no successful run within SILENT_PERIODS of their period."""
    now = timezone.now()
    sent = 0
    for schedule in Schedule.objects.filter(enabled=True, finished_at__isnull=True).exclude(kind="at"):
        fires = firetimes.upcoming(count=2, after=now, **schedule.timing)
        if len(fires) < 2:
            continue
        window = SILENT_PERIODS * (fires[1] - fires[0])
        if schedule.created_at > now - window:
            continue
        succeeded = Job.objects.filter(schedule=schedule, state=JobState.SUCCEEDED, ended_at__gte=now - window)
        if not succeeded.exists():
            sent += send(
                f"schedule-silent:{schedule.pk}",
                f"Schedule {schedule.name} has not succeeded lately",
                f"Schedule {schedule.name} ({schedule.pk}) has had no successful run in the last {window}.",
            )
    return sent
