"""One-statement audited transitions (audit.sql.transition_audited) write the history rows the ORM path writes."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from audit import sql
from audit.context import attribute
from jobs.engine import lifecycle
from jobs.engine.lifecycle import Run
from jobs.models import Job
from jobs.services.jobs import JobSpec, job_submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis")]

# What differs between two jobs (and two writes) by nature, not by the path that wrote them.
OWN = {"history_id", "history_date", "id", "created_at", "ended_at"}


def history(job_id):  # type: ignore[no-untyped-def]
    rows = Job.history.filter(id=job_id).order_by("history_id")
    return [{k: v for k, v in model_to_dict(row).items() if k not in OWN} | row_extra(row) for row in rows]


def row_extra(row):  # type: ignore[no-untyped-def]
    # model_to_dict skips non-editable fields; the audit columns are compared all the same.
    names = [
        "history_type",
        "history_change_reason",
        "history_user_id",
        "history_username",
        "history_channel",
        "history_request_id",
        "history_job_id",
        "history_client_ip",
    ]
    return {name: getattr(row, name) for name in names} | {"ended": row.ended_at is not None}


def run_both_paths(user, monkeypatch, transitions):  # type: ignore[no-untyped-def]
    """Apply `transitions(job_id, run)` to one job through the ORM and to another in SQL."""
    started = timezone.now() - timedelta(seconds=1)
    histories = []
    for in_sql in (False, True):
        monkeypatch.setattr(sql, "supported", lambda in_sql=in_sql: in_sql)
        job = job_submit(spec=JobSpec(task="demo.noop"), actor=user)
        run = Run(str(job.pk), 1, started, "w1")
        with attribute(channel="job", job_id=None, reason="job execution", user=user):
            transitions(str(job.pk), run)
        histories.append(history(job.pk))
    return histories


def test_a_merged_end_writes_the_orm_path_s_history_row(user, monkeypatch):
    if not sql.supported():
        pytest.skip("one-statement transitions are PostgreSQL's")
    orm, in_sql = run_both_paths(user, monkeypatch, lambda job_id, run: lifecycle.job_succeed(job_id, 7, run=run))
    assert [row["state"] for row in orm] == ["queued", "succeeded"]
    assert orm[-1]["history_change_reason"] == "job execution: started and ended in one change"
    assert in_sql == orm


def test_running_then_an_end_write_the_orm_path_s_history_rows(user, monkeypatch):
    if not sql.supported():
        pytest.skip("one-statement transitions are PostgreSQL's")

    def mark_then_succeed(job_id, run):  # type: ignore[no-untyped-def]
        assert lifecycle.job_mark_running(run)
        assert lifecycle.job_mark_running(run)  # again: already running this attempt
        lifecycle.job_succeed(job_id, {"n": [1, "x"]}, run=run)

    orm, in_sql = run_both_paths(user, monkeypatch, mark_then_succeed)
    assert [row["state"] for row in orm] == ["queued", "running", "succeeded"]
    assert in_sql == orm
    job = Job.objects.get(pk=Job.history.latest("history_id").id)
    assert job.result == {"n": [1, "x"]} and job.version == 3 and job.attempt == 1
