"""Account tasks from the seed use cases: purge never-activated accounts, check engagement."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from audit.context import attribute
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
    """Delete non-staff accounts never activated nor logged into that joined more than N days ago."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    doomed = get_user_model().objects.filter(
        is_active=False, last_login__isnull=True, date_joined__lt=cutoff, is_staff=False, is_superuser=False
    )
    pks = list(doomed.order_by("pk").values_list("pk", flat=True))
    total = len(pks)
    deleted = 0
    names: list[str] = []
    with attribute(reason=f"purge of accounts never activated in {older_than_days} days"):
        for done, pk in enumerate(pks, start=1):
            # Re-checked under a lock: the account may have been activated since the listing.
            with transaction.atomic():
                user = doomed.select_for_update().filter(pk=pk).first()
                if user is not None:
                    if len(names) < MAX_NAMES:
                        names.append(user.get_username())
                    user.delete()  # one by one, so the audit trail records each delete
                    deleted += 1
            progress(done, total, f"checked {done} of {total}")
    logger.info("accounts.purged", extra={"deleted": deleted, "older_than_days": older_than_days})
    return {"deleted": deleted, "usernames": names}


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
    admins = list(settings.ADMINS)
    notified = 0
    if admins:
        # Usernames are not validated at the database level; a line break would break the header.
        username = " ".join(user.get_username().split())
        sent = send_mail(
            f"User {username} has not come back since joining",
            f"User {username} (id {user.pk}) joined on {user.date_joined:%Y-%m-%d} and has not logged in since.",
            settings.DEFAULT_FROM_EMAIL,
            admins,
        )
        notified = len(admins) if sent else 0
    logger.info("accounts.engagement_checked", extra={"user_id": user_id, "status": "inactive", "notified": notified})
    return {"user_id": user_id, "status": "inactive", "notified": notified}
