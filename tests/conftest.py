"""Shared fixtures: a real Redis for the session, API clients, users and tokens, and the
`manage.py` processes a test starts. Helpers tests import live in tests/helpers.py."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from config import redis_server
from core.redis import redis_connection
from jobs.engine import dispatch
from jobs.services import admission
from tests.helpers import Processes, client_for


@pytest.fixture(scope="session", autouse=True)
def real_redis() -> Iterator[str]:
    """REDIS_URL if set, else a private embedded redis-server for the session; its URL."""
    url = os.environ.get("REDIS_URL")
    process = None
    if not url:
        workdir = Path(tempfile.mkdtemp(prefix="conveyor-test-redis-"))
        socket = workdir / "redis.sock"
        process = redis_server.start(socket, workdir / "data")
        url = f"unix://{socket}?db=0"
    settings.REDIS_URL = url
    settings.RQ_QUEUES = {name: {**cfg, "URL": url} for name, cfg in settings.RQ_QUEUES.items()}
    redis_connection.cache_clear()
    dispatch.queue.cache_clear()
    yield url
    if process is not None:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def static_files() -> None:
    """STATIC_ROOT collected, as `make run` and the image do: pages that link static files
    (the admin, the API docs) render only with the storage's manifest in place."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def redis(real_redis: str):  # type: ignore[no-untyped-def]
    """The real Redis, emptied before and after the test."""
    connection = redis_connection()
    connection.flushdb()
    admission._DEPTHS.clear()  # the queue depths this process read are gone with the data
    yield connection
    connection.flushdb()


@pytest.fixture
def user(django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-password-1")


@pytest.fixture
def other_user(django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user("bob", "bob@example.com", "bob-password-1")


@pytest.fixture
def staff_user(django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user("carol", "carol@example.com", "carol-password-1", is_staff=True)


@pytest.fixture
def api(user) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(user)


@pytest.fixture
def other_api(other_user) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(other_user)


@pytest.fixture
def staff_api(staff_user) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(staff_user)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def processes() -> Iterator[Processes]:
    """Start `manage.py` processes sharing the test's database and Redis; all stopped at the end."""
    started = Processes()
    yield started
    started.stop_all()
