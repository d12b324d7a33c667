"""The submit's short way (api.fastsubmit) answers as the usual way does, and only when it may."""

import io
import json
import re
import sys
from typing import Any

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, close_old_connections
from rest_framework.throttling import UserRateThrottle

from accounts.services import token_create
from api import fastsubmit
from api.views import jobs as job_views
from jobs.models import Job

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis", "connections_kept")]

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
INSTANTS = ("created_at", "enqueued_at", "run_at")


def environ(token: str, body: Any, **headers: str) -> dict[str, Any]:
    data = json.dumps(body).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/jobs/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }


def served(handler: Any, env: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """Status, headers and body (its ids, instants and request id stood in) of one request."""
    started: list[Any] = []
    response = handler(env, lambda status, headers, *rest: started.append((status, headers)))
    raw = b"".join(response)
    response.close()
    status, headers = started[0]
    headers = dict(headers)
    request_id = headers.pop("X-Request-ID")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    if "Location" in headers:
        headers["Location"] = UUID.sub("<id>", headers["Location"])
    body = json.loads(raw)
    assert headers.pop("Content-Length") == str(len(raw))
    body = {key: "<instant>" if key in INSTANTS and value else value for key, value in body.items()}
    if body.get("request_id"):
        assert body["request_id"] == request_id
        body["request_id"] = "<request>"
    return int(status.split()[0]), headers, json.loads(UUID.sub("<id>", json.dumps(body)))


@pytest.fixture
def connections_kept():  # type: ignore[no-untyped-def]
    """The test's database connection left open by the handlers, as Django's test client does."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def answered(monkeypatch):  # type: ignore[no-untyped-def]
    """The answers the short way gave (None: it left the request to the usual way)."""
    given: list[Any] = []
    answer = fastsubmit.answer

    def spied(request):  # type: ignore[no-untyped-def]
        given.append(answer(request))
        return given[-1]

    monkeypatch.setattr(fastsubmit, "answer", spied)
    return given


@pytest.fixture
def token(user) -> str:  # type: ignore[no-untyped-def]
    return token_create(user=user, name="fast")[1]


def both_ways(env: dict[str, Any]) -> tuple[Any, Any]:
    again = {**env, "wsgi.input": io.BytesIO(env["wsgi.input"].getvalue())}
    return served(fastsubmit.Handler(), env), served(WSGIHandler(), again)


@pytest.mark.parametrize(
    "body",
    [
        {"task": "demo.noop"},
        {"task": "demo.sleep", "kwargs": {"seconds": 0}, "queue": "high", "labels": {"team": "a"}},
        {"task": "demo.noop", "kwargs": {"unexpected": 1}},  # the task's schema refuses it: 400
        {"task": "demo.noop", "depends_on": ["00000000-0000-0000-0000-000000000000"]},  # no such job
    ],
)
def test_the_short_way_answers_a_submit_as_the_view_does(token, user, answered, body):
    fast, usual = both_ways(environ(token, body))
    assert answered[0] is not None  # the short way answered
    assert fast == usual
    assert Job.objects.filter(submitted_by=user).count() == (2 if fast[0] == 202 else 0)


def test_a_job_submitted_the_short_way_has_the_same_audited_history(token, user, answered):
    env = environ(token, {"task": "demo.noop"}, **{"X-Request-ID": "req-fast"})
    fastsubmit.Handler()(env, lambda *args: None).close()
    assert answered[0] is not None
    record = Job.objects.get(submitted_by=user).history.get()
    assert (record.history_user, record.history_request_id, record.history_channel) == (user, "req-fast", "api")
    assert record.history_client_ip == "127.0.0.1"


def test_a_refusal_of_back_pressure_and_a_database_outage_are_answered_as_the_view_does(
    token, answered, settings, monkeypatch
):
    WSGIHandler()(environ(token, {"task": "demo.noop"}), lambda *args: None).close()  # one job waits
    settings.MAX_WAITING_JOBS_PER_USER = 1
    fast, usual = both_ways(environ(token, {"task": "demo.noop"}))
    assert answered[0] is not None and fast == usual and fast[0] == 429 and "Retry-After" in fast[1]

    def down(**kwargs: Any) -> None:
        raise OperationalError("the database is down")

    settings.MAX_WAITING_JOBS_PER_USER = 100
    monkeypatch.setattr(fastsubmit, "job_submit", down)
    monkeypatch.setattr(job_views, "job_submit", down)
    fast, usual = both_ways(environ(token, {"task": "demo.noop"}))
    assert answered[1] is not None and fast == usual and fast[0] == 503


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"task": 5}, {}),  # the input serializer refuses it
        ({"task": "demo.noop"}, {"Idempotency-Key": "k1"}),
        ({"task": "demo.noop"}, {"Origin": "http://elsewhere.example"}),
        ({"task": "demo.noop"}, {"Cookie": "sessionid=x"}),
        ({"task": "demo.noop"}, {"Accept": "text/html"}),
    ],
)
def test_anything_but_a_plain_valid_submit_goes_the_usual_way(token, answered, body, headers):
    fast, usual = both_ways(environ(token, body, **headers))
    assert answered in ([], [None])  # not asked, or it declined before changing anything
    assert fast[0] == usual[0]


def test_a_bad_token_goes_the_usual_way(answered):
    fast, usual = both_ways(environ("cvy_not-a-token", {"task": "demo.noop"}))
    assert answered == [None] and fast == usual and fast[0] == 401


def test_a_view_given_a_throttle_keeps_every_submit_to_itself(token, answered, monkeypatch):
    class Throttled(UserRateThrottle):
        rate = "1/minute"

    monkeypatch.setattr(job_views.JobViewSet, "throttle_classes", [Throttled])
    codes = [served(fastsubmit.Handler(), environ(token, {"task": "demo.noop"}))[0] for _ in range(2)]
    assert answered == [] and codes == [202, 429]
