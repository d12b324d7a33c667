"""What a submit sends to PostgreSQL: one statement, in no transaction of its own, when it can."""

import pytest
from django.db import connection

from jobs.engine import dispatch
from jobs.services.jobs import JobSpec, job_submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("redis"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement submit is PostgreSQL's"),
]

SLEEP = JobSpec(task="demo.sleep", kwargs={"seconds": 0})


def _statements(submit) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """(the start of each statement, whether it ran inside a transaction) while `submit` runs."""
    seen = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append((sql.split("(")[0].strip(), connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        submit()
    return seen


def test_a_submit_without_parents_is_one_statement_without_begin_and_commit(staff_user):
    statements = _statements(lambda: job_submit(spec=SLEEP, actor=staff_user))

    assert statements == [("WITH j AS", False)]  # staff: no waiting-jobs COUNT


def test_a_submit_with_parents_locks_and_links_them_in_a_transaction(staff_user):
    parent = job_submit(spec=SLEEP, actor=staff_user)
    spec = JobSpec(task="demo.sleep", kwargs={"seconds": 0}, depends_on=[parent.pk])

    statements = _statements(lambda: job_submit(spec=spec, actor=staff_user))

    assert [in_transaction for sql, in_transaction in statements if not sql.startswith("SELECT")] == [True] * 2
    assert any(sql == "WITH j AS" for sql, _ in statements)


def _prepared() -> list[str]:
    """The statements PostgreSQL keeps prepared on the test's connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_the_hot_paths_fixed_statements_are_prepared_and_the_orm_s_are_not(user):
    from jobs import selectors
    from jobs.engine import lifecycle
    from jobs.models import Job

    for _ in range(6):  # psycopg prepares a text on its sixth run (settings: prepare_threshold 5)
        job = job_submit(spec=SLEEP, actor=user)  # the audited insert and the waiting-jobs count
        lifecycle._read(str(job.pk))  # the worker's claim read
        selectors.job_validator(user=user, job_id=job.pk)  # the poll's validator
        list(Job.objects.filter(pk=job.pk))  # an ORM query

    prepared = _prepared()

    assert any(s.startswith('WITH j AS (INSERT INTO "jobs_job"') for s in prepared), prepared
    assert any(s.startswith("SELECT COUNT(*)") for s in prepared), prepared
    assert any(s.startswith('SELECT j."id"') for s in prepared), prepared
    assert any(s.startswith('SELECT "jobs_job"."version"') for s in prepared), prepared
    assert len(prepared) == 4, prepared  # the ORM's own query is not among them


def _submit_four_three_together(monkeypatch, actors):  # type: ignore[no-untyped-def]
    """Four submits on threads (`actors[i]` the i-th's user, request id r<i>): the first's
    statement runs while the other three arrive. Returns the jobs by request id, the sizes of
    the saves, and each submit's error (or None)."""
    import threading
    import time

    from audit.context import attribute
    from jobs.services import jobs as services

    saves: list[int] = []
    real_save = services._save

    def save(built, attributions=None):  # type: ignore[no-untyped-def]
        saves.append(len(built))
        if len(saves) == 1:  # the first submit's statement runs while three more arrive
            deadline = time.monotonic() + 5
            while len(services._TOGETHER._waiting) < 3 and time.monotonic() < deadline:
                time.sleep(0.001)
        real_save(built, attributions)

    monkeypatch.setattr(services, "_save", save)
    jobs, errors = {}, {}

    def submit(request_id: str, actor) -> None:  # type: ignore[no-untyped-def]
        try:
            with attribute(channel="api", request_id=request_id, user=actor):
                jobs[request_id] = job_submit(spec=SLEEP, actor=actor)
            errors[request_id] = None
        except Exception as exc:
            errors[request_id] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=("r0", actors[0]))]
    threads[0].start()
    while not saves:
        time.sleep(0.001)
    threads += [threading.Thread(target=submit, args=(f"r{i}", actors[i])) for i in (1, 2, 3)]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(10)
    return jobs, saves, errors


def test_concurrent_submits_share_one_statement_and_one_push_each_row_attributed_to_its_own_request(
    user, other_user, monkeypatch
):
    from jobs.models import Job

    jobs, saves, errors = _submit_four_three_together(monkeypatch, [user, other_user, user, other_user])

    assert saves == [1, 3] and set(errors.values()) == {None}  # the three that arrived meanwhile: one statement
    for request_id, job in jobs.items():
        created = Job.history.get(id=job.pk)
        assert (created.history_request_id, created.history_user_id) == (request_id, job.submitted_by_id)
        assert job.dispatched and job.state == "queued"
    assert jobs["r1"].submitted_by_id == other_user.pk and jobs["r2"].submitted_by_id == user.pk
    queued = dispatch.queue("default").job_ids
    assert sorted(queued) == sorted(str(job.pk) for job in jobs.values())


def test_a_push_that_fails_after_a_group_s_commit_leaves_every_submit_its_job(user, monkeypatch):
    from jobs.models import Job

    def broken_push(jobs, *, submitted=False):  # type: ignore[no-untyped-def]
        raise RuntimeError("the push broke after the commit")

    monkeypatch.setattr(dispatch, "dispatch_now", broken_push)

    jobs, saves, errors = _submit_four_three_together(monkeypatch, [user] * 4)

    assert set(errors.values()) == {None}  # not one IntegrityError from a member running its job again
    assert saves == [1, 3] and Job.objects.count() == 4 == len(jobs)


def test_a_submit_inside_a_transaction_saves_in_it_and_joins_no_group(user, monkeypatch):
    from django.db import transaction

    from jobs.services import jobs as services

    def no_group(item):  # type: ignore[no-untyped-def]
        raise AssertionError("joined a group from inside a transaction")

    monkeypatch.setattr(services._TOGETHER, "join", no_group)

    with transaction.atomic():
        job = job_submit(spec=SLEEP, actor=user)
        transaction.set_rollback(True)

    from jobs.models import Job

    assert not Job.objects.filter(pk=job.pk).exists()  # it was the caller's to roll back


def test_a_prepared_statement_outlives_a_migration_that_changes_a_column_it_returns():
    import psycopg
    from django.conf import settings as django_settings

    from core.db import prepared_cursor

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (id int PRIMARY KEY, label varchar(10))")
        cursor.execute("INSERT INTO prepared_probe VALUES (1, 'one')")
    try:
        for _ in range(6):  # prepared on the sixth run
            with prepared_cursor() as cursor:
                cursor.execute("SELECT id, label FROM prepared_probe WHERE id = %s", [1])
        params = connection.get_connection_params()
        with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True) as other:
            other.execute("ALTER TABLE prepared_probe ALTER COLUMN label TYPE varchar(20)")  # another process migrates

        with prepared_cursor() as cursor:
            cursor.execute("SELECT id, label FROM prepared_probe WHERE id = %s", [1])
            assert cursor.fetchone() == (1, "one")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE prepared_probe")
    assert django_settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 5


def test_a_retry_saves_alone_its_insert_waiting_for_no_group(user, monkeypatch):
    from jobs.models import Job
    from jobs.services import jobs as services
    from jobs.services.jobs import job_cancel, job_retry

    canceled = job_cancel(job=job_submit(spec=SLEEP, actor=user), actor=user)

    def no_group(item):  # type: ignore[no-untyped-def]
        raise AssertionError("a retry joined a group")

    monkeypatch.setattr(services._TOGETHER, "join", no_group)
    retried = job_retry(job=canceled, actor=user)

    assert Job.objects.get(pk=retried.pk).retry_of_id == canceled.pk
