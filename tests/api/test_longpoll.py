"""`?wait=N` long-polls, driven through the web entry point (config.asgi) on a real Redis."""

import asyncio
import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
from django.db.models import F

from accounts.services import token_create
from api.longpoll import job_in, long_poll, wait_seconds
from api.notices import NOTICES_CLIENT_NAME, job_notices
from config.asgi import application, plain
from core import notices
from core.redis import redis_connection
from jobs.models import Job
from jobs.services.jobs import job_cancel
from tests.helpers import assert_problem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

LATER = {"task": "demo.sleep", "kwargs": {"seconds": 0}, "delay_seconds": 3600}


@pytest.fixture
def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, secret = token_create(user=user, name="long-poll")
    return {"Authorization": f"Bearer {secret}"}


def asgi_get(path: str, **kwargs: object) -> tuple[httpx.Response, float]:
    """GET `path` from config.asgi.application in a fresh event loop; the response and its seconds."""

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path, **kwargs)  # type: ignore[arg-type]

    started = time.monotonic()
    response = asyncio.run(get())
    return response, time.monotonic() - started


def later(seconds: float, action) -> None:  # type: ignore[no-untyped-def]
    threading.Timer(seconds, action).start()


def test_the_web_entry_point_imports_on_its_own():
    """As uvicorn loads it: Django is not set up yet when config.asgi is imported."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", "import config.asgi"], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]


@pytest.mark.parametrize(
    ("query", "seconds"),
    [
        (b"wait=5", 5),
        (b"w%61it=30", 30),
        (b"wait=1&wait=7", 7),
        (b"wait=", 0),
        (b"wait=31", 0),
        (b"wait=-1", 0),
        (b"wait=%D9%A3", 0),
        (b"awaits=5", 0),
        (b"", 0),
    ],
)
def test_wait_seconds_reads_the_query_as_the_view_validates_it(query: bytes, seconds: int) -> None:
    assert wait_seconds({"query_string": query}) == seconds


def test_wait_returns_as_soon_as_the_job_changes(api, user, bearer):
    job_id = api.post("/api/v1/jobs/", LATER, format="json").json()["id"]
    later(0.5, lambda: job_cancel(job=Job.objects.get(pk=job_id), actor=user))
    response, seconds = asgi_get(f"/api/v1/jobs/{job_id}/?wait=10", headers=bearer)
    assert response.status_code == 200 and response.json()["state"] == "canceled"
    assert 0.4 < seconds < 5


def test_wait_times_out_with_the_same_representation(api, bearer):
    job_id = api.post("/api/v1/jobs/", LATER, format="json").json()["id"]
    etag = api.get(f"/api/v1/jobs/{job_id}/")["ETag"]
    response, seconds = asgi_get(f"/api/v1/jobs/{job_id}/?wait=1", headers={**bearer, "If-None-Match": etag})
    assert response.status_code == 304 and response.headers["ETag"] == etag
    assert 0.9 < seconds < 3


def test_a_notice_that_changes_nothing_the_client_sees_keeps_waiting(api, bearer):
    job_id = api.post("/api/v1/jobs/", LATER, format="json").json()["id"]
    later(0.3, lambda: redis_connection().publish(f"{notices.NOTICE_CHANNEL}{job_id}", "changed"))
    response, seconds = asgi_get(f"/api/v1/jobs/{job_id}/?wait=2", headers=bearer)
    assert response.status_code == 200 and response.json()["state"] == "scheduled"
    assert seconds > 1.9


def test_one_request_id_for_the_whole_long_poll(api, user, bearer):
    job_id = api.post("/api/v1/jobs/", LATER, format="json").json()["id"]
    later(0.3, lambda: job_cancel(job=Job.objects.get(pk=job_id), actor=user))
    response, _ = asgi_get(f"/api/v1/jobs/{job_id}/?wait=5", headers={**bearer, "X-Request-ID": "poll-1"})
    assert response.json()["state"] == "canceled" and response.headers["X-Request-ID"] == "poll-1"


@pytest.mark.parametrize("wait", ["31", "-1", "x"])
def test_wait_out_of_range_is_400_at_once(api, bearer, wait):
    job_id = api.post("/api/v1/jobs/", LATER, format="json").json()["id"]
    response, seconds = asgi_get(f"/api/v1/jobs/{job_id}/?wait={wait}", headers=bearer)
    body = assert_problem(response, 400)
    assert body["errors"][0]["pointer"] == "/wait" and seconds < 2


def test_another_users_job_is_404_at_once(other_api, bearer):
    job_id = other_api.post("/api/v1/jobs/", LATER, format="json").json()["id"]
    response, seconds = asgi_get(f"/api/v1/jobs/{job_id}/?wait=10", headers=bearer)
    assert_problem(response, 404)
    assert seconds < 2
    assert_problem(asgi_get(f"/api/v1/jobs/{job_id}/?wait=10")[0], 401)


def test_a_client_that_leaves_ends_its_wait(api, bearer):
    job_id = api.post("/api/v1/jobs/", LATER, format="json").json()["id"]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": f"/api/v1/jobs/{job_id}/",
        "raw_path": b"",
        "root_path": "",
        "query_string": b"wait=30",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"testserver"), (b"authorization", bearer["Authorization"].encode())],
    }
    sent: list[dict] = []

    async def receive() -> dict:
        if not hasattr(receive, "called"):
            receive.called = True  # type: ignore[attr-defined]
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(0.5)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    async def serve() -> tuple[int, int]:
        await long_poll(plain, scope, receive, send, job_id=job_id, wait=30)
        return len(job_notices()._waiters), len(sent)

    started = time.monotonic()
    waiters, messages = asyncio.run(serve())
    assert time.monotonic() - started < 5 and messages == 0 and waiters == 0


def test_many_waiting_requests_share_one_subscription(api, user, bearer):
    job_ids = [api.post("/api/v1/jobs/", LATER, format="json").json()["id"] for _ in range(5)]
    connection = redis_connection()

    def listeners() -> int:
        return sum(1 for c in connection.client_list(_type="pubsub") if c["name"] == NOTICES_CLIENT_NAME)

    async def wait_on_all() -> tuple[list[int], int]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            polls = [client.get(f"/api/v1/jobs/{job_id}/?wait=2", headers=bearer) for job_id in job_ids]
            waiting = asyncio.gather(*polls)
            await asyncio.sleep(1)
            during = listeners()
            return [r.status_code for r in await waiting], during

    statuses, during = asyncio.run(wait_on_all())
    assert statuses == [200] * 5 and during == 1


def test_waiters_look_again_when_the_subscription_breaks(api, user, bearer):
    """A notice lost while the subscription is down must not leave a waiter on stale state."""
    job_id = api.post("/api/v1/jobs/", LATER, format="json").json()["id"]
    connection = redis_connection()

    def cancel_silently() -> None:
        # The change lands without a notice (as if published while disconnected), then the
        # subscription breaks; the waiter must still see the change on reconnect.
        Job.objects.filter(pk=job_id).update(state="canceled", version=F("version") + 1)
        (listener,) = [c for c in connection.client_list(_type="pubsub") if c["name"] == NOTICES_CLIENT_NAME]
        connection.client_kill_filter(_id=listener["id"])

    later(0.5, cancel_silently)
    response, seconds = asgi_get(f"/api/v1/jobs/{job_id}/?wait=10", headers=bearer)
    assert response.status_code == 200 and response.json()["state"] == "canceled"
    assert seconds < 5


def test_the_long_poll_and_the_event_stream_find_their_job_as_the_urlconf_does():
    job_id = "0b6c2e0e-8c47-4c86-9d38-2b1d4a35c0de"
    assert job_in(f"/api/v1/jobs/{job_id}/", "job-detail") == job_id
    assert job_in(f"/api/v1/jobs/{job_id}/events/", "job-events") == job_id
    assert job_in(f"/api/v1/jobs/{job_id}/events/", "job-detail") is None
    assert job_in("/api/v1/jobs/not-a-uuid/", "job-detail") is None  # Django answers it: 404
    assert job_in(f"/api/v1/schedules/{job_id}/", "job-detail") is None
