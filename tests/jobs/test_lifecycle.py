"""A job's state transitions (jobs.lifecycle), called directly as workers, the dispatcher and
services call them: what each one allows, refuses and records in the audit trail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.context import attribute
from core.redis import redis_connection
from jobs.engine import lifecycle
from jobs.engine.lifecycle import CLAIM_KEY, CLAIM_TTL, RESULT_MAX_BYTES, Run
from jobs.models import Job, JobState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis")]

MERGED = "job execution: started and ended in one change"


def a_job(user, *, state: str = JobState.QUEUED, **fields) -> Job:
    return Job.objects.create(
        task="demo.noop", submitted_by=user, state=state, queue="default", timeout_seconds=60, **fields
    )


def a_run(job: Job, *, worker: str = "worker-1") -> Run:
    return Run(str(job.pk), job.attempt + 1, timezone.now(), worker)


def rows(job: Job) -> list:
    return list(Job.history.filter(id=job.pk).order_by("history_id"))


def as_worker(job: Job):  # type: ignore[no-untyped-def]
    """The attribution a worker runs a job under."""
    return attribute(channel="job", job_id=str(job.pk), reason="job execution", user=job.submitted_by)


# --- transition ---


def test_a_transition_from_an_allowed_state_applies_its_fields(user):
    job = a_job(user)
    changed = lifecycle.transition(job.pk, [JobState.QUEUED], state=JobState.CANCELED, ended_at=timezone.now())
    assert changed is not None and Job.objects.get(pk=job.pk).state == JobState.CANCELED


def test_a_transition_is_one_audited_change_by_the_current_actor(user, other_user):
    job = a_job(user)
    with attribute(channel="admin", user=other_user, reason="tidy up"):
        lifecycle.transition(job.pk, [JobState.QUEUED], state=JobState.CANCELED, ended_at=timezone.now())
    last = rows(job)[-1]
    assert len(rows(job)) == 2
    assert (last.state, last.history_user, last.history_channel) == (JobState.CANCELED, other_user, "admin")
    assert last.history_change_reason == "tidy up"


def test_a_transition_from_another_state_changes_nothing(user):
    job = a_job(user, state=JobState.SUCCEEDED, ended_at=timezone.now())
    assert lifecycle.transition(job.pk, [JobState.QUEUED], state=JobState.CANCELED) is None
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED and len(rows(job)) == 1


def test_a_transition_of_a_job_that_is_gone_does_nothing(user):
    job = a_job(user)
    job_id = job.pk
    job.delete()
    assert lifecycle.transition(job_id, [JobState.QUEUED], state=JobState.CANCELED) is None


# --- claim ---


def test_a_claim_of_a_queued_job_is_the_next_attempt_by_this_worker(user):
    job = a_job(user, attempt=2, max_retries=3)
    claimed_job, run = lifecycle.job_claim(str(job.pk), worker="worker-1")
    assert claimed_job.pk == job.pk and (run.attempt, run.worker) == (3, "worker-1")


def test_a_claim_writes_nothing_to_the_database(user):
    job = a_job(user)
    lifecycle.job_claim(str(job.pk), worker="worker-1")
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.attempt, stored.version) == (JobState.QUEUED, 0, job.version)
    assert len(rows(job)) == 1


def test_a_claim_is_a_redis_key_per_attempt_naming_the_worker_and_when(user):
    job = a_job(user)
    _, run = lifecycle.job_claim(str(job.pk), worker="worker-1")
    key = CLAIM_KEY.format(job.pk, 1)
    assert redis_connection().get(key).decode() == f"{run.started_at.isoformat()} worker-1"
    assert 0 < redis_connection().ttl(key) <= CLAIM_TTL
    assert lifecycle.claimed_run(job, redis_connection().get(key).decode()) == run


def test_a_second_claim_of_the_same_attempt_is_refused(user):
    job = a_job(user)
    assert lifecycle.job_claim(str(job.pk), worker="worker-1") is not None
    assert lifecycle.job_claim(str(job.pk), worker="worker-2") is None


@pytest.mark.parametrize("state", [JobState.SCHEDULED, JobState.DEFERRED, JobState.RUNNING, JobState.CANCELED])
def test_a_job_that_is_not_queued_cannot_be_claimed(user, state):
    job = a_job(user, state=state)
    assert lifecycle.job_claim(str(job.pk), worker="worker-1") is None
    assert not redis_connection().exists(CLAIM_KEY.format(job.pk, 1))


def test_a_claim_redis_lost_lets_a_second_worker_claim_the_same_attempt(user):
    """The window docs/architecture.md describes: the claim lives in Redis only."""
    job = a_job(user)
    lifecycle.job_claim(str(job.pk), worker="worker-1")
    redis_connection().flushdb()
    assert lifecycle.job_claim(str(job.pk), worker="worker-2") is not None


def test_the_later_end_of_two_runs_of_one_attempt_is_a_no_op(user):
    job = a_job(user)
    first, second = a_run(job, worker="worker-1"), a_run(job, worker="worker-2")
    assert lifecycle.job_succeed(str(job.pk), "first", run=first) is not None
    assert lifecycle.job_succeed(str(job.pk), "second", run=second) is None
    stored = Job.objects.get(pk=job.pk)
    assert (stored.result, stored.worker, len(rows(job))) == ("first", "worker-1", 2)


# --- running ---


def test_marking_a_claimed_run_running_records_its_start(user):
    job = a_job(user)
    run = a_run(job)
    assert lifecycle.job_mark_running(run)
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.attempt, stored.started_at, stored.worker) == (
        "running",
        1,
        run.started_at,
        "worker-1",
    )


def test_marking_running_is_one_change_attributed_to_the_job_and_its_submitter(user):
    job = a_job(user)
    with as_worker(job):
        lifecycle.job_mark_running(a_run(job))
    last = rows(job)[-1]
    assert [row.state for row in rows(job)] == ["queued", "running"]
    assert (last.history_user, last.history_channel, last.history_job_id) == (user, "job", job.pk)
    assert last.history_change_reason == "job execution"


def test_marking_running_again_for_the_same_attempt_adds_no_change(user):
    job = a_job(user)
    run = a_run(job)
    lifecycle.job_mark_running(run)
    assert lifecycle.job_mark_running(run)
    assert len(rows(job)) == 2


def test_a_run_canceled_before_it_is_marked_running_stays_canceled(user):
    job = a_job(user)
    run = a_run(job)
    lifecycle.transition(job.pk, [JobState.QUEUED], state=JobState.CANCELED, ended_at=timezone.now())
    assert not lifecycle.job_mark_running(run)
    assert Job.objects.get(pk=job.pk).state == JobState.CANCELED


def a_stale_run(user) -> tuple[Job, Run]:
    """A job whose attempt 1 failed and whose attempt 2 waits in the queue, and a late write of attempt 1."""
    job = a_job(user, attempt=1, max_retries=1)
    return job, Run(str(job.pk), 1, timezone.now(), "old-worker")


def test_a_stale_run_does_not_mark_the_next_attempt_running(user):
    job, stale = a_stale_run(user)
    assert not lifecycle.job_mark_running(stale)
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.attempt, len(rows(job))) == (JobState.QUEUED, 1, 1)


def test_a_stale_run_s_success_does_not_end_the_next_attempt(user):
    job, stale = a_stale_run(user)
    assert lifecycle.job_succeed(str(job.pk), None, run=stale) is None
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.attempt, len(rows(job))) == (JobState.QUEUED, 1, 1)


def test_a_stale_run_s_loss_does_not_end_the_next_attempt(user):
    job, stale = a_stale_run(user)
    assert lifecycle.job_lost(str(job.pk), "late", run=stale) is None
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.attempt, len(rows(job))) == (JobState.QUEUED, 1, 1)


# --- success ---


def test_a_short_run_succeeds_from_queued_in_one_change(user):
    job = a_job(user)
    run = a_run(job)
    with as_worker(job):
        done = lifecycle.job_succeed(str(job.pk), {"n": 1}, run=run)
    assert (done.state, done.result, done.attempt, done.started_at, done.worker) == (
        "succeeded",
        {"n": 1},
        1,
        run.started_at,
        "worker-1",
    )
    assert [row.state for row in rows(job)] == ["queued", "succeeded"]


def test_the_merged_change_names_itself_and_its_actor(user):
    job = a_job(user)
    with as_worker(job):
        lifecycle.job_succeed(str(job.pk), None, run=a_run(job))
    last = rows(job)[-1]
    assert (last.history_change_reason, last.history_user, last.history_channel) == (MERGED, user, "job")


def test_a_run_marked_running_succeeds_from_running_with_the_plain_reason(user):
    job = a_job(user)
    run = a_run(job)
    with as_worker(job):
        lifecycle.job_mark_running(run)
        lifecycle.job_succeed(str(job.pk), None)
    assert [(row.state, row.history_change_reason) for row in rows(job)][1:] == [
        ("running", "job execution"),
        ("succeeded", "job execution"),
    ]


def test_a_success_clears_an_earlier_attempt_s_error(user):
    job = a_job(user, attempt=1, max_retries=1, error={"type": "RuntimeError", "message": "first try"})
    done = lifecycle.job_succeed(str(job.pk), None, run=a_run(job))
    assert done.state == JobState.SUCCEEDED and done.error is None


def test_a_success_without_a_run_of_a_queued_job_is_a_no_op(user):
    job = a_job(user)
    assert lifecycle.job_succeed(str(job.pk), None) is None
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED


def test_a_late_success_after_a_cancel_is_a_no_op(user):
    job = a_job(user)
    run = a_run(job)
    lifecycle.job_mark_running(run)
    lifecycle.transition(job.pk, [JobState.RUNNING], state=JobState.CANCELED, ended_at=timezone.now())
    assert lifecycle.job_succeed(str(job.pk), "late", run=run) is None
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.result) == (JobState.CANCELED, None)


@pytest.mark.parametrize(
    ("result", "error_type"),
    [({1, 2}, "ResultNotSerializable"), ("x" * (RESULT_MAX_BYTES + 1), "ResultTooLarge")],
    ids=["not-json", "too-large"],
)
def test_a_result_that_cannot_be_stored_fails_the_run(user, result, error_type):
    job = a_job(user)
    done = lifecycle.job_succeed(str(job.pk), result, run=a_run(job))
    assert (done.state, done.error["type"], done.result) == (JobState.FAILED, error_type, None)


def test_a_success_queues_a_dependent_whose_parents_all_succeeded(user):
    parent, done_parent = a_job(user), a_job(user, state=JobState.SUCCEEDED, ended_at=timezone.now())
    child = a_job(user, state=JobState.DEFERRED)
    child.depends_on.add(parent, done_parent)
    lifecycle.job_succeed(str(parent.pk), None, run=a_run(parent))
    assert Job.objects.get(pk=child.pk).state == JobState.QUEUED


def test_a_released_dependent_due_later_is_scheduled(user):
    parent = a_job(user)
    child = a_job(user, state=JobState.DEFERRED, run_at=timezone.now() + timedelta(hours=1))
    child.depends_on.add(parent)
    lifecycle.job_succeed(str(parent.pk), None, run=a_run(parent))
    assert Job.objects.get(pk=child.pk).state == JobState.SCHEDULED


def test_a_dependent_with_a_parent_still_waiting_stays_deferred(user):
    parent, waiting = a_job(user), a_job(user, state=JobState.SCHEDULED)
    child = a_job(user, state=JobState.DEFERRED)
    child.depends_on.add(parent, waiting)
    lifecycle.job_succeed(str(parent.pk), None, run=a_run(parent))
    assert Job.objects.get(pk=child.pk).state == JobState.DEFERRED


# --- failure, retries, loss ---

BOOM = {"type": "RuntimeError", "message": "boom"}


def test_a_failure_with_retries_left_schedules_the_next_attempt(user):
    job = a_job(user, max_retries=2, retry_intervals=[30])
    before = timezone.now()
    failed = lifecycle.job_fail(str(job.pk), BOOM, run=a_run(job))
    assert (failed.state, failed.attempt, failed.error, failed.dispatched) == ("scheduled", 1, BOOM, False)
    assert before + timedelta(seconds=30) <= failed.run_at <= timezone.now() + timedelta(seconds=30)


def test_each_retry_waits_its_own_interval_and_later_ones_the_last(user):
    job = a_job(user, attempt=2, max_retries=5, retry_intervals=[10, 20])
    failed = lifecycle.job_fail(str(job.pk), BOOM, run=a_run(job))  # attempt 3: past the list
    assert failed.run_at - failed.ended_at == timedelta(seconds=20)


def test_a_failure_without_retries_left_fails_the_job(user):
    job = a_job(user, attempt=1, max_retries=1)
    failed = lifecycle.job_fail(str(job.pk), BOOM, run=a_run(job))
    assert (failed.state, failed.attempt) == (JobState.FAILED, 2)


def test_a_failure_that_must_not_be_retried_fails_the_job_with_retries_left(user):
    job = a_job(user, max_retries=3)
    failed = lifecycle.job_fail(str(job.pk), BOOM, retry=False, run=a_run(job))
    assert failed.state == JobState.FAILED


def test_a_short_failed_run_is_one_merged_change(user):
    job = a_job(user)
    with as_worker(job):
        lifecycle.job_fail(str(job.pk), BOOM, run=a_run(job))
    assert [(row.state, row.history_change_reason) for row in rows(job)][1:] == [("failed", MERGED)]


def test_a_failure_cancels_every_dependent_transitively(user):
    parent = a_job(user)
    child, grandchild = a_job(user, state=JobState.DEFERRED), a_job(user, state=JobState.DEFERRED)
    child.depends_on.add(parent)
    grandchild.depends_on.add(child)
    lifecycle.job_fail(str(parent.pk), BOOM, run=a_run(parent))
    for dependent in (child, grandchild):
        stored = Job.objects.get(pk=dependent.pk)
        assert (stored.state, stored.error["type"]) == (JobState.CANCELED, "DependencyFailed")


def test_a_failure_leaves_finished_dependents_alone(user):
    parent = a_job(user)
    finished = a_job(user, state=JobState.SUCCEEDED, ended_at=timezone.now())
    finished.depends_on.add(parent)
    lifecycle.job_fail(str(parent.pk), BOOM, run=a_run(parent))
    assert Job.objects.get(pk=finished.pk).state == JobState.SUCCEEDED


def test_a_retried_failure_leaves_its_dependents_waiting(user):
    parent = a_job(user, max_retries=1)
    child = a_job(user, state=JobState.DEFERRED)
    child.depends_on.add(parent)
    lifecycle.job_fail(str(parent.pk), BOOM, run=a_run(parent))
    assert Job.objects.get(pk=child.pk).state == JobState.DEFERRED


def test_a_lost_job_fails_as_worker_lost_with_a_bounded_message(user):
    job = a_job(user)
    lost = lifecycle.job_lost(str(job.pk), "x" * 5000, run=a_run(job))
    assert lost.state == JobState.FAILED and lost.error == {"type": "WorkerLost", "message": "x" * 1000}


# --- progress ---


def test_progress_of_a_running_job_is_stored_without_an_audit_change(user):
    job = a_job(user)
    lifecycle.job_mark_running(a_run(job))
    assert lifecycle.job_report_progress(str(job.pk), {"current": 1, "total": 2}, at=timezone.now())
    stored = Job.objects.get(pk=job.pk)
    assert stored.progress == {"current": 1, "total": 2} and len(rows(job)) == 2


def test_progress_bumps_the_version_clients_poll(user):
    job = a_job(user)
    lifecycle.job_mark_running(a_run(job))
    version = Job.objects.get(pk=job.pk).version
    lifecycle.job_report_progress(str(job.pk), {"current": 1}, at=timezone.now())
    assert Job.objects.get(pk=job.pk).version == version + 1


def test_progress_of_a_job_no_longer_running_is_refused(user):
    job = a_job(user, state=JobState.CANCELED, ended_at=timezone.now())
    assert not lifecycle.job_report_progress(str(job.pk), {"current": 1}, at=timezone.now())
    assert Job.objects.get(pk=job.pk).progress is None
