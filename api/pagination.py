"""Cursor pagination for every list: {next, previous, results}, newest first."""

import binascii
from base64 import b64decode
from typing import Any
from urllib.parse import parse_qs

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from api.serializers.common import MAX_PAGE_SIZE, PageQuery


class CursorPagination(pagination.CursorPagination):
    """Invalid `page_size` or `cursor` values are a 400 with a pointer, not silently ignored."""

    ordering = "-created_at"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        query = PageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return int(query.validated_data.get("page_size", self.page_size))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        # The bounds get_page_size enforces, so a client (and a fuzzer) knows them.
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # Every page has next and previous, a URI or null: DRF's schema leaves them optional and
        # says so with 3.0's `nullable`, which OAS 3.1 (our schema's version) ignores. DRF's
        # examples for them are not valid URIs either (Spectral's oas3-valid-schema-example).
        response: dict[str, Any] = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            response["properties"][link] = {"type": ["string", "null"], "format": "uri"}
        response["required"] = ["next", "previous", "results"]
        return response

    def decode_cursor(self, request: Request) -> Any:
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None and not _well_formed(encoded):
                raise NotFound
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": ["invalid cursor"]}) from None


CURSOR_KEYS = {"o", "r", "p"}  # offset, reverse, position: what DRF's encode_cursor writes


def _well_formed(encoded: str) -> bool:
    """Whether `encoded` is a cursor DRF could have written. DRF's own decoding drops characters
    outside base64 and reads what is left, often nothing, as the first page."""
    try:
        tokens = parse_qs(b64decode(encoded.encode("ascii"), validate=True).decode("ascii"), keep_blank_values=True)
    except (binascii.Error, UnicodeError, ValueError):
        return False
    return bool(tokens) and set(tokens) <= CURSOR_KEYS
