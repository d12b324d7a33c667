"""Sign-ups in Conveyor's admin, with their history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from conveyor_signups.models import Signup


@admin.register(Signup)
class SignupAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["email", "owner", "welcomed_at", "activated_at", "came_back", "created_at"]
