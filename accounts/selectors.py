"""Token reads, scoped to the asking user."""

from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import QuerySet

from accounts.models import ApiToken
from core.errors import NotFound


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """Return the user's own tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_get(*, user: User, token_id: UUID | str) -> ApiToken:
    """Return one of the user's tokens, or raise NotFound."""
    token = token_list(user=user).filter(pk=token_id).first()
    if token is None:
        raise NotFound("token not found")
    return token
