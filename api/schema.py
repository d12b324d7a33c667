"""OpenAPI generation: problem+json error responses on every operation, bearer auth scheme."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from api.errors import PROBLEM_CONTENT_TYPE
from api.serializers.common import Problem


def problems(*statuses: int) -> dict[tuple[int, str], type[Problem]]:
    """Responses for `extend_schema(responses=...)`: these statuses answer with problem+json."""
    return {(status, PROBLEM_CONTENT_TYPE): Problem for status in statuses}


class AutoSchema(openapi.AutoSchema):
    """Adds the errors every operation can return, so clients and fuzzers know them."""

    def _generic_problem_statuses(self) -> list[int]:
        statuses = [406]  # an Accept header that JSON (or the operation's media type) does not satisfy
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            statuses += [401, 403]
        if "{" in self.path:
            statuses.append(404)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += [400, 413, 415]
        elif self.method == "GET":
            statuses.append(400)
        return statuses

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        # drf-spectacular leaves out a list serializer's bounds (`many=True, max_length=...`).
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and schema and schema.get("type") == "array":
            least = max(getattr(field, "min_length", None) or 0, 0 if field.allow_empty else 1)
            if least:
                schema["minItems"] = least
            if getattr(field, "max_length", None) is not None:
                schema["maxItems"] = field.max_length  # type: ignore[attr-defined]  # DRF sets it in __init__
        return schema

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> tuple[Any, bool]:
        # drf-spectacular cannot see required fields through a oneOf, so it marks the body
        # optional; every kind's body has at least its required `kind`.
        schema, required = super()._get_request_for_media_type(serializer, direction)
        return schema, required or isinstance(serializer, PolymorphicProxySerializer)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status in self._generic_problem_statuses():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    Problem, str(status), [PROBLEM_CONTENT_TYPE], direction
                )
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A token from POST /api/v1/auth/tokens/"}


class MetricsTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.views.operations.MetricsTokenAuthentication"
    name = "metricsToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "The METRICS_TOKEN setting, for Prometheus"}
