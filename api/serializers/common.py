"""Serializers shared by several areas."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from jobs.registry import all_tasks


class ProblemFieldError(serializers.Serializer):
    pointer = serializers.CharField(help_text="JSON Pointer into the request body")
    detail = serializers.CharField()
    code = serializers.CharField()


class Problem(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)
    errors = ProblemFieldError(many=True, required=False)  # type: ignore[assignment]  # DRF pops fields


def timestamps() -> Callable[[datetime | None], str | None]:
    """A converter of timestamps as DRF's DateTimeField shows them (the settings' format, the
    time zone active now), for representations written out by hand. Bound to the zone once:
    DRF looks the active zone up for every value, and a batch's output writes 2,000
    (bench/analysis.md, P2)."""
    field = serializers.DateTimeField(default_timezone=timezone.get_current_timezone() if settings.USE_TZ else None)
    return lambda value: None if value is None else field.to_representation(value)


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class TaskNameField(serializers.ChoiceField):
    """A task's name. The schema lists the registered names as an enum (read from the registry
    each time a serializer is built, so plug-in apps' tasks are in it); validation only takes the
    string, and the registry refuses a name it does not know (400 with its own message)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[task.name for task in all_tasks()], **kwargs)

    default_error_messages = {"max_length": "no task has a name this long"}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        if len(data) > 100:
            self.fail("max_length")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class AwareDateTimeField(serializers.DateTimeField):
    """An RFC 3339 timestamp that must carry its UTC offset (a naive time is ambiguous)."""

    def to_internal_value(self, value: Any) -> Any:
        parsed = super().to_internal_value(value)
        given = parse_datetime(value) if isinstance(value, str) else None
        if given is not None and given.tzinfo is None:
            self.fail("naive")
        return parsed

    default_error_messages = {"naive": "Give the time with its offset, e.g. 2030-01-01T09:00:00Z."}


class QueryInput(serializers.Serializer):
    """Query parameters: a parameter given empty is an error unless its field allows blank
    (DRF would otherwise treat `?state=` as if it were absent)."""

    def to_internal_value(self, data: Any) -> Any:
        blank = {
            name: ["may not be blank"]
            for name, field in self.fields.items()
            if name in data and data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


MAX_PAGE_SIZE = 200


class PageQuery(QueryInput):
    """The page size every paginated list takes (api.pagination)."""

    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)


# The JSON type each kind of field takes, most specific first. DRF coerces ("10" to 10, 1 to
# "1", "true" to True); a body is refused instead when a value is not of its schema's type.
def _is_integer(value: Any) -> bool:  # JSON Schema's integer: 10 and 10.0, never true
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())


_JSON_TYPES: list[tuple[type[serializers.Field], Callable[[Any], bool], str]] = [
    (serializers.BooleanField, lambda value: isinstance(value, bool), "a boolean"),
    (serializers.IntegerField, _is_integer, "an integer"),
    (serializers.FloatField, lambda value: isinstance(value, int | float) and not isinstance(value, bool), "a number"),
    (serializers.CharField, lambda value: isinstance(value, str), "a string"),
    (serializers.ChoiceField, lambda value: isinstance(value, str), "a string"),
    (serializers.DateTimeField, lambda value: isinstance(value, str), "a string"),
    (serializers.UUIDField, lambda value: isinstance(value, str), "a string"),
    (serializers.ListField, lambda value: isinstance(value, list), "an array"),
    (serializers.DictField, lambda value: isinstance(value, dict), "an object"),
]


def _type_errors(field: serializers.Field, value: Any) -> Any:
    """The errors of `value` against the JSON type of `field` (and of its items), in DRF's shape; None if none."""
    if value is None:
        return None  # allow_null decides
    for kind, accepts, name in _JSON_TYPES:
        if isinstance(field, kind):
            if not accepts(value):
                return [serializers.ErrorDetail(f"must be {name}", code="type")]
            break
    child = getattr(field, "child", None)
    if isinstance(field, serializers.ListField) and child is not None:
        errors = {index: e for index, item in enumerate(value) if (e := _type_errors(child, item)) is not None}
        return errors or None
    if isinstance(field, serializers.DictField) and child is not None:
        errors = {key: e for key, item in value.items() if (e := _type_errors(child, item)) is not None}
        return errors or None
    return None


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not declare (typos fail loudly) and
    values that are not of the declared JSON type (no string for an integer)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, Any] = {name: ["unknown field"] for name in sorted(set(data) - set(self.fields))}
            for name, field in self.fields.items():
                if name in data and (error := _type_errors(field, data[name])) is not None:
                    errors[name] = error
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
