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


class SignInLockout(models.Model):
    """One lockout of password sign-in: too many failures for an account or from an address.

    Written once when the limit is reached (accounts.signin); its history row puts it on the
    audit trail, so it appears in the staff audit feed as `accounts.signinlockout` "created".
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account"
        ADDRESS = "address"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    username = models.CharField(max_length=150, help_text="The username tried (it may not exist)")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    failures = models.PositiveIntegerField()
    locked_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistory()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        who = self.username if self.scope == self.Scope.ACCOUNT else self.client_ip
        return f"sign-in lockout of {self.scope} {who} until {self.locked_until:%Y-%m-%d %H:%M:%S}Z"
