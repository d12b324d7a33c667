"""Pushing job rows to RQ (jobs.engine.dispatch) against a real Redis: what is pushed, when, and how
a row records it."""

import zlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue

from jobs.engine import dispatch
from jobs.engine.entrypoints import RUN_JOB
from jobs.models import Job, JobState

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]


def a_job(user, *, state: str = JobState.QUEUED, dispatched: bool = False, age: timedelta = timedelta(0), **fields):
    defaults = {"task": "demo.noop", "queue": "default", "timeout_seconds": 60}
    job = Job.objects.create(submitted_by=user, state=state, dispatched=dispatched, **(defaults | fields))
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - age)
    job.refresh_from_db()
    return job


def in_rq(queue: str = "default") -> list[str]:
    return dispatch.queue(queue).job_ids


def test_a_row_written_as_pushed_costs_no_statement_after_its_push(user):
    job = a_job(user, dispatched=True, enqueued_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        dispatch.dispatch_now([job], submitted=True)
    assert in_rq() == [str(job.pk)] and len(queries) == 0


def test_a_row_queued_otherwise_is_marked_pushed_after_its_push(user):
    job = a_job(user)  # e.g. a dependent just released
    dispatch.dispatch_now([job])
    job.refresh_from_db()
    assert in_rq() == [str(job.pk)]
    assert job.dispatched and job.enqueued_at is not None and job.version == 2


def test_rows_redis_refused_are_marked_back_for_the_dispatch_pass(user, monkeypatch):
    job = a_job(user, dispatched=True, enqueued_at=timezone.now())

    def refuse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr("redis.client.Pipeline.execute", refuse)
    dispatch.dispatch_now([job], submitted=True)
    monkeypatch.undo()
    job.refresh_from_db()
    assert in_rq() == [] and not job.dispatched and job.enqueued_at is None


def test_the_pass_pushes_a_scheduled_row_that_is_due_and_queues_it(user):
    due = a_job(user, state=JobState.SCHEDULED, run_at=timezone.now() - timedelta(seconds=1))
    assert dispatch.dispatch_due() == 1
    due.refresh_from_db()
    assert in_rq() == [str(due.pk)] and due.state == JobState.QUEUED and due.dispatched


def test_the_pass_pushes_a_queued_row_its_request_never_pushed(user):
    missed = a_job(user, age=timedelta(seconds=30))
    assert dispatch.dispatch_due() == 1
    missed.refresh_from_db()
    assert in_rq() == [str(missed.pk)] and missed.dispatched and missed.enqueued_at is not None


@pytest.mark.parametrize(
    "fields",
    [
        {},  # fresh: its request may still push it
        {"state": JobState.SCHEDULED, "run_at": timezone.now() + timedelta(hours=1)},
        {"dispatched": True, "age": timedelta(seconds=30)},
    ],
    ids=["fresh", "future", "pushed"],
)
def test_the_pass_leaves_rows_that_are_not_its_to_push(user, fields):
    job = a_job(user, **fields)
    assert dispatch.dispatch_due() == 0
    assert in_rq() == [] and Job.objects.get(pk=job.pk).version == job.version


def test_the_pass_pushes_nothing_twice(user):
    a_job(user, state=JobState.SCHEDULED, run_at=timezone.now() - timedelta(seconds=1))
    a_job(user, age=timedelta(seconds=30))
    assert dispatch.dispatch_due() == 2
    assert dispatch.dispatch_due() == 0


def test_the_pass_changes_nothing_when_redis_refuses(user, monkeypatch):
    due = a_job(user, state=JobState.SCHEDULED, run_at=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(dispatch, "push", lambda *args, **kwargs: False)
    assert dispatch.dispatch_due() == 0
    due.refresh_from_db()
    assert due.state == JobState.SCHEDULED and not due.dispatched  # the next pass tries again


def test_a_released_job_is_announced_once_its_row_says_it_was_pushed(user, monkeypatch):
    """A client (or a web process's poll cache) told of the change reads the marked row."""
    job = a_job(user)
    seen: list[bool] = []
    monkeypatch.setattr(
        dispatch,
        "notify",
        lambda ids: seen.extend(Job.objects.filter(pk__in=list(ids)).values_list("dispatched", flat=True)),
    )
    dispatch.dispatch_now([job])
    assert seen == [True]


def test_a_push_writes_what_rq_enqueue_many_writes(user):
    job = a_job(user, timeout_seconds=42)
    assert dispatch.push([job])
    connection, key = dispatch.queue("default").connection, f"rq:job:{job.pk}"
    ours = connection.hgetall(key)
    connection.delete(key, dispatch.queue("default").key)
    dispatch.queue("default").enqueue_many(
        [
            Queue.prepare_data(
                RUN_JOB,
                args=(str(job.pk),),
                job_id=str(job.pk),
                timeout=42,
                result_ttl=dispatch.RQ_RESULT_TTL,
                failure_ttl=dispatch.RQ_FAILURE_TTL,
                description=job.task,
            )
        ]
    )
    theirs = connection.hgetall(key)
    assert zlib.decompress(ours.pop(b"data")) == zlib.decompress(theirs.pop(b"data"))  # what RQ reads of it
    moments = {b"created_at", b"enqueued_at"}  # the instants differ, never their presence
    assert moments <= set(ours) and moments <= set(theirs)
    assert {k: v for k, v in ours.items() if k not in moments} == {k: v for k, v in theirs.items() if k not in moments}


def test_each_push_writes_its_own_instants(user):
    """The fields a push shares are built once per queue; its created_at and enqueued_at are not."""
    first, second = a_job(user), a_job(user)
    assert dispatch.push([first]) and dispatch.push([second])
    connection = dispatch.queue("default").connection
    stamps = [connection.hmget(f"rq:job:{job.pk}", "created_at", "enqueued_at") for job in (first, second)]
    assert stamps[0][0] < stamps[1][0] and stamps[0][1] < stamps[1][1]


def test_a_push_keeps_the_order_of_its_jobs_in_each_queue_and_loads_in_rq(user):
    jobs = [
        a_job(user, queue=queue, task=task)
        for queue, task in [
            ("default", "demo.noop"),
            ("low", "demo.noop"),
            ("default", "demo.sleep"),
            ("default", "demo.noop"),
        ]
    ]
    assert dispatch.push(jobs)
    assert in_rq("default") == [str(job.pk) for job in jobs if job.queue == "default"]
    assert in_rq("low") == [str(jobs[1].pk)]
    assert dispatch.queue("low").key.encode() in dispatch.queue("low").connection.smembers("rq:queues")
    fetched = dispatch.queue("default").fetch_job(str(jobs[2].pk))
    assert (fetched.func_name, fetched.args, fetched.description, fetched.timeout) == (
        RUN_JOB,
        [str(jobs[2].pk)],
        "demo.sleep",
        60,
    )
    assert fetched.get_status() == "queued" and fetched.origin == "default"
