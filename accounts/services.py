"""Account services: browser sessions (sign in, sign out) and API tokens (create, authenticate, revoke)."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone

from accounts import tokencache
from accounts.models import ApiToken
from core.errors import Invalid, Unauthenticated

TOKEN_PREFIX = "cvy_"  # noqa: S105 - a public marker, not a secret
MAX_TOKEN_TTL = timedelta(days=366)
# last_used_at is refreshed at most this often, so authentication does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its secret, which is not stored anywhere."""
    now = timezone.now()
    if expires_at is None:
        expires_at = now + timedelta(days=settings.TOKEN_DEFAULT_TTL_DAYS)
    if expires_at <= now:
        raise Invalid("expires_at must be in the future", pointer="/expires_at", code="past")
    if expires_at > now + MAX_TOKEN_TTL:
        raise Invalid("expires_at may be at most 366 days ahead", pointer="/expires_at", code="too_far")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:10], digest=_digest(secret), expires_at=expires_at
    )
    return token, secret


def token_authenticate(secret: str) -> ApiToken | None:
    """Return the live token for `secret` with its user loaded, or None if unknown or expired;
    from this process's token cache when it has it (accounts.tokencache)."""
    digest = _digest(secret)
    token = tokencache.get(digest)
    if token is None:
        read_at = tokencache.generation()
        try:  # get(), not first(): digest is unique, and no ORDER BY to compile on every request
            token = ApiToken.objects.select_related("user").get(digest=digest)
        except ApiToken.DoesNotExist:
            return None
        tokencache.put(digest, token, read_at)
    now = timezone.now()
    if token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # A bookkeeping column, not an audited change: a plain UPDATE keeps history lean.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token: ApiToken) -> None:
    """Delete the token; requests using it are refused from now on."""
    token.delete()


def session_sign_in(*, request: HttpRequest, username: str, password: str) -> User:
    """Sign the user in on this request's session (a new session key and CSRF token) and return
    them; raise Unauthenticated, with one message whether or not the account exists, or
    TooManyRequests while sign-in is locked (accounts.signin)."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise Unauthenticated("wrong username or password")
    login(request, user)
    return user  # type: ignore[return-value]


def session_sign_out(*, request: HttpRequest) -> None:
    """End the request's session (a no-op when nobody is signed in)."""
    logout(request)
