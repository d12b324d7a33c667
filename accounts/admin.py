"""Admin for API tokens (read-only: secrets are never shown) and audited users."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import ApiToken


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
