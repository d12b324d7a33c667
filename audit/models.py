"""The Auditable base: created/modified by and at, filled from the attribution context."""

from django.conf import settings
from django.db import models

from audit.context import current


class Auditable(models.Model):
    """Abstract base for records whose authorship matters.

    The user columns are SET_NULL so deleting a user keeps the record readable; the username is
    kept alongside as a snapshot. Values come from the attribution context, never from clients.
    """

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="%(app_label)s_%(class)s_created",
    )
    created_by_username = models.CharField(max_length=150, blank=True, editable=False)
    modified_at = models.DateTimeField(auto_now=True, editable=False)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="%(app_label)s_%(class)s_modified",
    )
    modified_by_username = models.CharField(max_length=150, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        actor = current().actor
        username = actor.get_username() if actor is not None else ""
        if self._state.adding:
            self.created_by, self.created_by_username = actor, username  # type: ignore[assignment]
        self.modified_by, self.modified_by_username = actor, username  # type: ignore[assignment]
        if kwargs.get("update_fields") is not None:  # who and when are part of every update
            kwargs["update_fields"] = [*kwargs["update_fields"], "modified_at", "modified_by", "modified_by_username"]
        super().save(*args, **kwargs)


class RevisionContext(models.Model):
    """reversion meta: links each restore point to the request or job that made it."""

    revision = models.OneToOneField("reversion.Revision", on_delete=models.CASCADE, related_name="context")
    channel = models.CharField(max_length=10)
    request_id = models.CharField(max_length=128, blank=True, default="")
    job_id = models.UUIDField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.channel} {self.request_id or self.job_id or ''}"
