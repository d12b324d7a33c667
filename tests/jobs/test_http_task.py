"""The http.request task: submitted through the API, run by a real worker, against a local receiver."""

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import http_task_targets
from jobs.models import Job
from jobs.registry import get_task
from jobs.tasks import http as http_task
from tests.helpers import run_worker

SECRET = "whsec-test-0123456789abcdef0123456789abcdef"
TARGET_KEY = "target-api-key-4c6f9b1e2d"  # a credential the target carries in its configured headers


class _ReceiverServer(ThreadingHTTPServer):
    received: list[dict]
    stop: threading.Event


class _Receiver(BaseHTTPRequestHandler):
    """Records every request; the path after /hooks picks the answer."""

    server: _ReceiverServer

    def _handle(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        server.received.append({"method": self.command, "path": self.path, "headers": self.headers, "body": body})
        route = self.path.removeprefix("/hooks").split("?")[0]
        if route == "/slow":
            server.stop.wait(3)
        if route == "/flaky":
            failing = sum(r["path"].startswith("/hooks/flaky") for r in server.received) == 1
            route = "/unavailable" if failing else "/ok"
        answers = {
            "/ok": (200, "application/json", json.dumps({"received": json.loads(body or b"null")}).encode()),
            "/echo-headers": (200, "application/json", json.dumps(dict(self.headers)).encode()),
            "/text": (200, "text/plain; charset=utf-8", "héllo".encode()),
            "/big": (200, "text/plain", b"a" * 100_000),
            "/big-json": (200, "application/json", json.dumps(["x" * 100] * 1000).encode()),
            "/unavailable": (503, "text/plain", b"try later"),
            "/throttled": (429, "text/plain", b"slow down"),
            "/bad": (400, "application/json", b'{"error": "nope"}'),
            "/redirect-away": (302, "text/plain", b""),
            "/redirect-here": (302, "text/plain", b""),
            "/slow": (200, "text/plain", b"late"),
        }
        status, content_type, payload = answers.get(route, (404, "text/plain", b"no such route"))
        self.send_response(status)
        if route == "/redirect-away":
            self.send_header("Location", "http://example.org/hooks/ok")
        if route == "/redirect-here":
            self.send_header("Location", "/hooks/ok")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (timeout, body cap), as it should
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver(settings):
    """A receiver on 127.0.0.1 (private addresses allowed) configured as target `receiver`."""
    server = _ReceiverServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    server.stop = threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    settings.HTTP_TASK_TARGETS = {
        "receiver": {"base_url": f"http://127.0.0.1:{port}/hooks", "secret": SECRET, "headers": {"X-Key": TARGET_KEY}},
        "by-name": {"base_url": f"http://localhost:{port}/hooks", "secret": SECRET, "headers": {}},
    }
    settings.HTTP_TASK_ALLOW_PRIVATE = True
    settings.HTTP_TASK_TIMEOUT_SECONDS = 5
    settings.HTTP_TASK_MAX_RESPONSE_BYTES = 4096
    yield server
    server.stop.set()
    server.shutdown()
    server.server_close()


def submit(api, **kwargs):
    body = {"task": "http.request", "kwargs": kwargs, "max_retries": 0}
    return api.post("/api/v1/jobs/", body, format="json")


def run(api, **kwargs) -> dict:
    """Submit through the API, run the worker once, return the job as the API shows it."""
    response = submit(api, **kwargs)
    assert response.status_code == 202, response.content
    run_worker()
    return api.get(f"/api/v1/jobs/{response.json()['id']}/").json()


# --- through the API, with a real worker ---------------------------------------------------------


def put_ok(api) -> dict:
    """A PUT with a query, a header and a JSON body to the receiver's /ok, run by the worker."""
    return run(api, target="receiver", path="/ok?x=1", method="PUT", headers={"X-Trace": "abc"}, body={"n": 1})


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_the_answer_is_recorded_as_the_job_s_result(api, receiver):
    job = put_ok(api)
    assert job["state"] == "succeeded", job["error"]
    result = job["result"]
    assert {k: result[k] for k in ("target", "method", "path", "status", "body", "body_format", "body_truncated")} == {
        "target": "receiver",
        "method": "PUT",
        "path": "/ok?x=1",
        "status": 200,
        "body": {"received": {"n": 1}},
        "body_format": "json",
        "body_truncated": False,
    }
    assert isinstance(result["elapsed_ms"], int) and 0 <= result["elapsed_ms"] < 5000


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_the_request_carries_the_job_s_id_and_the_target_s_headers(api, receiver):
    job = put_ok(api)
    (seen,) = receiver.received
    assert (seen["method"], seen["path"], seen["body"]) == ("PUT", "/hooks/ok?x=1", b'{"n":1}')
    headers = seen["headers"]
    assert headers["Conveyor-Job-Id"] == headers["Idempotency-Key"] == job["id"]
    assert (headers["X-Trace"], headers["X-Key"], headers["Content-Type"]) == ("abc", TARGET_KEY, "application/json")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_the_signature_verifies_over_the_raw_body(api, receiver):
    put_ok(api)
    (seen,) = receiver.received
    assert http_task.verify_signature(SECRET, seen["headers"]["Conveyor-Signature"], seen["body"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_the_signature_refuses_another_secret_body_or_time(api, receiver):
    put_ok(api)
    (seen,) = receiver.received
    signature = seen["headers"]["Conveyor-Signature"]
    assert not http_task.verify_signature(SECRET + "x", signature, seen["body"])
    assert not http_task.verify_signature(SECRET, signature, b'{"n":2}')
    sent_at = int(signature.split(",")[0].removeprefix("t="))
    assert not http_task.verify_signature(SECRET, signature, seen["body"], now=sent_at + 301)
    assert not http_task.verify_signature(SECRET, f"t={sent_at + 1}," + signature.split(",")[1], seen["body"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_a_5xx_is_retried_with_the_same_idempotency_key(api, receiver):
    response = api.post(
        "/api/v1/jobs/",
        {
            "task": "http.request",
            "kwargs": {"target": "receiver", "path": "/flaky", "body": {}},
            "max_retries": 1,
            "retry_intervals": [0],
        },
        format="json",
    )
    job_id = response.json()["id"]
    run_worker()
    job = api.get(f"/api/v1/jobs/{job_id}/").json()
    assert job["state"] == "scheduled" and job["error"]["type"] == "HttpTaskServerError"
    assert "answered 503: try later" in job["error"]["message"]
    run_worker()
    job = api.get(f"/api/v1/jobs/{job_id}/").json()
    assert (job["state"], job["attempt"], job["result"]["status"]) == ("succeeded", 2, 200)
    assert [r["headers"]["Idempotency-Key"] for r in receiver.received] == [job_id, job_id]
    assert all(
        http_task.verify_signature(SECRET, r["headers"]["Conveyor-Signature"], r["body"]) for r in receiver.received
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
@pytest.mark.parametrize(
    ("path", "state", "error_type", "message"),
    [
        ("/unavailable", "scheduled", "HttpTaskServerError", "answered 503"),
        ("/throttled", "scheduled", "HttpTaskServerError", "answered 429"),
        ("/bad", "failed", "HttpTaskRejected", 'answered 400: {"error": "nope"}'),
        ("/redirect-away", "failed", "HttpTaskRejected", "answered 302: redirects are not followed"),
        ("/redirect-here", "failed", "HttpTaskRejected", "answered 302: redirects are not followed"),
    ],
)
def test_which_answers_fail_the_job_and_which_are_retried(api, receiver, path, state, error_type, message):
    response = api.post(
        "/api/v1/jobs/",
        {
            "task": "http.request",
            "kwargs": {"target": "receiver", "path": path},
            "max_retries": 2,
            "retry_intervals": [60],
        },
        format="json",
    )
    run_worker()
    job = api.get(f"/api/v1/jobs/{response.json()['id']}/").json()
    assert (job["state"], job["error"]["type"]) == (state, error_type)
    assert message in job["error"]["message"]
    assert [r["path"] for r in receiver.received] == [f"/hooks{path}"]  # a redirect is never followed


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
@pytest.mark.parametrize("target", ["receiver", "by-name"])
def test_loopback_is_refused_after_resolution_unless_allowed(api, receiver, settings, target):
    settings.HTTP_TASK_ALLOW_PRIVATE = False
    job = run(api, target=target, path="/ok", body={})
    assert (job["state"], job["error"]["type"]) == ("failed", "HttpTaskRefused")
    assert "which is not a public address" in job["error"]["message"]
    assert receiver.received == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_the_secrets_appear_nowhere(api, staff_api, receiver, settings):
    """Neither the signing secret nor a target's configured header, in rows, results, errors, logs, history."""
    ids = [
        submit(api, target="receiver", path=path, body={"n": 1}).json()["id"]
        for path in ("/ok", "/echo-headers", "/bad", "/unavailable", "/redirect-away")
    ]
    run_worker()
    base_url = settings.HTTP_TASK_TARGETS["receiver"]["base_url"]
    echoed = Job.objects.get(pk=ids[1]).result["body"]
    assert echoed["X-Key"] == "***" and "Conveyor-Signature" in echoed  # the target echoed its key back
    for job_id in ids:
        job = Job.objects.get(pk=job_id)
        row = json.dumps([job.args, job.kwargs, job.result, job.error, job.labels])
        seen = [
            row,
            staff_api.get(f"/api/v1/jobs/{job_id}/").content.decode(),
            staff_api.get(f"/api/v1/jobs/{job_id}/logs/").content.decode(),
            staff_api.get(f"/api/v1/jobs/{job_id}/history/").content.decode(),
            staff_api.get("/api/v1/audit/events/", {"object_id": job_id}).content.decode(),
        ]
        assert "http.response" in seen[2] or "http.request" in seen[2]  # the logs are there to look at
        for text in seen:
            assert SECRET not in text and TARGET_KEY not in text
            assert base_url not in text  # nor the target's base URL (a webhook URL may carry a key)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
@pytest.mark.parametrize(
    ("kwargs", "pointer"),
    [
        ({"headers": {"Authorization": "Bearer x"}}, "/kwargs/headers"),
        ({"headers": {"cookie": "a=b"}}, "/kwargs/headers"),
        ({"headers": {"X-Api-Key": "k"}}, "/kwargs/headers"),
        ({"headers": {"X-Session-Token": "k"}}, "/kwargs/headers"),
        ({"headers": {"Host": "evil.example"}}, "/kwargs/headers"),
        ({"headers": {"Content-Length": "0"}}, "/kwargs/headers"),
        ({"headers": {"Transfer-Encoding": "chunked"}}, "/kwargs/headers"),
        ({"headers": {"Connection": "close"}}, "/kwargs/headers"),
        ({"headers": {"Conveyor-Signature": "t=1,v1=00"}}, "/kwargs/headers"),
        ({"headers": {"Idempotency-Key": "x"}}, "/kwargs/headers"),
        ({"headers": {"Bad Name": "x"}}, "/kwargs/headers"),
        ({"headers": {"X-A": "a\r\nX-Injected: 1"}}, "/kwargs/headers/X-A"),
        ({"headers": {"X-A": "a" * 1025}}, "/kwargs/headers/X-A"),
        ({"headers": {f"X-{i}": "v" for i in range(21)}}, "/kwargs/headers"),
        ({"method": "TRACE"}, "/kwargs/method"),
        ({"method": "GET", "body": {}}, "/kwargs"),
        ({"path": "ok"}, "/kwargs/path"),
        ({"path": "@evil.example/"}, "/kwargs/path"),
        ({"path": "/../admin"}, "/kwargs/path"),
        ({"path": "/a/%2e%2E/admin"}, "/kwargs/path"),
        ({"path": "/a#frag"}, "/kwargs/path"),
        ({"path": "/" + "a" * 2048}, "/kwargs/path"),
        ({"target": "Not A Target"}, "/kwargs/target"),
    ],
)
def test_forbidden_arguments_are_refused_at_submit(api, receiver, kwargs, pointer):
    response = submit(api, **{"target": "receiver", **kwargs})
    assert response.status_code == 400
    assert pointer in [error["pointer"] for error in response.json()["errors"]]
    assert not Job.objects.exists() and receiver.received == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis")
def test_listed_and_usable_from_a_schedule(api, receiver):
    tasks = {t["name"]: t for t in api.get("/api/v1/tasks/").json()}
    assert tasks["http.request"]["parameters"]["required"] == ["target"]
    assert tasks["http.request"]["max_retries"] == 3
    created = api.post(
        "/api/v1/schedules/",
        {
            "name": "ping",
            "task": "http.request",
            "kwargs": {"target": "receiver", "path": "/ok", "body": {"p": 1}},
            "kind": "interval",
            "every_seconds": 3600,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    job_id = api.post(f"{created.json()['url']}trigger/").json()["id"]
    run_worker()
    assert api.get(f"/api/v1/jobs/{job_id}/").json()["result"]["body"] == {"received": {"p": 1}}


# --- the task called directly (limits, resolution) -----------------------------------------------


@pytest.mark.django_db
def test_an_unknown_target_is_refused(receiver):
    with pytest.raises(http_task.HttpTaskRefused, match="no HTTP target named 'elsewhere'"):
        http_task.request("elsewhere", "/ok")


@pytest.mark.django_db
def test_the_response_body_is_capped(receiver):
    text = http_task.request("receiver", "/big", "GET")
    assert text["body_truncated"] is True and text["body"] == "a" * 4094  # 4096 once JSON-encoded, quotes included
    oversized_json = http_task.request("receiver", "/big-json", "GET")
    assert (oversized_json["body_format"], oversized_json["body_truncated"]) == ("text", True)
    assert len(json.dumps(oversized_json["body"])) <= 4096
    small = http_task.request("receiver", "/text", "GET")
    assert (small["body"], small["body_format"], small["content_type"]) == ("héllo", "text", "text/plain")


@pytest.mark.django_db
def test_a_slow_receiver_times_out(receiver, settings):
    settings.HTTP_TASK_TIMEOUT_SECONDS = 0.5
    started = time.monotonic()
    with pytest.raises(http_task.HttpTaskUnreachable, match="timed out"):
        http_task.request("receiver", "/slow")
    assert time.monotonic() - started < 2


@pytest.mark.django_db
def test_a_request_body_over_the_limit_is_refused(receiver, settings):
    settings.HTTP_TASK_MAX_REQUEST_BYTES = 10
    with pytest.raises(http_task.HttpTaskRefused, match="the limit is 10"):
        http_task.request("receiver", "/ok", body={"n": "0123456789"})
    assert receiver.received == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "ff02::1",
    ],
)
def test_non_public_addresses_are_refused(settings, monkeypatch, address):
    settings.HTTP_TASK_ALLOW_PRIVATE = False
    settings.HTTP_TASK_TARGETS = {"t": {"base_url": "https://hooks.example.com", "secret": SECRET, "headers": {}}}
    info = (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **kw: [info])
    with pytest.raises(http_task.HttpTaskRefused, match=f"resolves to {address}, which is not a public"):
        http_task.request("t", "/x")


def test_every_resolved_address_is_checked(settings, monkeypatch):
    """A name that resolves to a public and a private address is refused, whichever comes first."""
    settings.HTTP_TASK_ALLOW_PRIVATE = False
    settings.HTTP_TASK_TARGETS = {"t": {"base_url": "https://hooks.example.com", "secret": SECRET, "headers": {}}}
    infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 443)) for a in ("93.184.216.34", "127.0.0.1")]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **kw: infos)
    with pytest.raises(http_task.HttpTaskRefused, match=r"resolves to 127\.0\.0\.1"):
        http_task.request("t", "/x")


@pytest.mark.django_db
def test_the_connection_goes_to_the_checked_address(receiver, settings, monkeypatch):
    """The name is resolved once; the connection uses that answer (a rebinding second answer is never asked)."""
    port = receiver.server_address[1]
    settings.HTTP_TASK_TARGETS = {"t": {"base_url": f"http://hooks.invalid:{port}", "secret": SECRET, "headers": {}}}
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def getaddrinfo(host, *args, **kwargs):
        if host != "hooks.invalid":
            return real_getaddrinfo(host, *args, **kwargs)  # create_connection's lookup of the IP literal
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert http_task.request("t", "/hooks/ok", body={})["status"] == 200
    assert lookups == ["hooks.invalid"]
    assert receiver.received[0]["headers"]["Host"] == f"hooks.invalid:{port}"


def test_verify_signature_rejects_malformed_headers():
    body = b"{}"
    good = http_task.sign(SECRET, body, int(time.time()))
    assert http_task.verify_signature(SECRET, good, body)
    assert http_task.verify_signature(SECRET, good, body.decode())
    assert http_task.verify_signature(SECRET, f"{good},v1=deadbeef", body)  # one matching v1 is enough (rotation)
    for header in ["", "v1=abc", good.split(",")[0], f"t=x,{good.split(',')[1]}", f"{good},t=1", "t=١٢٣,v1=é"]:
        assert not http_task.verify_signature(SECRET, header, body), header


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "must be a JSON object"),
        ([], "must be a JSON object"),
        ({"Bad Name": {}}, "names must be"),
        ({"t": {"base_url": "ftp://x", "secret": SECRET}}, "base_url must be"),
        ({"t": {"base_url": "https://u:p@x", "secret": SECRET}}, "base_url must be"),
        ({"t": {"base_url": "https://x?q=1", "secret": SECRET}}, "base_url must be"),
        ({"t": {"base_url": "https://x", "secret": "short-secret"}}, "secret must be"),
        ({"t": {"base_url": "https://x", "secret": SECRET, "headers": {"X": 1}}}, "headers must be"),
        ({"t": {"base_url": "https://x", "secret": SECRET, "extra": 1}}, "must be an object"),
    ],
)
def test_invalid_targets_setting_is_refused_without_quoting_secrets(raw, message):
    with pytest.raises(ImproperlyConfigured, match=message) as caught:
        http_task_targets(raw if isinstance(raw, str) else json.dumps(raw))
    assert SECRET not in str(caught.value) and "short-secret" not in str(caught.value)


def test_targets_setting_is_parsed():
    raw = json.dumps({"billing": {"base_url": "https://hooks.example.com/in/", "secret": SECRET}})
    assert http_task_targets(raw) == {
        "billing": {"base_url": "https://hooks.example.com/in", "secret": SECRET, "headers": {}}
    }


def test_schema_accepts_a_full_request():
    kwargs = {
        "target": "billing",
        "path": "/v1/orders?id=7",
        "method": "PATCH",
        "headers": {"X-Trace": "a"},
        "body": [1],
    }
    assert get_task("http.request").bind([], kwargs)[1] == []
