"""Cursor pagination for every list: {next, previous, results}, newest first."""

from typing import Any

from rest_framework import pagination, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from api.serializers.common import QueryInput


class _PageQuery(QueryInput):
    page_size = serializers.IntegerField(min_value=1, max_value=200, required=False)


class CursorPagination(pagination.CursorPagination):
    """Invalid `page_size` or `cursor` values are a 400 with a pointer, not silently ignored."""

    ordering = "-created_at"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        query = _PageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return int(query.validated_data.get("page_size", self.page_size))

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # DRF's examples for next/previous are not valid URIs (Spectral's oas3-valid-schema-example).
        response: dict[str, Any] = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            response["properties"][link].pop("example", None)
        return response

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": ["invalid cursor"]}) from None
