"""What every authenticated view shares."""

from typing import cast

from django.contrib.auth.models import User
from rest_framework.views import APIView


class AuthenticatedView(APIView):
    """Base for views behind authentication; `actor` is the calling user, typed."""

    @property
    def actor(self) -> User:
        return cast(User, self.request.user)
