"""Admin for API tokens (read-only: secrets are never shown), audited users and sign-in lockouts,
and the admin login form behind the sign-in throttle."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import ApiToken, SignInLockout
from core.errors import TooManyRequests


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    list_display = ["name", "prefix", "user", "created_at", "expires_at", "last_used_at"]
    search_fields = ["name", "prefix", "user__username"]
    exclude = ["digest"]
    readonly_fields = ["user", "name", "prefix", "expires_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created through the API or `manage.py create_token`, which show the secret once


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AuditedUserAdmin(SimpleHistoryAdmin, UserAdmin):
    pass


@admin.register(SignInLockout)
class SignInLockoutAdmin(SimpleHistoryAdmin):
    list_display = ["created_at", "scope", "username", "client_ip", "failures", "locked_until"]
    search_fields = ["username", "client_ip"]
    list_filter = ["scope"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written by the sign-in throttle only

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a record of what happened; the lock itself expires on its own


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login form, answering a sign-in lockout (accounts.signin) with a form error."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except TooManyRequests as exc:
            raise forms.ValidationError(f"Sign-in is locked: {exc.detail}.", code="throttled") from exc


admin.site.login_form = ThrottledAdminAuthenticationForm
