"""Shared fixtures: a real Redis for the session, API clients, users and tokens."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.services import token_create
from config import redis_server
from core.redis import redis_connection
from jobs import dispatch


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


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    """An API client that sends a fresh bearer token of `user`."""
    _, secret = token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


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


def run_worker(*, dispatch_due: bool = True) -> None:
    """Run a real RQ worker (in-process, burst) over every queue until they are empty.

    First runs the dispatch pass, as the scheduler process would, so due and retried jobs get
    pushed. Needs a `transactional_db` test: the worker commits like production does.
    """
    from jobs.dispatch import dispatch_due as pass_due
    from jobs.dispatch import queue, redis_connection
    from jobs.worker import SimpleWorker

    if dispatch_due:
        pass_due()
    queues = [queue(name) for name in settings.QUEUE_NAMES]
    SimpleWorker(queues, connection=redis_connection()).work(burst=True, logging_level="WARNING")


def subprocess_env() -> dict[str, str]:
    """Environment for a worker/scheduler process that shares this test's database and Redis."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "LOG_LEVEL": "WARNING"}
