"""OpenAPI generation: problem+json error responses on every operation, a summary and a description
per operation from its docstring, one enum component per value set, bearer auth scheme."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import get_doc
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

    def _docstring(self) -> tuple[str, str]:
        # The action's own docstring, never the viewset's: one shared text would make every
        # generated method of a group read the same.
        action = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        summary, _, description = get_doc(action).partition("\n\n")
        return " ".join(summary.split()), description

    def get_summary(self) -> str | None:
        """The first paragraph of the action's docstring."""
        return self._docstring()[0] or None

    def get_description(self) -> str:  # type: ignore[override]
        """The action's docstring after its first paragraph."""
        return self._docstring()[1]

    def _get_serializer_name(self, serializer: Any, direction: Any, bypass_extensions: bool = False) -> str:
        # COMPONENT_SPLIT_REQUEST appends "Request" to every request component; our `...Input`
        # serializers are requests only, so the suffix says nothing (JobSubmitInputRequest). A
        # clash with a response component would be a generator warning, which `make schema` fails on.
        name: str = super()._get_serializer_name(serializer, direction, bypass_extensions)
        return name.removesuffix("Request") if name.endswith("InputRequest") else name

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


def postprocess_any_value(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Under OAS 3.1 drf-spectacular writes a nullable JSON field as `oneOf: [{}, {type: null}]`,
    which no value satisfies (null matches both branches); `{}` already admits null."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("oneOf") == [{}, {"type": "null"}]:
                del node["oneOf"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


def postprocess_parameter_enums(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """A parameter's inline enum becomes a reference to the component with the same values
    (?state= is a JobStateEnum), so a client generator makes one enum per value set, not one per
    parameter; a value set only parameters use gets a component named by the first one's tag and
    name (the audited models: AuditModelEnum)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    by_values = {frozenset(schema["enum"]): name for name, schema in schemas.items() if "enum" in schema}
    for item in result["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter["schema"]
                target = schema["items"] if schema.get("type") == "array" else schema
                if "enum" not in target:
                    continue
                values = frozenset(target["enum"])
                if values not in by_values:
                    name = f"{operation['tags'][0].title()}{parameter['name'].title()}Enum"
                    schemas[name] = {"type": target.get("type", "string"), "enum": target["enum"]}
                    by_values[values] = name
                target.clear()
                target["$ref"] = f"#/components/schemas/{by_values[values]}"
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
