"""Audit history for Django's user model (which Conveyor does not own, so it is registered)."""

from django.contrib.auth import get_user_model
from simple_history import register

from audit.history import AuditedHistory


def register_user_history() -> None:
    """Give the user model an audited history (stored in the accounts app's migrations)."""
    register(get_user_model(), app="accounts", records_class=AuditedHistory, excluded_fields=["last_login"])
