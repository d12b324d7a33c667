"""Idempotency keys: the first response to a creating request is kept and replayed for 24 h."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, Unprocessable
from jobs.models import IdempotencyRecord

KEY_TTL = timedelta(hours=24)
# A request that holds a key longer than this without finishing is presumed dead (its own
# transaction rolled back), so the key may be used again.
IN_FLIGHT_TIMEOUT = timedelta(minutes=2)


def idempotency_begin(*, user: User, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """Claim `key` for this request. Returns (record, replay): replay=True means answer with
    the stored response. Raises Unprocessable if the key was used for another request and
    Conflict while the first request with it is still running.

    The claim is a committed row under a unique constraint, so concurrent requests with one
    key cannot both proceed.
    """
    now = timezone.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint), False
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is None:
                continue  # deleted meanwhile: try once more
            abandoned = existing.status_code is None and existing.created_at < now - IN_FLIGHT_TIMEOUT
            if existing.created_at < now - KEY_TTL or abandoned:
                IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
                continue
            if existing.fingerprint != fingerprint:
                raise Unprocessable("this Idempotency-Key was used with a different request") from None
            if existing.status_code is None:
                raise Conflict("a request with this Idempotency-Key is still in progress") from None
            return existing, True
    raise Conflict("could not claim the Idempotency-Key; try again")


def idempotency_finish(record: IdempotencyRecord, *, status_code: int, response: Any, location: str) -> None:
    """Store the response to replay; call inside the transaction that made the changes."""
    record.status_code, record.response, record.location = status_code, response, location
    record.save(update_fields=["status_code", "response", "location"])


def idempotency_release(record: IdempotencyRecord) -> None:
    """Forget the claim of a request that failed, so the client may try again with the key."""
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()
