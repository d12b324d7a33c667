"""The app's own API, served by Conveyor under /apps/signups/ with its authentication (bearer
token or session), its problem+json errors and its audit attribution."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from conveyor_signups.models import Signup
from conveyor_signups.tasks import check_came_back, send_welcome

CHECK_AFTER = timedelta(days=3)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # Conveyor's default permission: authenticated users only
    return request.user


class SignupInput(serializers.Serializer):
    email = serializers.EmailField()


class SignupOutput(serializers.ModelSerializer):
    class Meta:
        model = Signup
        fields = ["id", "email", "welcomed_at", "activated_at", "came_back", "created_at"]


class SignupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SignupOutput

    def get_queryset(self) -> QuerySet[Signup]:
        return Signup.objects.filter(owner=_user(self.request))

    def create(self, request: Request) -> Response:
        """Sign someone up; the welcome mail and the later check run in the background."""
        given = SignupInput(data=request.data)
        given.is_valid(raise_exception=True)
        with transaction.atomic():  # the jobs are pushed only if the sign-up commits
            signup = Signup.objects.create(owner=_user(request), email=given.validated_data["email"])
            welcome = send_welcome.enqueue(signup.pk)
            check = check_came_back.using(run_after=timezone.now() + CHECK_AFTER).enqueue(signup.pk)
        body: dict[str, Any] = {**SignupOutput(signup).data, "jobs": {"welcome": welcome.id, "check": check.id}}
        return Response(body, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str) -> Response:
        signup = self.get_object()
        signup.activated_at = signup.activated_at or timezone.now()
        signup.save()
        return Response(SignupOutput(signup).data)
