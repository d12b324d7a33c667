"""Sign-ups: who signed up, whether they were welcomed, activated and came back."""

import secrets
from typing import Any

from django.conf import settings
from django.db import models

from audit.models import Auditable
from audit.registry import audited


def _new_invite_code() -> str:
    return secrets.token_urlsafe(16)


def _owner_or_staff(user: Any, pk: Any) -> bool:
    return bool(user.is_staff) or Signup.objects.filter(pk=pk, owner=user).exists()


# One line puts the model on Conveyor's audit trail: history (who, when, what, through which
# request or job), restore points, the invite code masked, and who may read an object's trail.
@audited(secret_fields={"invite_code"}, readable_by=_owner_or_staff, restore_points=True)
class Signup(Auditable):
    """A person who signed up through one of our users (the owner)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signups")
    email = models.EmailField()
    invite_code = models.CharField(max_length=64, default=_new_invite_code, editable=False)
    welcomed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    came_back = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.email
