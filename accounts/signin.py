"""Password sign-in throttling: failed attempts counted per account and per client address in
Redis, and the authentication backend every password door goes through (the session login, HTTP
Basic on the token endpoint, the admin login).

A key's counter starts with its first failure and lives SIGNIN_LOCKOUT_SECONDS. The failure
that reaches a limit locks the account (or address) for SIGNIN_LOCKOUT_SECONDS from then, is
recorded as a `SignInLockout` (on the audit trail) and answered with TooManyRequests, as is
every attempt while locked — without checking the password, so guessing stops paying. A correct
password clears its account's counter, not its address's (one valid account must not reset
the counter of an address that is guessing others).
"""

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import SignInLockout
from audit.context import attribute
from audit.middleware import client_ip_for
from core.errors import TooManyRequests
from core.redis import redis_connection

logger = logging.getLogger(__name__)

FAILURES_KEY = "conveyor:signin:failures:{scope}:{subject}"


def _counters(username: str, client_ip: str | None) -> list[tuple[str, str, int]]:
    """(scope, Redis key, limit) of the counters an attempt touches."""
    # Usernames are hashed (bounded key length, no user input in key names) and case-folded,
    # so "Alice" and "alice" share one counter whatever the database's collation.
    subject = hashlib.sha256(username.casefold().encode()).hexdigest()
    per_account = settings.SIGNIN_MAX_FAILURES_PER_ACCOUNT
    counters: list[tuple[str, str, int]] = [
        (SignInLockout.Scope.ACCOUNT, FAILURES_KEY.format(scope="account", subject=subject), per_account)
    ]
    if client_ip:
        per_address = settings.SIGNIN_MAX_FAILURES_PER_ADDRESS
        counters.append(
            (SignInLockout.Scope.ADDRESS, FAILURES_KEY.format(scope="address", subject=client_ip), per_address)
        )
    return counters


def signin_wait(*, username: str, client_ip: str | None) -> int:
    """Seconds until `username` may try a password again from `client_ip`; 0 if it may now."""
    counters = _counters(username, client_ip)
    connection = redis_connection()
    with connection.pipeline(transaction=False) as pipe:
        for _, key, _ in counters:
            pipe.get(key)
            pipe.ttl(key)
        replies = pipe.execute()
    wait = 0
    for index, (_, _, limit) in enumerate(counters):
        count, ttl = replies[2 * index], replies[2 * index + 1]
        if count is not None and int(count) >= limit:
            wait = max(wait, ttl if ttl > 0 else 1)
    return wait


def signin_failed(*, username: str, client_ip: str | None) -> int:
    """Count one failed password for `username` from `client_ip`; return the seconds of the
    lockout this failure started (recording it), or 0."""
    counters = _counters(username, client_ip)
    lockout = settings.SIGNIN_LOCKOUT_SECONDS
    connection = redis_connection()
    with connection.pipeline(transaction=False) as pipe:
        for _, key, _ in counters:
            pipe.set(key, 0, ex=lockout, nx=True)  # the window opens with the first failure
            pipe.incr(key)
        replies = pipe.execute()
    wait = 0
    for index, (scope, key, limit) in enumerate(counters):
        if replies[2 * index + 1] == limit:  # INCR is atomic: exactly one failure reaches the limit
            connection.expire(key, lockout)
            _record_lockout(scope=scope, username=username, client_ip=client_ip, failures=limit)
            wait = lockout
    return wait


def signin_succeeded(*, username: str) -> None:
    """Forget the account's failures after a correct password."""
    connection = redis_connection()
    connection.delete(_counters(username, None)[0][1])


def _record_lockout(*, scope: str, username: str, client_ip: str | None, failures: int) -> None:
    locked_until = timezone.now() + timedelta(seconds=settings.SIGNIN_LOCKOUT_SECONDS)
    reason = f"sign-in locked: {failures} failed passwords for this {scope}"
    with attribute(reason=reason):
        SignInLockout.objects.create(
            scope=scope, username=username[:150], client_ip=client_ip, failures=failures, locked_until=locked_until
        )
    logger.warning("signin.locked", extra={"scope": scope, "client_ip": client_ip, "failures": failures})


def _throttled(wait: int) -> TooManyRequests:
    minutes = max(1, round(wait / 60))
    return TooManyRequests(
        f"too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}", retry_after=wait
    )


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend behind the sign-in throttle; raises TooManyRequests while locked."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> AbstractBaseUser | None:
        if username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        client_ip = client_ip_for(request) if request is not None else None
        try:
            wait = signin_wait(username=username, client_ip=client_ip)
        except RedisError:
            # Fail open: a Redis outage must not lock every user out; the event says it happened.
            logger.error("signin.throttle_unavailable", exc_info=True)
            return super().authenticate(request, username=username, password=password, **kwargs)
        if wait:
            raise _throttled(wait)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            wait = signin_failed(username=username, client_ip=client_ip)
            if wait:
                raise _throttled(wait)
        else:
            signin_succeeded(username=username)
        return user
