"""The job event stream as a browser's EventSource meets it: `Accept: text/event-stream`, a token
or a session cookie, 401/404 before any negotiation, Last-Event-ID, and 204 once a done job's
end has been seen. (A stream followed live, with a worker process, is in
tests/integration/test_operations.py; one in a real browser in tests/browser.)"""

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from accounts.services import token_create
from tests.helpers import assert_problem, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

EVENT_STREAM = "text/event-stream"


def get(path: str, *, user=None, session_user=None, **headers: str):  # type: ignore[no-untyped-def]
    """GET `path` through the async stack, as a bearer-token `user`, a signed-in `session_user`
    or anonymously; the response with its stream read."""

    if user is not None:
        headers["Authorization"] = f"Bearer {token_create(user=user, name='sse')[1]}"

    async def fetch():  # type: ignore[no-untyped-def]
        client = AsyncClient()
        if session_user is not None:
            await client.aforce_login(session_user)
        response = await client.get(path, headers=headers)
        if response.streaming:
            response.body = b"".join([chunk async for chunk in response.streaming_content]).decode()
        return response

    return async_to_sync(fetch)()


def events(text: str) -> list[tuple[str, int, dict]]:
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            found.append((fields["event"], int(fields["id"]), json.loads(fields["data"])))
    return found


@pytest.fixture
def done_job(api) -> dict:  # type: ignore[no-untyped-def]
    job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json").json()
    run_worker()
    return api.get(job["url"]).json()


def test_anonymous_is_401_before_any_negotiation(done_job):
    response = get(f"/api/v1/jobs/{done_job['id']}/events/", Accept=EVENT_STREAM)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("accept", [EVENT_STREAM, "application/json"])
def test_another_users_job_is_404_whatever_the_accept(done_job, other_user, accept):
    assert_problem(get(f"/api/v1/jobs/{done_job['id']}/events/", user=other_user, Accept=accept), 404)


@pytest.mark.parametrize("accept", [EVENT_STREAM, "*/*", "text/*", "text/html,*/*;q=0.8", None])
def test_the_owner_gets_the_stream_for_what_browsers_send(done_job, user, accept):
    headers = {} if accept is None else {"Accept": accept}
    response = get(f"/api/v1/jobs/{done_job['id']}/events/", user=user, **headers)
    assert response.status_code == 200 and response["Content-Type"] == EVENT_STREAM
    assert response["Cache-Control"] == "no-cache"
    ((name, event_id, data),) = events(response.body)  # the job is done: its state, then the end
    assert (name, event_id, data["state"]) == ("state", done_job["version"], "succeeded")


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream;q=0"])
def test_an_accept_without_the_event_stream_is_406_after_authentication(done_job, user, accept):
    assert_problem(get(f"/api/v1/jobs/{done_job['id']}/events/", user=user, Accept=accept), 406)


def test_a_session_cookie_is_enough(done_job, user):
    """An EventSource cannot send Authorization: a browser signed in to the site sends its cookie."""
    response = get(f"/api/v1/jobs/{done_job['id']}/events/", session_user=user, Accept=EVENT_STREAM)
    assert response.status_code == 200 and [e[0] for e in events(response.body)] == ["state"]


def test_last_event_id_resumes_and_a_done_jobs_reconnect_is_204(done_job, user):
    path = f"/api/v1/jobs/{done_job['id']}/events/"
    earlier = get(path, user=user, Accept=EVENT_STREAM, **{"Last-Event-ID": str(done_job["version"] - 1)})
    assert [(e[0], e[1]) for e in events(earlier.body)] == [("state", done_job["version"])]
    # What an EventSource does after the stream ended: reconnect with the last id it saw.
    again = get(path, user=user, Accept=EVENT_STREAM, **{"Last-Event-ID": str(done_job["version"])})
    assert again.status_code == 204 and again.content == b""


@pytest.mark.parametrize("last_event_id", ["", "abc", "-1", "1.5", "²"])
def test_a_last_event_id_that_is_not_one_of_ours_is_400(done_job, user, last_event_id):
    """Our ids are the job's versions; an empty or foreign one is a client's mistake, not 'from the start'."""
    path = f"/api/v1/jobs/{done_job['id']}/events/"
    response = get(path, user=user, Accept=EVENT_STREAM, **{"Last-Event-ID": last_event_id})
    assert_problem(response, 400)
    assert "Last-Event-ID" in response.json()["detail"]
