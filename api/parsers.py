"""The only request parser: strict JSON with size and nesting limits."""

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers

MAX_DEPTH = 32


class TooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "request body too large"
    default_code = "too_large"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _depth(value: Any) -> int:
    """Return the nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


class JSONParser(parsers.JSONParser):
    """JSON bodies only: at most MAX_BODY_BYTES, no NaN/Infinity, at most MAX_DEPTH levels deep."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise TooLarge(f"request body exceeds {limit} bytes")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"JSON parse error: {str(exc)[:200]}") from None
        if _depth(data) > MAX_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_DEPTH} levels")
        return data
