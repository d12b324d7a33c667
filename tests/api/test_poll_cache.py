"""The web process's poll cache (api.pollcache): a 304 without the database while the job has not
changed, never a 304 once its change notice arrived, and nothing kept while notices may be lost."""

import asyncio
import time

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db.models import F

from accounts.services import token_create
from api import pollcache
from api.notices import NOTICES_CLIENT_NAME, job_notices
from api.pollcache import PollCache
from config.asgi import application
from core import notices
from core.redis import redis_connection
from jobs.models import Job

LATER = {"task": "demo.sleep", "kwargs": {"seconds": 0}, "delay_seconds": 3600}
PARTS = (1, "scheduled", "alice")
KEY = ("user-1", False)


def live_cache() -> PollCache:
    cache = PollCache()
    cache.set_live(True)
    return cache


def test_an_answer_is_kept_while_live():
    cache = live_cache()
    cache.store("job", KEY, PARTS, cache.begin())
    assert cache.get("job", KEY) == PARTS and cache.get("job", ("user-2", False)) is None


def test_a_notice_drops_the_jobs_answers():
    cache = live_cache()
    cache.store("job", KEY, PARTS, cache.begin())
    cache.drop("job")
    assert cache.get("job", KEY) is None


def test_a_read_overtaken_by_its_jobs_notice_is_not_kept():
    cache = live_cache()
    generation = cache.begin()  # the read starts
    cache.drop("job")  # the job changes meanwhile
    cache.store("job", KEY, PARTS, generation)
    assert cache.get("job", KEY) is None


def test_a_notice_of_another_job_does_not_stop_a_read_being_kept():
    cache = live_cache()
    generation = cache.begin()
    cache.drop("other")
    cache.store("job", KEY, PARTS, generation)
    assert cache.get("job", KEY) == PARTS


def test_a_read_older_than_the_notices_remembered_is_not_kept(monkeypatch):
    monkeypatch.setattr(pollcache, "MAX_DROPS", 2)
    cache = live_cache()
    generation = cache.begin()
    for job in ("job", "a", "b"):  # the notice of "job" is forgotten
        cache.drop(job)
    cache.store("job", KEY, PARTS, generation)
    assert cache.get("job", KEY) is None


def test_nothing_is_kept_or_served_unless_live():
    cache = PollCache()
    cache.store("job", KEY, PARTS, cache.begin())
    assert cache.get("job", KEY) is None
    cache.set_live(True)
    cache.store("job", KEY, PARTS, cache.begin())
    cache.set_live(False)
    assert cache.get("job", KEY) is None


def test_a_read_begun_before_the_subscription_broke_is_not_kept():
    cache = live_cache()
    generation = cache.begin()
    cache.set_live(False)
    cache.set_live(True)
    cache.store("job", KEY, PARTS, generation)
    assert cache.get("job", KEY) is None


def test_an_answer_expires(monkeypatch):
    cache = live_cache()
    cache.store("job", KEY, PARTS, cache.begin())
    now = time.monotonic()
    monkeypatch.setattr(pollcache.time, "monotonic", lambda: now + pollcache.MAX_AGE + 1)
    assert cache.get("job", KEY) is None


def test_the_least_recently_polled_job_goes_first(monkeypatch):
    monkeypatch.setattr(pollcache, "MAX_JOBS", 2)
    cache = live_cache()
    for job in ("a", "b"):
        cache.store(job, KEY, PARTS, cache.begin())
    cache.get("a", KEY)
    cache.store("c", KEY, PARTS, cache.begin())
    assert [cache.get(job, KEY) is not None for job in ("a", "b", "c")] == [True, False, True]


# Through the web entry point (config.asgi), on a real Redis: the listener of the event loop keeps
# the process's cache.


def change_silently(job_id: str) -> None:
    """Change the job's row as if its notice were lost."""
    Job.objects.filter(pk=job_id).update(state="canceled", version=F("version") + 1)


async def until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def polls(job_id: str, bearer: dict[str, str], between) -> list[int]:  # type: ignore[no-untyped-def]
    """Statuses of: a poll with the job's ETag once notices flow, and one after `between(job_id)`."""

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            path = f"/api/v1/jobs/{job_id}/"
            etag = (await client.get(path, headers=bearer)).headers["ETag"]
            await until(job_notices().subscribed.is_set)
            first = await client.get(path, headers={**bearer, "If-None-Match": etag})
            await between(job_id)
            second = await client.get(path, headers={**bearer, "If-None-Match": etag})
            return [first.status_code, second.status_code]

    return asyncio.run(run())


@pytest.fixture
def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, secret = token_create(user=user, name="poll-cache")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def job_id(api) -> str:
    return str(api.post("/api/v1/jobs/", LATER, format="json").json()["id"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_an_unchanged_job_is_answered_from_the_cache(job_id, bearer):
    """Proof that the cache answers: a change whose notice is lost is not seen (until MAX_AGE)."""

    async def silently(job: str) -> None:
        await sync_to_async(change_silently)(job)

    assert polls(job_id, bearer, silently) == [304, 304]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_a_change_is_seen_once_its_notice_arrives(job_id, bearer):
    async def announced(job: str) -> None:
        await sync_to_async(change_silently)(job)
        notices.notify([job])
        await asyncio.sleep(0.5)  # the notice reaches the listener in milliseconds

    assert polls(job_id, bearer, announced) == [304, 200]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_a_broken_subscription_empties_the_cache(job_id, bearer):
    async def silently_then_break(job: str) -> None:
        await sync_to_async(change_silently)(job)
        connection = redis_connection()
        (listener,) = [c for c in connection.client_list(_type="pubsub") if c["name"] == NOTICES_CLIENT_NAME]
        connection.client_kill_filter(_id=listener["id"])
        await until(lambda: not job_notices().subscribed.is_set())

    assert polls(job_id, bearer, silently_then_break) == [304, 200]
