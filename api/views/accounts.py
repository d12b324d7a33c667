"""Identity, browser-session and API-token endpoints."""

from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import authentication, mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import token_get, token_list
from accounts.services import session_sign_in, session_sign_out, token_create, token_revoke
from api.authentication import BearerTokenAuthentication
from api.schema import problems
from api.serializers.accounts import (
    CsrfTokenOutput,
    MeOutput,
    SessionCreateInput,
    TokenCreatedOutput,
    TokenCreateInput,
    TokenOutput,
)
from api.views.base import AuthenticatedView

THROTTLED = OpenApiResponse(
    description="Sign-in is locked after too many failed passwords (per account and per client address); "
    "Retry-After says for how many seconds",
    response=problems(429)[(429, "application/problem+json")],
)


class MeView(AuthenticatedView):
    """The calling user."""

    @extend_schema(operation_id="me_retrieve", responses=MeOutput)
    def get(self, request: Request) -> Response:
        """Who is calling.

        The user the request authenticates as: id, username and whether it is staff."""
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
        """List your API tokens.

        The calling user's tokens, newest first, without their secrets."""
        return super().list(request, *args, **kwargs)

    @extend_schema(operation_id="tokens_create", request=TokenCreateInput, responses={201: TokenCreatedOutput})
    def create(self, request: Request) -> Response:
        """Create an API token.

        The secret is in this response only (it is stored hashed); send it as `Authorization: Bearer <token>`. HTTP
        Basic is accepted here, to get a first token."""
        data = TokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        token, secret = token_create(user=self.actor, **data.validated_data)
        token.token = secret  # type: ignore[attr-defined]
        return Response(TokenCreatedOutput(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="tokens_revoke", responses={204: None})
    def destroy(self, request: Request, id: str) -> Response:
        """Revoke an API token.

        The token stops authenticating at once. Another user's token is a 404."""
        token_revoke(token=token_get(user=self.actor, token_id=id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionView(APIView):
    """Browser sign-in: a Django session cookie for the console and SPAs (same site, or an origin
    in CORS_ALLOWED_ORIGINS and CSRF_TRUSTED_ORIGINS). Both writes need the X-CSRFToken header
    (from GET /api/v1/auth/csrf/), signed in or not: a forged sign-in is an attack too."""

    authentication_classes: list[type[authentication.BaseAuthentication]] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="session_create",
        request=SessionCreateInput,
        responses={
            200: MeOutput,
            (401, "application/problem+json"): OpenApiResponse(
                description="Wrong username or password (one answer whether the account exists or not)",
                response=problems(401)[(401, "application/problem+json")],
            ),
            (403, "application/problem+json"): OpenApiResponse(
                description="CSRF check failed", response=problems(403)[(403, "application/problem+json")]
            ),
            (429, "application/problem+json"): THROTTLED,
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        """Sign in with a password (session cookie).

        Browser sign-in for the console and same-site apps: sets Django's session cookie. Needs the X-CSRFToken
        header from GET /api/v1/auth/csrf/; repeated wrong passwords lock sign-in for a while (429)."""
        authentication.SessionAuthentication().enforce_csrf(request)
        data = SessionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = session_sign_in(request=request._request, **data.validated_data)
        return Response(MeOutput(user).data)

    @extend_schema(
        operation_id="session_destroy",
        responses={
            204: None,
            (403, "application/problem+json"): OpenApiResponse(
                description="CSRF check failed", response=problems(403)[(403, "application/problem+json")]
            ),
        },
        tags=["auth"],
    )
    def delete(self, request: Request) -> Response:
        """Sign out (end the session).

        Ends the Django session of the cookie sent; needs the X-CSRFToken header. Signing out without a session is a
        204 too."""
        authentication.SessionAuthentication().enforce_csrf(request)
        session_sign_out(request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CsrfView(APIView):
    """The CSRF token for session writes (also set as the `csrftoken` cookie): an SPA on another
    origin cannot read that cookie, so it reads the token here."""

    authentication_classes: list[type[authentication.BaseAuthentication]] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(operation_id="csrf_retrieve", responses=CsrfTokenOutput, tags=["auth"])
    def get(self, request: Request) -> Response:
        """Get the CSRF token for session writes.

        The same token is set as the `csrftoken` cookie; an app on another origin cannot read that cookie, so it
        reads the token here and sends it as X-CSRFToken."""
        return Response(
            CsrfTokenOutput({"csrf_token": get_token(request._request)}).data, headers={"Cache-Control": "no-store"}
        )
