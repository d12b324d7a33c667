"""The background work around a sign-up, written both ways Conveyor runs your code: with
Django's own `@task` (enqueued in-process, or remotely through conveyor-client) and with
Conveyor's `@task` (an explicit name and JSON Schema, progress reports)."""

import logging
import time
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.tasks import TaskContext, task
from django.utils import timezone

from audit.context import current
from conveyor_signups.models import Signup
from jobs.registry import task as conveyor_task
from jobs.runtime import progress

logger = logging.getLogger(__name__)


@task
def send_welcome(signup_id: int) -> str:
    """Mail a new sign-up their welcome and invite code."""
    signup = Signup.objects.get(pk=signup_id)
    send_mail("Welcome aboard", f"Your invite code: {signup.invite_code}", None, [signup.email])
    signup.welcomed_at = timezone.now()
    signup.save()
    logger.info("signups.welcomed", extra={"signup_id": signup_id})
    return signup.email


@task(takes_context=True)
def check_came_back(context: TaskContext, signup_id: int) -> bool:
    """A few days after sign-up: record whether the person activated their account."""
    signup = Signup.objects.get(pk=signup_id)
    signup.came_back = signup.activated_at is not None
    signup.save()
    logger.info("signups.checked attempt %d", context.attempt)
    return signup.came_back


@task
def purge_unactivated(older_than_days: int = 30) -> int:
    """Delete the sign-ups never activated within `older_than_days` days; return how many."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    stale = list(Signup.objects.filter(activated_at__isnull=True, created_at__lt=cutoff))
    for signup in stale:
        signup.delete()  # one by one: each delete is in the audit trail, attributed to this job
    return len(stale)


@conveyor_task(
    "signups.import_contacts",
    parameters={
        "properties": {
            "emails": {"type": "array", "items": {"type": "string", "format": "email"}, "maxItems": 1000},
            "seconds_each": {"type": "number", "minimum": 0, "maximum": 5, "default": 0},
        },
        "required": ["emails"],
    },
    timeout_seconds=3600,
)
def import_contacts(emails: list[str], seconds_each: float = 0) -> dict[str, int]:
    """Create a sign-up for each address, reporting progress as it goes."""
    submitter = current().actor  # work in a job is attributed to the job and its submitter
    assert submitter is not None
    owner = User.objects.get(pk=submitter.pk)
    for done, email in enumerate(emails, start=1):
        Signup.objects.create(owner=owner, email=email)
        time.sleep(seconds_each)
        progress(done, len(emails), f"imported {email}")
    return {"imported": len(emails)}
