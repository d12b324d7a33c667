"""Serializers shared by several areas."""

from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers


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


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


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


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not declare (typos fail loudly)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)
