"""Serializers for schedules: one input per kind (the body's `kind` picks it), one output."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from api.serializers.common import AwareDateTimeField, QueryInput, StrictInput, TaskNameField, UserRef
from core.errors import Invalid
from jobs.firetimes import MAX_INTERVAL_SECONDS
from jobs.models import MisfirePolicy, OverlapPolicy, Schedule, ScheduleKind, ScheduleState
from jobs.services.schedules import KIND_FIELDS, schedule_upcoming


class ScheduleCommonInput(StrictInput):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    task = TaskNameField()
    args = serializers.ListField(child=serializers.JSONField(), required=False, max_length=100)
    kwargs = serializers.DictField(child=serializers.JSONField(), required=False)
    queue = serializers.ChoiceField(choices=settings.QUEUE_NAMES, required=False)
    enabled = serializers.BooleanField(required=False)
    max_runs = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    end_at = AwareDateTimeField(required=False, allow_null=True)
    misfire_policy = serializers.ChoiceField(choices=MisfirePolicy.choices, required=False)
    overlap_policy = serializers.ChoiceField(choices=OverlapPolicy.choices, required=False)


# What a cron line looks like (5 whitespace-separated fields, or an alias such as @daily): looser
# than the server's parser, so that every line the server takes matches it. Whether the fields
# parse, and ever fire, only the server can say (400, code bad_cron).
CRON_PATTERN = r"^\s*(?:@[A-Za-z]+|\S+(?:\s+\S+){4})\s*$"


@extend_schema_field({"type": "string", "maxLength": 200, "pattern": CRON_PATTERN})
class CronField(serializers.CharField):
    """A cron line; its shape is in the schema, its meaning is checked by jobs.firetimes."""


def _timing_field(name: str, *, create: bool) -> serializers.Field:  # type: ignore[type-arg]
    """The input of one timing setting (jobs.services.schedules.KIND_FIELDS says which kind has which):
    as a create of its kind takes it (`create`), or as a PATCH does (never required)."""
    if name == "run_at":
        return AwareDateTimeField(required=create, help_text="When to run, once")
    if name == "every_seconds":
        return serializers.IntegerField(required=create, min_value=1, max_value=MAX_INTERVAL_SECONDS)
    if name == "start_at":
        return AwareDateTimeField(required=False, allow_null=True, help_text="First fire; default now + every_seconds")
    if name == "cron":
        return CronField(
            required=create, max_length=200, help_text="5 fields: minute hour day-of-month month day-of-week"
        )
    if name == "timezone":
        return serializers.CharField(required=False, max_length=64, help_text="IANA name; default UTC")
    raise LookupError(f"no input for the timing setting {name!r}")


def _kind_input(kind: str) -> type[ScheduleCommonInput]:
    """The create body of one kind: the common fields, `kind` and the kind's timing settings."""
    body: dict[str, Any] = {"__module__": __name__, "kind": serializers.ChoiceField(choices=[kind])}
    body.update((name, _timing_field(name, create=True)) for name in KIND_FIELDS[kind])
    return type(f"Schedule{kind.capitalize()}Input", (ScheduleCommonInput,), body)


SCHEDULE_INPUTS: dict[str, type[ScheduleCommonInput]] = {str(kind): _kind_input(str(kind)) for kind in KIND_FIELDS}

ScheduleCreateInput = PolymorphicProxySerializer(
    component_name="ScheduleCreateInput",
    serializers={kind: serializer for kind, serializer in SCHEDULE_INPUTS.items()},
    resource_type_field_name="kind",
)


ScheduleChangeInput: type[ScheduleCommonInput] = type(
    "ScheduleChangeInput",
    (ScheduleCommonInput,),
    {
        "__module__": __name__,
        "__doc__": "Documentation of PATCH: any fields of the schedule's kind (or a new kind with its fields).",
        "kind": serializers.ChoiceField(choices=ScheduleKind.choices, required=False),
        **{name: _timing_field(name, create=False) for names in KIND_FIELDS.values() for name in names},
    },
)


def schedule_input(data: Any, *, kind: str | None = None, partial: bool = False) -> dict[str, Any]:
    """Validate a create (or PATCH) body with the serializer of its kind; the validated fields."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", pointer="")
    chosen = data.get("kind", kind)
    if not isinstance(chosen, str) or chosen not in SCHEDULE_INPUTS:
        raise Invalid(f"kind must be one of {sorted(SCHEDULE_INPUTS)}", pointer="/kind", code="invalid_choice")
    serializer = SCHEDULE_INPUTS[chosen](data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ScheduleOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    name = serializers.CharField()
    description = serializers.CharField()
    task = serializers.CharField()
    args = serializers.ListField(child=serializers.JSONField())
    kwargs = serializers.DictField(child=serializers.JSONField())
    queue = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=ScheduleKind.choices)
    run_at = serializers.DateTimeField(allow_null=True)
    every_seconds = serializers.IntegerField(allow_null=True)
    start_at = serializers.DateTimeField(allow_null=True)
    cron = serializers.CharField(allow_blank=True)
    timezone = serializers.CharField()
    enabled = serializers.BooleanField()
    max_runs = serializers.IntegerField(allow_null=True)
    end_at = serializers.DateTimeField(allow_null=True)
    misfire_policy = serializers.ChoiceField(choices=MisfirePolicy.choices)
    overlap_policy = serializers.ChoiceField(choices=OverlapPolicy.choices)
    state = serializers.ChoiceField(choices=ScheduleState.choices)
    next_run_at = serializers.SerializerMethodField(help_text="The next fire; null while paused or finished")
    last_run_at = serializers.DateTimeField(allow_null=True)
    last_job = serializers.UUIDField(source="last_job_id", allow_null=True)
    run_count = serializers.IntegerField()
    upcoming = serializers.SerializerMethodField()
    owner = UserRef()
    created_at = serializers.DateTimeField()
    created_by = serializers.SerializerMethodField()
    modified_at = serializers.DateTimeField()
    modified_by = serializers.SerializerMethodField()

    def get_url(self, schedule: Schedule) -> str:
        return reverse("schedule-detail", kwargs={"id": schedule.pk}, request=self.context.get("request"))

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_run_at(self, schedule: Schedule) -> str | None:
        # The stored slot of a paused schedule is stale (resuming plans anew): show what upcoming shows.
        if schedule.pending_fire is None:
            return None
        return serializers.DateTimeField().to_representation(schedule.pending_fire)  # type: ignore[no-any-return]

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_upcoming(self, schedule: Schedule) -> list[str]:
        return [moment.isoformat().replace("+00:00", "Z") for moment in schedule_upcoming(schedule)]

    @extend_schema_field(UserRef(allow_null=True))
    def get_created_by(self, schedule: Schedule) -> dict[str, Any] | None:
        return _user_ref(schedule.created_by_id, schedule.created_by_username)

    @extend_schema_field(UserRef(allow_null=True))
    def get_modified_by(self, schedule: Schedule) -> dict[str, Any] | None:
        return _user_ref(schedule.modified_by_id, schedule.modified_by_username)


def _user_ref(user_id: int | None, username: str) -> dict[str, Any] | None:
    return None if user_id is None and not username else {"id": user_id, "username": username}


class SchedulePreviewOutput(serializers.Serializer):
    upcoming = serializers.ListField(child=serializers.DateTimeField())


class ScheduleListQuery(QueryInput):
    state = serializers.ChoiceField(choices=ScheduleState.choices, required=False)
    task = serializers.CharField(required=False, allow_blank=True, max_length=100)
    kind = serializers.ChoiceField(choices=ScheduleKind.choices, required=False)
