"""Authentication, tokens and identity through the HTTP API."""

import base64
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiToken
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def test_anonymous_call_gets_401_with_challenge(anon):
    response = anon.get("/api/v1/me/")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_with_a_bearer_token(api, user):
    response = api.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {"id": user.id, "username": "alice", "is_staff": False}


def test_bad_token_is_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer cvy_not-a-real-token")
    assert_problem(anon.get("/api/v1/me/"), 401)


def with_basic_auth(client):  # type: ignore[no-untyped-def]
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"alice:alice-password-1").decode())
    return client


def create_token(client, name: str = "laptop") -> dict:  # type: ignore[no-untyped-def]
    created = with_basic_auth(client).post("/api/v1/auth/tokens/", {"name": name}, format="json")
    assert created.status_code == 201, created.content
    return created.json()  # type: ignore[no-any-return]


def test_a_token_created_with_basic_auth_shows_its_secret_once(anon, user):
    body = create_token(anon)
    assert body["token"].startswith("cvy_") and body["name"] == "laptop"


def test_only_a_token_s_digest_is_stored(anon, user):
    body = create_token(anon)
    stored = ApiToken.objects.get(pk=body["id"])
    assert body["token"] not in (stored.digest, stored.prefix)


def test_the_token_list_shows_no_secret(anon, user):
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {create_token(anon)['token']}")
    listed = anon.get("/api/v1/auth/tokens/").json()
    assert [t["name"] for t in listed["results"]] == ["laptop"]
    assert "token" not in listed["results"][0]


def test_a_revoked_token_is_401(anon, user):
    body = create_token(anon)
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert anon.delete(f"/api/v1/auth/tokens/{body['id']}/").status_code == 204
    assert_problem(anon.get("/api/v1/me/"), 401)


def test_expired_token_is_401(api, user):
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(api.get("/api/v1/me/"), 401)


def test_inactive_user_token_is_401(api, user):
    user.is_active = False
    user.save()
    assert_problem(api.get("/api/v1/me/"), 401)


def test_cannot_revoke_another_users_token(api, other_api, other_user):
    theirs = ApiToken.objects.get(user=other_user)
    assert_problem(api.delete(f"/api/v1/auth/tokens/{theirs.id}/"), 404)
    assert other_api.get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    ("expires_at", "code"),
    [(timezone.now() - timedelta(days=1), "past"), (timezone.now() + timedelta(days=400), "too_far")],
)
def test_token_expiry_is_validated(api, expires_at, code):
    before = ApiToken.objects.count()
    body = assert_problem(api.post("/api/v1/auth/tokens/", {"name": "x", "expires_at": expires_at.isoformat()}), 400)
    assert body["errors"] == [{"pointer": "/expires_at", "detail": body["errors"][0]["detail"], "code": code}]
    assert ApiToken.objects.count() == before


def test_create_token_command_prints_only_the_token(user, capsys):
    call_command("create_token", "alice", "--name", "ci")
    out = capsys.readouterr().out.strip()
    assert out.startswith("cvy_") and "\n" not in out
    assert ApiToken.objects.get(user=user, name="ci")
