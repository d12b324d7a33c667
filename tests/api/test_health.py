"""Health and readiness probes against the real database and Redis."""

import pytest

from core.redis import redis_connection

pytestmark = pytest.mark.django_db


def test_healthz_needs_no_auth(anon):
    assert anon.get("/healthz").status_code == 200


def test_readyz_ok_with_real_redis(anon, redis):
    response = anon.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "migrations": "ok"}


def test_readyz_names_redis_when_it_is_unreachable(anon, settings, tmp_path):
    settings.REDIS_URL = f"unix://{tmp_path}/nothing-here.sock"
    redis_connection.cache_clear()
    try:
        response = anon.get("/readyz")
    finally:
        redis_connection.cache_clear()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "failing", "migrations": "ok"}
