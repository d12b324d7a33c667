"""Account tasks from the seed use cases: purge never-activated accounts, check engagement."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from jobs.registry import task
from jobs.runtime import progress

logger = logging.getLogger(__name__)

MAX_NAMES = 1000


@task(
    "accounts.purge_unactivated",
    parameters={
        "properties": {"older_than_days": {"type": "integer", "minimum": 1, "maximum": 3650}},
        "required": ["older_than_days"],
    },
    queue="low",
    staff_only=True,
)
def purge_unactivated(older_than_days: int) -> dict[str, object]:
    """Delete accounts never activated nor logged into that joined more than N days ago."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    users = list(
        get_user_model().objects.filter(
            is_active=False, last_login__isnull=True, date_joined__lt=cutoff, is_staff=False, is_superuser=False
        )
    )
    names = []
    for done, user in enumerate(users, start=1):
        names.append(user.get_username())
        user.delete()  # one by one, so the audit trail records each delete
        progress(done, len(users), f"deleted {done} of {len(users)}")
    logger.info("accounts.purged", extra={"deleted": len(users), "older_than_days": older_than_days})
    return {"deleted": len(users), "usernames": names[:MAX_NAMES]}


@task(
    "accounts.check_engagement",
    parameters={"properties": {"user_id": {"type": "integer", "minimum": 1}}, "required": ["user_id"]},
    staff_only=True,
)
def check_engagement(user_id: int) -> dict[str, object]:
    """Tell the admins (ADMINS) when a user has not logged in since joining."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return {"user_id": user_id, "status": "missing"}
    if user.last_login is not None and user.last_login > user.date_joined:
        return {"user_id": user_id, "status": "engaged", "last_login": user.last_login.isoformat()}
    notified = 0
    if settings.ADMINS:
        notified = send_mail(
            f"User {user.get_username()} has not come back since joining",
            f"User {user.get_username()} (id {user.pk}) joined on {user.date_joined:%Y-%m-%d} "
            "and has not logged in since.",
            settings.DEFAULT_FROM_EMAIL,
            settings.ADMINS,
        )
    logger.info("accounts.engagement_checked", extra={"user_id": user_id, "notified": notified})
    return {"user_id": user_id, "status": "inactive", "notified": notified}
