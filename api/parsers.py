"""The only request parser: strict JSON with size and nesting limits."""

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers

MAX_DEPTH = 32
# Integers beyond 64 bits lose precision in most JSON clients and databases.
MAX_INT = 2**63 - 1


class TooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "request body too large"
    default_code = "too_large"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _parse_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_INT:
        raise ValueError("integer out of the 64-bit range")
    return value


def _check(value: Any) -> None:
    """Refuse values nested deeper than MAX_DEPTH and strings holding NUL (which PostgreSQL
    cannot store), without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_DEPTH} levels")
        strings = (
            [*item.keys(), *item.values()] if isinstance(item, dict) else item if isinstance(item, list) else [item]
        )
        if any(isinstance(text, str) and "\x00" in text for text in strings):
            raise exceptions.ParseError("NUL characters are not allowed in strings")
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


class JSONParser(parsers.JSONParser):
    """JSON bodies only: at most MAX_BODY_BYTES, no NaN/Infinity, no NUL in strings, integers
    within 64 bits, at most MAX_DEPTH levels deep."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise TooLarge(f"request body exceeds {limit} bytes")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_int=_parse_int)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"JSON parse error: {str(exc)[:200]}") from None
        _check(data)
        return data
