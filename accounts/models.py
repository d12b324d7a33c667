"""API tokens: named, expiring bearer secrets stored only as a SHA-256 digest."""

import uuid

from django.conf import settings
from django.db import models

from audit.history import AuditedHistory
from audit.models import Auditable


class ApiToken(Auditable):
    """A bearer token. The secret is shown once at creation; only its digest is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = AuditedHistory(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
