"""audit.sql: the one-statement audited INSERT writes what the ORM path writes, column for column."""

import uuid
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from audit.context import Attribution
from audit.history import _bulk_create_orm
from audit.sql import insert_audited
from jobs.models import Job, JobState

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="audit.sql is the PostgreSQL path"),
]

AT = datetime(2026, 12, 3, 7, 30, 1, 123456, tzinfo=UTC)


def _jobs(ids: list[uuid.UUID], user: Any) -> list[Job]:
    """Fresh unsaved jobs with every kind of column filled (JSON null and not, dates, FKs)."""
    return [
        Job(
            id=pk,
            task="demo.sleep",
            args=[1, "two", None],
            kwargs={"seconds": n, "nested": {"a": [1]}},
            queue="default",
            state=JobState.QUEUED if n % 2 else JobState.SCHEDULED,
            labels={"team": "x"} if n % 2 else {},
            timeout_seconds=60 + n,
            max_retries=n,
            retry_intervals=[5, 10],
            run_at=None if n % 2 else AT,
            enqueued_at=AT if n % 2 else None,
            dispatched=bool(n % 2),
            result=None,
            error={"type": "E", "message": "m"} if n == 2 else None,
            version=1,
            submitted_by=user,
        )
        for n, pk in enumerate(ids)
    ]


def _written(ids: list[uuid.UUID]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    jobs: list[dict[str, Any]] = list(Job.objects.filter(pk__in=ids).order_by("pk").values())  # type: ignore[arg-type]
    history = list(Job.history.filter(id__in=ids).order_by("id").values())  # type: ignore[attr-defined]
    for row in history:
        row.pop("history_id")
    return jobs, history


def _differences(by_sql: Any, by_orm: Any) -> list[tuple[str, int, str, Any, Any]]:
    """(table, row, column, by SQL, by ORM) wherever the two paths wrote something different."""
    found = []
    for table, sql_rows, orm_rows in zip(("job", "history"), by_sql, by_orm, strict=True):
        assert len(sql_rows) == len(orm_rows)
        for index, (one, other) in enumerate(zip(sql_rows, orm_rows, strict=True)):
            assert one.keys() == other.keys()
            found += [(table, index, key, one[key], other[key]) for key in one if one[key] != other[key]]
    return found


def _both_paths(ids: list[uuid.UUID], user: Any, contexts: list[Attribution], make: Any = _jobs) -> list[Any]:
    written = []
    with mock.patch("django.utils.timezone.now", return_value=AT):  # created_at (auto_now_add)
        for write in (
            lambda objs: insert_audited(Job, objs, contexts, at=AT),
            lambda objs: _bulk_create_orm(Job, objs, contexts, at=AT),
        ):
            write(make(ids, user))
            written.append(_written(ids))
            Job.objects.filter(pk__in=ids).delete()
            Job.history.filter(id__in=ids).delete()  # type: ignore[attr-defined]  # the "-" rows too
    return written


def test_one_job_and_its_history_row_equal_the_orm_path(user):
    ids = [uuid.uuid4()]
    contexts = [Attribution(channel="api", request_id="req-1", client_ip="10.0.0.1", user=user, reason="because")]

    by_sql, by_orm = _both_paths(ids, user, contexts)

    assert _differences(by_sql, by_orm) == []
    assert by_sql[1][0]["history_user_id"] == user.pk and by_sql[1][0]["history_type"] == "+"


def test_a_batch_with_per_row_attributions_equals_the_orm_path(user, other_user):
    ids = sorted(uuid.uuid4() for _ in range(5))
    contexts = [
        Attribution(channel="api", request_id=f"req-{n}", user=user if n % 2 else other_user, client_ip="::1")
        if n < 3
        else Attribution(channel="job", job_id=str(uuid.uuid4()), schedule_id=str(uuid.uuid4()))
        for n in range(5)
    ]

    by_sql, by_orm = _both_paths(ids, user, contexts)

    assert _differences(by_sql, by_orm) == []
    jobs, history = by_sql
    assert len(jobs) == len(history) == 5
    assert [row["history_username"] for row in history] == [c.actor.username if c.actor else "" for c in contexts]
    assert [row["history_job_id"] for row in history] == [uuid.UUID(c.job_id) if c.job_id else None for c in contexts]


def test_the_saved_objects_are_no_longer_new(user):
    job = _jobs([uuid.uuid4()], user)[0]

    insert_audited(Job, [job], [Attribution(user=user)], at=AT)

    assert not job._state.adding and job._state.db == "default"
    assert Job.objects.get(pk=job.pk).version == 1


def test_json_values_orjson_refuses_are_written_as_the_json_module_writes_them(user):
    ids = [uuid.uuid4()]
    huge, contexts = 10**30, [Attribution(channel="api", user=user)]
    jobs = _jobs(ids, user)
    jobs[0].kwargs = {"seconds": huge}  # beyond 64 bits: a JSON integer all the same

    insert_audited(Job, jobs, contexts, at=AT)

    assert Job.objects.get(pk=ids[0]).kwargs == {"seconds": huge}
    assert Job.history.get(id=ids[0]).kwargs == {"seconds": huge}  # type: ignore[attr-defined]


def test_values_rows_share_are_sent_once_and_each_row_keeps_its_own(user):
    """A batch's rows share most values (audit.sql._split sends those once): a value equal to the
    shared one in Python but not in JSON (1.0 and 1, True and 1) stays the row's own."""
    ids = sorted(uuid.uuid4() for _ in range(4))
    shared_kwargs, shared_labels = {"seconds": 1, "flag": True}, {"team": "x"}
    contexts = [Attribution(channel="api", request_id="req-1", user=user)] * 3 + [Attribution(channel="job")]

    def jobs(ids: list[uuid.UUID], user: Any) -> list[Job]:
        built = _jobs(ids, user)
        for job in built[:2]:
            job.kwargs, job.labels = shared_kwargs, shared_labels
        built[2].kwargs, built[3].kwargs = {"seconds": 1.0, "flag": True}, {"seconds": 1, "flag": 1}
        return built

    by_sql, by_orm = _both_paths(ids, user, contexts, make=jobs)

    assert _differences(by_sql, by_orm) == []
    kwargs = {row["id"]: row["kwargs"] for row in by_sql[0]}
    assert [kwargs[pk] for pk in ids[:2]] == [shared_kwargs] * 2
    assert [type(kwargs[pk]["seconds"]) for pk in ids] == [int, int, float, int]
    assert [type(kwargs[pk]["flag"]) for pk in ids] == [bool, bool, bool, int]
    assert [row["history_channel"] for row in by_sql[1]] == [c.channel for c in contexts]
