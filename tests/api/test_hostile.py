"""Hostile input: nothing that is not a registered task ever runs, and bad bytes get a 4xx."""

import pickle
import zlib

import pytest
from django.conf import settings

from jobs.engine import dispatch
from jobs.models import Job
from tests.helpers import assert_problem, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]


def post_raw(client, body: bytes, path: str = "/api/v1/jobs/"):
    return client.post(path, body, content_type="application/json")


@pytest.mark.parametrize(
    "task",
    [
        "os.system",
        "builtins.eval",
        "subprocess.run",
        "jobs.engine.runner.execute",
        "jobs.tasks.demo.sleep",
        "__import__",
        "demo.sleep ",
        "DEMO.SLEEP",
        "demo/sleep",
        "../demo.sleep",
        "demo.sleep\u0000",
    ],
)
def test_only_registered_task_names_are_accepted(api, task):
    response = api.post("/api/v1/jobs/", {"task": task, "args": ["id"]}, format="json")
    assert response.status_code == 400
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b'{"task": "demo.sleep", "kwargs": {"seconds": 1e999}}', 400),  # Infinity
        (b'{"task": "demo.sleep", "kwargs": {"seconds": NaN}}', 400),
        (b'{"task": "demo.sleep", "kwargs": {"seconds": 1' + b"0" * 30 + b"}}", 400),  # beyond 64 bits
        (b'{"task": "demo.sleep", "kwargs": {"seconds": 1' + b"0" * 5000 + b"}}", 400),  # beyond int limits
        (b'{"task": "demo.sleep\\u0000", "kwargs": {"seconds": 1}}', 400),
        (b'{"task": "demo.sleep", "labels": {"a": "b\\u0000"}, "kwargs": {"seconds": 1}}', 400),
        (b'{"task": "demo.sleep", "kwargs": {"seconds": 1, "\\u0000": 1}}', 400),
        (b'{"task": "demo.sleep", "kwargs": {"seconds": 1}, "labels": {"a": "\xc3\x28"}}', 400),  # bad UTF-8
        (b"\xff\xfe{}", 400),
        (b"", 400),
        (b"[]", 400),
        (b'"just a string"', 400),
        (b'{"task": "demo.sleep", "kwargs": ' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}", 400),
    ],
)
def test_bad_bytes_are_refused(api, raw, status):
    assert_problem(post_raw(api, raw), status)
    assert Job.objects.count() == 0


def test_oversized_body_is_413(api):
    raw = b'{"task": "demo.sleep", "kwargs": {"seconds": 1}, "labels": {"x": "' + b"a" * (2 * 1024 * 1024) + b'"}}'
    assert_problem(post_raw(api, raw), 413)
    assert Job.objects.count() == 0


def test_a_job_hash_planted_with_a_pickle_payload_never_runs(redis, tmp_path):
    """A job written into Redis by someone else, pickled, naming os.system: it fails to load."""
    marker = tmp_path / "pwned"
    job_id = "planted-pickle"
    payload = zlib.compress(pickle.dumps(("os.system", None, (f"touch {marker}",), {})))
    fields = {
        "data": payload,
        "status": "queued",
        "origin": "default",
        "description": "x",
        "created_at": "2026-01-01T00:00:00.000000Z",
    }
    redis.hset(f"rq:job:{job_id}", mapping=fields)
    redis.rpush("rq:queue:default", job_id)
    redis.sadd("rq:queues", "rq:queue:default")
    run_worker(dispatch_due=False)
    assert not marker.exists()
    assert dispatch.queue("default").count == 0
    assert redis.hget(f"rq:job:{job_id}", "status") in (b"failed", None)


def test_huge_batch_and_many_labels_are_bounded(api):
    assert_problem(api.post("/api/v1/jobs/batch/", {"jobs": []}, format="json"), 400)
    labels = {f"k{i}": "v" for i in range(21)}
    assert_problem(
        api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}, "labels": labels}, format="json"),
        400,
    )
    assert Job.objects.count() == 0
    assert sum(dispatch.queue(name).count for name in settings.QUEUE_NAMES) == 0
