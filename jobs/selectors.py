"""Job reads, always scoped to what the asking user may see."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import QuerySet

from jobs.errors import NotFound
from jobs.models import Job


def job_visible(*, user: User) -> QuerySet[Job]:
    """Every job `user` may see: their own, or all of them for staff."""
    jobs = Job.objects.all()
    return jobs if user.is_staff else jobs.filter(submitted_by=user)


def job_get(*, user: User, job_id: UUID | str) -> Job:
    """Return the job, or raise NotFound if it does not exist or the user may not see it."""
    job = job_visible(user=user).select_related("submitted_by").filter(pk=job_id).first()
    if job is None:
        raise NotFound("job not found")
    return job


def job_list(
    *,
    user: User,
    states: list[str] | None = None,
    task: str | None = None,
    queue: str | None = None,
    label: dict[str, str] | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    **extra: Any,
) -> QuerySet[Job]:
    """The user's visible jobs filtered as asked, newest first, with what the output needs."""
    jobs = job_visible(user=user).select_related("submitted_by").prefetch_related("depends_on")
    if states:
        jobs = jobs.filter(state__in=states)
    if task:
        jobs = jobs.filter(task=task)
    if queue:
        jobs = jobs.filter(queue=queue)
    for key, value in (label or {}).items():
        jobs = jobs.filter(**{f"labels__{key}": value})
    if created_after:
        jobs = jobs.filter(created_at__gt=created_after)
    if created_before:
        jobs = jobs.filter(created_at__lt=created_before)
    return jobs.filter(**extra).order_by("-created_at")
