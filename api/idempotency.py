"""The Idempotency-Key header for creating POSTs (submit, batch, retry, schedule create...)."""

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import Invalid
from jobs.engine.outage import DATABASE_ERRORS
from jobs.models import IdempotencyRecord
from jobs.services.idempotency import idempotency_begin, idempotency_finish, idempotency_release

KEY_MAX_LENGTH = 200
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH},
    OpenApiParameter.HEADER,
    description="Repeat a request safely: same key + same body within 24 h replays the first response "
    "(Idempotent-Replayed: true); a different body is 422; while the first is running, 409.",
)


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """Make a creating view action honour Idempotency-Key, atomically with its own writes."""

    @functools.wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(self, request, *args, **kwargs)
        if not 1 <= len(key) <= KEY_MAX_LENGTH:
            raise Invalid(f"Idempotency-Key must be 1 to {KEY_MAX_LENGTH} characters", pointer="", code="bad_key")
        record, replay = idempotency_begin(user=cast(User, request.user), key=key, fingerprint=_fingerprint(request))
        if replay:
            headers = {"Idempotent-Replayed": "true"}
            if record.location:
                headers["Location"] = record.location
            return Response(record.response, status=record.status_code, headers=headers)
        try:
            with transaction.atomic():
                response = view(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    stored = json.loads(JSONRenderer().render(response.data))
                    idempotency_finish(
                        record, status_code=response.status_code, response=stored, location=response.get("Location", "")
                    )
                else:
                    idempotency_release(record)
        except BaseException:
            _release(record)
            raise
        return response

    return wrapper


def _release(record: IdempotencyRecord) -> None:
    """Free the key of a request that failed. When the database broke this request's connection
    (a restart, a failover), the release fails on it too: try once more on a fresh connection,
    or the claim would answer every retry 409 "in progress" until IN_FLIGHT_TIMEOUT."""
    try:
        idempotency_release(record)
    except DATABASE_ERRORS:
        connection.close()
        with contextlib.suppress(DatabaseError):
            idempotency_release(record)
