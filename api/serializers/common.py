"""Serializers shared by several areas."""

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
