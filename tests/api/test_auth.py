"""Authentication, tokens and identity through the HTTP API."""

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


def test_token_lifecycle_basic_create_list_revoke(anon, user):
    anon.credentials(HTTP_AUTHORIZATION="Basic " + __import__("base64").b64encode(b"alice:alice-password-1").decode())
    created = anon.post("/api/v1/auth/tokens/", {"name": "laptop"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["token"]
    assert secret.startswith("cvy_") and body["name"] == "laptop"
    # Only the digest is stored.
    stored = ApiToken.objects.get(pk=body["id"])
    assert secret not in (stored.digest, stored.prefix)

    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    listed = anon.get("/api/v1/auth/tokens/").json()
    assert [t["name"] for t in listed["results"]] == ["laptop"]
    assert "token" not in listed["results"][0]

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
