"""Identity and API-token endpoints."""

from drf_spectacular.utils import extend_schema
from rest_framework import authentication, mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import token_get, token_list
from accounts.services import token_create, token_revoke
from api.authentication import BearerTokenAuthentication
from api.serializers.accounts import MeOutput, TokenCreatedOutput, TokenCreateInput, TokenOutput
from api.views.base import AuthenticatedView


class MeView(AuthenticatedView):
    """The calling user."""

    @extend_schema(operation_id="me_retrieve", responses=MeOutput)
    def get(self, request: Request) -> Response:
        return Response(MeOutput(self.actor).data)


class TokenViewSet(AuthenticatedView, mixins.ListModelMixin, viewsets.GenericViewSet):
    """API tokens of the calling user. Creating one also accepts HTTP Basic (to get the first)."""

    authentication_classes = [
        BearerTokenAuthentication,
        authentication.BasicAuthentication,
        authentication.SessionAuthentication,
    ]
    serializer_class = TokenOutput
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return token_list(user=self.actor)

    @extend_schema(operation_id="tokens_list")
    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(operation_id="tokens_create", request=TokenCreateInput, responses={201: TokenCreatedOutput})
    def create(self, request: Request) -> Response:
        data = TokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        token, secret = token_create(user=self.actor, **data.validated_data)
        token.token = secret  # type: ignore[attr-defined]
        return Response(TokenCreatedOutput(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="tokens_revoke", responses={204: None})
    def destroy(self, request: Request, id: str) -> Response:
        token_revoke(token=token_get(user=self.actor, token_id=id))
        return Response(status=status.HTTP_204_NO_CONTENT)
