"""Admin for jobs and schedules, with their audit history and restore points.

Actions go through the same services as the API, so they are validated and audited alike.
"""

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from reversion.admin import VersionAdmin
from simple_history.admin import SimpleHistoryAdmin

from core.errors import DomainError
from jobs.models import Job, Schedule
from jobs.services.jobs import job_cancel, job_retry
from jobs.services.schedules import schedule_set_enabled, schedule_trigger


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)  # the admin only lets staff in


def _each(request: HttpRequest, objects: QuerySet[Any], operation: Any, done: str) -> None:
    count = 0
    for obj in objects:
        try:
            operation(obj)
            count += 1
        except DomainError as exc:
            messages.warning(request, f"{obj}: {exc.detail}")
    messages.info(request, f"{done}: {count}")


@admin.register(Job)
class JobAdmin(SimpleHistoryAdmin):
    list_display = ["id", "task", "state", "queue", "attempt", "submitted_by", "created_at"]
    list_filter = ["state", "task", "queue"]
    search_fields = ["id", "task"]
    readonly_fields = [field.name for field in Job._meta.fields]
    actions = ["cancel", "retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are submitted through the API, where they are validated

    @admin.action(description="Cancel selected jobs")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        _each(request, queryset, lambda job: job_cancel(job=job, actor=_actor(request)), "canceled")

    @admin.action(description="Retry selected jobs (as new jobs)")
    def retry(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        _each(request, queryset, lambda job: job_retry(job=job, actor=_actor(request)), "retried")


@admin.register(Schedule)
class ScheduleAdmin(VersionAdmin, SimpleHistoryAdmin):
    list_display = ["name", "task", "kind", "state", "next_run_at", "run_count", "owner"]
    list_filter = ["kind", "enabled", "task"]
    search_fields = ["name", "task"]
    readonly_fields = ["next_run_at", "last_run_at", "last_job", "run_count", "finished_at"]
    actions = ["pause", "resume", "trigger"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created through the API, which validates cron, time zone and arguments

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # changed through the API or the actions below, so it is validated and re-armed

    @admin.action(description="Pause selected schedules")
    def pause(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        _each(
            request,
            queryset,
            lambda s: schedule_set_enabled(schedule=s, enabled=False, actor=_actor(request)),
            "paused",
        )

    @admin.action(description="Resume selected schedules")
    def resume(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        _each(
            request,
            queryset,
            lambda s: schedule_set_enabled(schedule=s, enabled=True, actor=_actor(request)),
            "resumed",
        )

    @admin.action(description="Run selected schedules now")
    def trigger(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        _each(request, queryset, lambda s: schedule_trigger(schedule=s, actor=_actor(request)), "triggered")
