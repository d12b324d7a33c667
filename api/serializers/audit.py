"""Serializers for audit entries, the audit feed and restore points (versions)."""

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from api.serializers.common import AwareDateTimeField, PageQuery, QueryInput, UserRef, timestamps
from audit.registry import audited_labels
from audit.selectors import ACTIONS, Entry


class AuditVia(serializers.Serializer):
    channel = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)
    job = serializers.UUIDField(allow_null=True)
    schedule = serializers.UUIDField(allow_null=True)


class AuditChange(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class AuditEntryOutput(serializers.Serializer):
    id = serializers.IntegerField(source="record.history_id")
    at = serializers.DateTimeField(source="record.history_date")
    action = serializers.ChoiceField(choices=sorted(ACTIONS.values()))
    actor = serializers.SerializerMethodField()
    via = serializers.SerializerMethodField()
    reason = serializers.CharField(source="record.history_change_reason", allow_null=True)
    # Entry already gives plain JSON values: a field per value would only copy them, slowly.
    changes = serializers.SerializerMethodField()
    snapshot = serializers.SerializerMethodField()

    @cached_property
    def _timestamp(self) -> Callable[[datetime | None], str | None]:
        return timestamps()  # one per serializer: a page's list shares one child

    def to_representation(self, entry: Entry) -> dict[str, Any]:
        """The fields above, written out: what DRF's generic walk gives (tests/api/test_audit_output.py
        holds the two equal) at a fraction of its cost per entry (bench/analysis.md, P7)."""
        record = entry.record
        reason = record.history_change_reason
        return {
            "id": int(record.history_id),
            "at": self._timestamp(record.history_date),
            "action": entry.action,
            "actor": self.get_actor(entry),
            "via": self.get_via(entry),
            "reason": None if reason is None else str(reason),
            "changes": self.get_changes(entry),
            "snapshot": self.get_snapshot(entry),
        }

    @extend_schema_field(AuditChange(many=True))
    def get_changes(self, entry: Entry) -> list[dict[str, Any]]:
        if not self._hides_tracebacks(entry):
            return entry.changes
        return [
            {**change, "old": _without_traceback(change["old"]), "new": _without_traceback(change["new"])}
            if change["field"] == "error"
            else change
            for change in entry.changes
        ]

    @extend_schema_field(serializers.DictField(child=serializers.JSONField(allow_null=True)))
    def get_snapshot(self, entry: Entry) -> dict[str, Any]:
        if not self._hides_tracebacks(entry):
            return entry.snapshot
        return {**entry.snapshot, "error": _without_traceback(entry.snapshot.get("error"))}

    def _hides_tracebacks(self, entry: Entry) -> bool:
        # As in a job's own representation: a job's traceback is for staff only.
        request = self.context.get("request")
        return entry.model == "jobs.job" and not (request is not None and request.user.is_staff)

    @extend_schema_field(UserRef(allow_null=True))
    def get_actor(self, entry: Entry) -> dict[str, object] | None:
        record = entry.record
        if record.history_user_id is None and not record.history_username:
            return None
        return {"id": record.history_user_id, "username": record.history_username}

    @extend_schema_field(AuditVia)
    def get_via(self, entry: Entry) -> dict[str, object]:
        record = entry.record
        return {
            "channel": record.history_channel,
            "request_id": record.history_request_id or None,
            "job": record.history_job_id,
            "schedule": record.history_schedule_id,
        }


def _without_traceback(error: Any) -> Any:
    return {key: value for key, value in error.items() if key != "traceback"} if isinstance(error, dict) else error


class AuditEventOutput(AuditEntryOutput):
    model = serializers.CharField()
    object_id = serializers.CharField(source="record.id")
    object_repr = serializers.SerializerMethodField()

    def to_representation(self, entry: Entry) -> dict[str, Any]:
        written = super().to_representation(entry)
        written.update(model=str(entry.model), object_id=str(entry.record.id), object_repr=self.get_object_repr(entry))
        return written

    def get_object_repr(self, entry: Entry) -> str:
        # From the record's own columns: building `record.instance` would cost a query per entry.
        record = entry.record
        for name in ("name", "username"):
            if getattr(record, name, None):
                return str(getattr(record, name))[:200]
        return f"{getattr(record, 'task', entry.model)} {record.id}"[:200]


class AuditHistoryQuery(QueryInput):
    as_of = AwareDateTimeField(required=False, help_text="Only entries at or before this time")


class AuditFeedQuery(PageQuery):
    model = serializers.ChoiceField(choices=[], required=False, help_text="An audited model's label")
    object_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    actor = serializers.IntegerField(required=False, min_value=1)
    job = serializers.UUIDField(required=False)
    action = serializers.ChoiceField(choices=sorted(ACTIONS.values()), required=False)
    since = AwareDateTimeField(required=False)
    until = AwareDateTimeField(required=False)
    cursor = serializers.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # From the registry when used (plug-in apps register their models at start-up).
        self.fields["model"].choices = audited_labels()  # type: ignore[attr-defined]


class AuditFeedOutput(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = AuditEventOutput(many=True)


class VersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField(source="revision.date_created")
    actor = serializers.SerializerMethodField()
    comment = serializers.CharField(source="revision.comment")
    data = serializers.DictField(source="field_dict", child=serializers.JSONField(allow_null=True))  # type: ignore[assignment]  # DRF pops fields

    @extend_schema_field(UserRef(allow_null=True))
    def get_actor(self, version: object) -> dict[str, object] | None:
        user = version.revision.user  # type: ignore[attr-defined]
        return None if user is None else {"id": user.pk, "username": user.get_username()}


class DeletedScheduleOutput(serializers.Serializer):
    """A deleted schedule: restore it with POST `restore_url` (its id comes back with it)."""

    id = serializers.IntegerField(source="version.id", help_text="The version a restore brings back")
    schedule = serializers.UUIDField(source="schedule_id", help_text="The deleted schedule's id")
    name = serializers.SerializerMethodField()
    deleted_at = serializers.DateTimeField(allow_null=True)
    deleted_by = UserRef(allow_null=True)
    restore_url = serializers.SerializerMethodField()
    data = serializers.DictField(source="version.field_dict", child=serializers.JSONField(allow_null=True))  # type: ignore[assignment]  # DRF pops fields

    def get_name(self, deleted: Any) -> str:
        return str(deleted.version.field_dict.get("name", ""))

    def get_restore_url(self, deleted: Any) -> str:
        return reverse(
            "schedule-restore", kwargs={"version_id": deleted.version.pk}, request=self.context.get("request")
        )
