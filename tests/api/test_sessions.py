"""Browser sign-in (session + CSRF) and the password-guessing throttle on every password door."""

import base64

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import SignInLockout

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis")]

SESSION = "/api/v1/auth/session/"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json()


def browser() -> APIClient:
    """A client that, like a browser, must pass Django's CSRF check on session writes."""
    return APIClient(enforce_csrf_checks=True)


def csrf(client: APIClient) -> str:
    response = client.get("/api/v1/auth/csrf/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.json()["csrf_token"]


def sign_in(client: APIClient, username: str, password: str, **extra: str):
    return client.post(
        SESSION, {"username": username, "password": password}, format="json", HTTP_X_CSRFTOKEN=csrf(client), **extra
    )


def basic(username: str, password: str, **extra: str):
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{username}:{password}".encode()).decode())
    return client.post("/api/v1/auth/tokens/", {"name": "t"}, format="json")


def test_sign_in_sets_a_session_that_authenticates_the_api(user):
    client = browser()
    token_before = csrf(client)
    response = sign_in(client, "alice", "alice-password-1")
    assert response.status_code == 200, response.content
    assert response.json() == {"id": user.id, "username": "alice", "is_staff": False}
    assert response.cookies["sessionid"]["httponly"] and response.cookies["sessionid"]["samesite"] == "Lax"
    # The CSRF token is rotated on sign-in: the old one no longer passes a session write.
    token_after = csrf(client)
    assert token_after != token_before
    assert client.get("/api/v1/me/").json()["username"] == "alice"
    problem(client.post("/api/v1/auth/tokens/", {"name": "x"}, format="json"), 403)
    created = client.post("/api/v1/auth/tokens/", {"name": "x"}, format="json", HTTP_X_CSRFTOKEN=token_after)
    assert created.status_code == 201, created.content


def test_sign_in_rotates_the_session_key(user):
    planted = SessionStore()  # session fixation: a key the attacker knows before the sign-in
    planted["seen"] = True
    planted.create()
    client = browser()
    client.cookies["sessionid"] = planted.session_key
    assert sign_in(client, "alice", "alice-password-1").status_code == 200
    assert client.cookies["sessionid"].value != planted.session_key


def test_sign_in_needs_the_csrf_token(user):
    client = browser()
    body = problem(client.post(SESSION, {"username": "alice", "password": "alice-password-1"}, format="json"), 403)
    assert "CSRF" in body["detail"]


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_wrong_credentials_get_one_answer(user, username):
    response = sign_in(browser(), username, "wrong-password")
    body = problem(response, 401)
    assert body["detail"] == "wrong username or password"
    assert response["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [({"username": "alice"}, "/password"), ({"username": "alice", "password": 5}, "/password"), ({}, "/username")],
)
def test_bad_body_is_400_with_a_pointer(user, payload, pointer):
    client = browser()
    body = problem(client.post(SESSION, payload, format="json", HTTP_X_CSRFTOKEN=csrf(client)), 400)
    assert pointer in [e["pointer"] for e in body["errors"]]


def test_sign_out_ends_the_session(user):
    client = browser()
    sign_in(client, "alice", "alice-password-1")
    problem(client.delete(SESSION), 403)  # CSRF applies to sign-out too
    assert client.delete(SESSION, HTTP_X_CSRFTOKEN=csrf(client)).status_code == 204
    problem(client.get("/api/v1/me/"), 401)


# --- throttle ---------------------------------------------------------------------------------


def test_account_is_locked_after_five_failures_even_for_the_right_password(user, settings):
    client = browser()
    for _ in range(4):
        problem(sign_in(client, "alice", "guess"), 401)
    locked = sign_in(client, "alice", "guess")  # the fifth failure starts the lockout
    body = problem(locked, 429)
    assert body["type"] == "urn:conveyor:problem:throttled"
    assert 0 < int(locked["Retry-After"]) <= settings.SIGNIN_LOCKOUT_SECONDS
    problem(sign_in(browser(), "alice", "alice-password-1"), 429)  # no password is checked while locked
    problem(basic("alice", "alice-password-1"), 429)  # nor through another door
    problem(sign_in(browser(), "ALICE", "guess"), 429)  # nor with the name's case changed
    assert SignInLockout.objects.get().scope == "account"


def test_a_correct_password_clears_the_account_counter(user):
    client = browser()
    for _ in range(4):
        problem(sign_in(client, "alice", "guess"), 401)
    assert sign_in(client, "alice", "alice-password-1").status_code == 200
    for _ in range(4):
        problem(sign_in(browser(), "alice", "guess"), 401)


def test_address_is_locked_after_guessing_many_accounts(user, settings):
    settings.SIGNIN_MAX_FAILURES_PER_ADDRESS = 3
    for name in ("a", "b"):
        problem(sign_in(browser(), name, "guess"), 401)
    problem(sign_in(browser(), "c", "guess"), 429)
    problem(sign_in(browser(), "alice", "alice-password-1"), 429)
    # Another address is not affected.
    assert sign_in(browser(), "alice", "alice-password-1", REMOTE_ADDR="10.0.0.9").status_code == 200
    lockout = SignInLockout.objects.get()
    assert (lockout.scope, lockout.client_ip, lockout.username) == ("address", "127.0.0.1", "c")


def test_address_honours_trusted_proxies(user, settings):
    settings.SIGNIN_MAX_FAILURES_PER_ADDRESS = 2
    settings.TRUSTED_PROXY_COUNT = 1
    problem(sign_in(browser(), "a", "guess", HTTP_X_FORWARDED_FOR="203.0.113.7"), 401)
    problem(sign_in(browser(), "b", "guess", HTTP_X_FORWARDED_FOR="203.0.113.7"), 429)
    # Same proxy (REMOTE_ADDR), another client behind it: not locked.
    assert sign_in(browser(), "alice", "alice-password-1", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    assert SignInLockout.objects.get().client_ip == "203.0.113.7"


def test_http_basic_is_throttled_with_retry_after(user):
    for _ in range(4):
        problem(basic("alice", "guess"), 401)
    response = basic("alice", "guess")
    problem(response, 429)
    assert int(response["Retry-After"]) > 0


def test_admin_login_shows_the_lockout(staff_user):
    for _ in range(5):
        response = Client().post("/admin/login/", {"username": "carol", "password": "guess"})
        assert response.status_code == 200
    response = Client().post("/admin/login/?next=/admin/", {"username": "carol", "password": "carol-password-1"})
    assert response.status_code == 200
    assert b"Sign-in is locked: too many failed sign-ins; try again in 15 minutes." in response.content
    assert SignInLockout.objects.get().history.get().history_channel == "admin"


def test_lockout_is_in_the_staff_audit_feed(user, staff_api):
    for _ in range(5):
        sign_in(browser(), "alice", "guess", HTTP_X_REQUEST_ID="guess-req")
    feed = staff_api.get("/api/v1/audit/events/", {"model": "accounts.signinlockout"})
    assert feed.status_code == 200, feed.content
    (entry,) = feed.json()["results"]
    assert entry["action"] == "created" and entry["actor"] is None
    assert entry["via"]["channel"] == "api" and entry["via"]["request_id"] == "guess-req"
    assert entry["reason"] == "sign-in locked: 5 failed passwords for this account"
    assert entry["snapshot"]["username"] == "alice" and entry["snapshot"]["scope"] == "account"
    assert entry["snapshot"]["client_ip"] == "127.0.0.1"
