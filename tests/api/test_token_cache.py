"""The in-process token cache (accounts.tokencache): it serves, and a notice empties it."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import tokencache
from accounts.models import ApiToken
from core.redis import redis_connection
from tests.helpers import assert_problem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]


def cached(api) -> ApiToken:
    """Authenticate until the token is served from the cache (the listener subscribes first)."""
    deadline = time.monotonic() + 5
    token = ApiToken.objects.get()
    while time.monotonic() < deadline:
        assert api.get("/api/v1/me/").status_code == 200
        if tokencache.get(token.digest) is not None:
            return token
        time.sleep(0.05)
    raise AssertionError("the token was never cached")


def expire_behind_its_back(token: ApiToken) -> None:
    """Expire the token with a queryset UPDATE: no signal, so no notice."""
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_a_cached_token_is_served_until_a_notice_from_another_process(api):
    token = cached(api)
    expire_behind_its_back(token)
    assert api.get("/api/v1/me/").status_code == 200  # from the cache: no query saw the change

    redis_connection().publish(tokencache.CHANNEL, token.digest)  # what another process sends
    deadline = time.monotonic() + 5
    while tokencache.get(token.digest) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert_problem(api.get("/api/v1/me/"), 401)


def test_a_revoked_token_is_refused_at_once(api):
    token = cached(api)
    assert api.delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 204
    assert_problem(api.get("/api/v1/me/"), 401)


def test_a_user_change_is_seen_at_once(api, user):
    cached(api)
    user.is_staff = True
    user.save()
    assert api.get("/api/v1/me/").json()["is_staff"] is True
    user.is_active = False
    user.save()
    assert_problem(api.get("/api/v1/me/"), 401)


def test_a_cached_token_expires_with_the_cache(api, settings):
    token = cached(api)
    expire_behind_its_back(token)
    settings.TOKEN_CACHE_SECONDS = 0.01
    time.sleep(0.02)
    assert_problem(api.get("/api/v1/me/"), 401)


def test_the_listener_outlives_an_unexpected_error(api, redis, monkeypatch):
    """Whatever breaks the subscription (here not a RedisError), caching resumes once it is back."""
    cached(api)

    class Broken:
        def pubsub(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("not a Redis error")

    with monkeypatch.context() as patch:
        patch.setattr(tokencache, "redis_connection", Broken)
        redis.client_kill_filter(_type="pubsub")  # the listener reconnects, and meets the RuntimeError
        deadline = time.monotonic() + 5
        while tokencache._subscribed.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not tokencache._subscribed.is_set()
        time.sleep(tokencache.RETRY_SECONDS * 2.5)
    assert cached(api)
