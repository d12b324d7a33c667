"""A worker does not check its database connection before each job: a job's first statement is
repeated once on a new connection if the worker's died while it waited (jobs.engine.outage)."""

import pytest
from django import db

from jobs.engine import lifecycle
from jobs.engine.outage import on_a_live_connection
from jobs.models import Job
from tests.helpers import run_worker

pytestmark = pytest.mark.usefixtures("redis")


def dies_once(func):  # type: ignore[no-untyped-def]
    """`func`, whose first call fails as a statement on a connection the server ended would."""
    calls = []

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        if len(calls) == 1:
            raise db.OperationalError("server closed the connection unexpectedly")
        return func(*args, **kwargs)

    wrapper.calls = calls  # type: ignore[attr-defined]
    return wrapper


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fork", [False, True], ids=["simple", "fork"])
def test_a_worker_whose_connection_died_while_it_waited_runs_the_job(api, monkeypatch, fork):
    job_id = api.post("/api/v1/jobs/", {"task": "demo.noop"}, format="json").json()["id"]
    claim = dies_once(lifecycle.job_claim)
    monkeypatch.setattr(lifecycle, "job_claim", claim)
    run_worker(fork=fork)
    assert Job.objects.get(pk=job_id).state == "succeeded" and len(claim.calls) == 2


@pytest.mark.django_db(transaction=True)
def test_the_retry_is_on_a_new_connection(monkeypatch):
    closed = []
    monkeypatch.setattr(db.connection, "close", lambda: closed.append(True))
    assert on_a_live_connection(dies_once(lambda: "read")) == "read" and closed == [True]


@pytest.mark.django_db(transaction=True)
def test_a_failure_inside_a_transaction_is_not_repeated():
    """The transaction is lost with its connection: repeating only its last statement would be wrong."""
    call = dies_once(lambda: "read")
    with pytest.raises(db.OperationalError), db.transaction.atomic():
        on_a_live_connection(call)
    assert len(call.calls) == 1
