"""Serializers for identity and API tokens."""

from rest_framework import serializers

from api.serializers.common import StrictInput


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()


class TokenCreateInput(StrictInput):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(
        required=False,
        help_text="In the future and at most 366 days ahead (else 400); default: TOKEN_DEFAULT_TTL_DAYS from now",
    )


class TokenOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the secret, to tell tokens apart")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOutput(TokenOutput):
    token = serializers.CharField(help_text="The secret; shown only in this response")


class SessionCreateInput(StrictInput):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class CsrfTokenOutput(serializers.Serializer):
    csrf_token = serializers.CharField(help_text="Send it back as the X-CSRFToken header on session writes")
