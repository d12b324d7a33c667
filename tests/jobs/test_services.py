"""The job services (jobs.services) called directly, as the API, the admin, the scheduler and
commands call them: each rule of submit, batch submit, cancel and retry on its own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.context import attribute
from core.errors import Conflict, Forbidden, Invalid, TooManyRequests
from jobs.engine import dispatch
from jobs.models import Job, JobState
from jobs.services import jobs as services
from jobs.services.jobs import BATCH_MAX, JobSpec, job_cancel, job_retry, job_submit, job_submit_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis")]

NOOP = JobSpec(task="demo.noop")
MAIL = JobSpec(task="mail.send", kwargs={"to": "a@example.com", "subject": "hi", "body": "hello"})


def invalid(spec: JobSpec, actor) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The (pointer, code) of each error `job_submit` refuses `spec` with; nothing is stored."""
    with pytest.raises(Invalid) as refused:
        job_submit(spec=spec, actor=actor)
    assert not Job.objects.exists()
    return [(error.pointer, error.code) for error in refused.value.errors]


def a_job(user, state: str, **fields) -> Job:  # type: ignore[no-untyped-def]
    return Job.objects.create(
        task="demo.noop", submitted_by=user, state=state, queue="default", timeout_seconds=60, **fields
    )


# --- submit ---


def test_a_submit_stores_a_queued_job_owned_by_its_actor(user):
    job = job_submit(spec=NOOP, actor=user)
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.submitted_by, stored.task, stored.attempt) == ("queued", user, "demo.noop", 0)


def test_a_submit_takes_the_task_s_defaults(user):
    job = job_submit(spec=MAIL, actor=user)
    assert (job.queue, job.timeout_seconds, job.max_retries, job.retry_intervals) == ("default", 300, 3, [10, 60, 300])


def test_a_submit_s_own_options_override_the_task_s_defaults(user):
    spec = JobSpec(**{**MAIL.__dict__, "queue": "high", "timeout_seconds": 5, "max_retries": 0, "retry_intervals": []})
    job = job_submit(spec=spec, actor=user)
    assert (job.queue, job.timeout_seconds, job.max_retries, job.retry_intervals) == ("high", 5, 0, [])


def test_a_submit_is_recorded_as_created_by_the_current_actor(user):
    with attribute(channel="admin", user=user, reason="by hand"):
        job = job_submit(spec=NOOP, actor=user)
    (row,) = Job.history.filter(id=job.pk)
    assert (row.history_type, row.history_user, row.history_channel) == ("+", user, "admin")
    assert row.history_change_reason == "by hand"


def test_a_queued_job_is_pushed_to_its_queue_after_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(spec=NOOP, actor=user)
    stored = Job.objects.get(pk=job.pk)
    assert dispatch.queue("default").job_ids == [str(job.pk)]
    assert stored.dispatched and stored.enqueued_at is not None


def test_nothing_is_pushed_before_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job_submit(spec=NOOP, actor=user)
    assert dispatch.queue("default").job_ids == []


def test_a_submit_of_a_schedule_s_run_links_the_schedule(user):
    from jobs.models import Schedule

    schedule = Schedule.objects.create(
        name="nightly", owner=user, task="demo.noop", kind="cron", cron="0 3 * * *", timezone="UTC"
    )
    job = job_submit(spec=NOOP, actor=user, schedule=schedule)
    assert Job.objects.get(pk=job.pk).schedule == schedule


def test_an_unknown_task_is_refused(user):
    assert invalid(JobSpec(task="os.system"), user) == [("/task", "unknown_task")]


def test_a_staff_only_task_is_forbidden_to_other_users(user):
    with pytest.raises(Forbidden):
        job_submit(spec=JobSpec(task="accounts.purge_unactivated", kwargs={"older_than_days": 30}), actor=user)
    assert not Job.objects.exists()


def test_a_staff_only_task_runs_for_staff(staff_user):
    spec = JobSpec(task="accounts.purge_unactivated", kwargs={"older_than_days": 30})
    assert job_submit(spec=spec, actor=staff_user).state == JobState.QUEUED


def test_arguments_that_fail_the_task_s_schema_are_refused_with_a_pointer(user):
    errors = invalid(JobSpec(task="demo.sleep", kwargs={"seconds": -1}), user)
    assert [pointer for pointer, _ in errors] == ["/kwargs/seconds"]


def test_an_unknown_queue_is_refused(user):
    assert invalid(JobSpec(task="demo.noop", queue="nowhere"), user) == [("/queue", "unknown")]


def test_every_error_of_a_submit_is_reported_at_once(user):
    errors = invalid(JobSpec(task="demo.sleep", kwargs={"seconds": -1}, queue="nowhere"), user)
    assert {pointer for pointer, _ in errors} == {"/kwargs/seconds", "/queue"}


def test_a_run_at_more_than_a_minute_past_is_refused(user):
    past = timezone.now() - services.RUN_AT_TOLERANCE - timedelta(seconds=5)
    assert invalid(JobSpec(task="demo.noop", run_at=past), user) == [("/run_at", "past")]


def test_a_run_at_just_past_runs_now(user):
    job = job_submit(spec=JobSpec(task="demo.noop", run_at=timezone.now() - timedelta(seconds=5)), actor=user)
    assert job.state == JobState.QUEUED


def test_a_run_at_in_the_future_is_scheduled(user):
    later = timezone.now() + timedelta(hours=1)
    job = job_submit(spec=JobSpec(task="demo.noop", run_at=later), actor=user)
    assert (job.state, job.run_at, job.dispatched) == (JobState.SCHEDULED, later, False)


def test_a_delay_schedules_the_job_that_many_seconds_from_now(user):
    before = timezone.now()
    job = job_submit(spec=JobSpec(task="demo.noop", delay_seconds=60), actor=user)
    assert job.state == JobState.SCHEDULED
    assert before + timedelta(seconds=60) <= job.run_at <= timezone.now() + timedelta(seconds=60)


def test_a_dependent_of_an_unfinished_job_is_deferred(user):
    parent = job_submit(spec=NOOP, actor=user)
    child = job_submit(spec=JobSpec(task="demo.noop", depends_on=[parent.pk]), actor=user)
    assert child.state == JobState.DEFERRED and list(child.depends_on.all()) == [parent]


def test_a_dependent_of_succeeded_jobs_is_queued(user):
    parent = a_job(user, JobState.SUCCEEDED, ended_at=timezone.now())
    child = job_submit(spec=JobSpec(task="demo.noop", depends_on=[parent.pk]), actor=user)
    assert child.state == JobState.QUEUED


@pytest.mark.parametrize("state", [JobState.FAILED, JobState.CANCELED])
def test_a_dependent_of_a_job_that_can_no_longer_succeed_is_refused(user, state):
    parent = a_job(user, state, ended_at=timezone.now())
    with pytest.raises(Invalid) as refused:
        job_submit(spec=JobSpec(task="demo.noop", depends_on=[parent.pk]), actor=user)
    assert [(e.pointer, e.code) for e in refused.value.errors] == [("/depends_on/0", "dead_parent")]


def test_a_dependency_on_another_user_s_job_is_unknown(user, other_user):
    parent = job_submit(spec=NOOP, actor=other_user)
    with pytest.raises(Invalid) as refused:
        job_submit(spec=JobSpec(task="demo.noop", depends_on=[parent.pk]), actor=user)
    assert [(e.pointer, e.code) for e in refused.value.errors] == [("/depends_on/0", "unknown_job")]


def test_a_parent_that_failed_after_validation_refuses_the_submit(user, monkeypatch):
    """A parent that fails between the check and the insert: the locked re-read sees it."""
    parent = job_submit(spec=NOOP, actor=user)
    build = services._build

    def then_fail(spec, **kwargs):  # type: ignore[no-untyped-def]
        built = build(spec, **kwargs)
        Job.objects.filter(pk=parent.pk).update(state=JobState.FAILED, ended_at=timezone.now())
        return built

    monkeypatch.setattr(services, "_build", then_fail)
    with pytest.raises(Conflict):
        job_submit(spec=JobSpec(task="demo.noop", depends_on=[parent.pk]), actor=user)
    assert Job.objects.count() == 1


def test_a_submit_over_the_user_s_waiting_jobs_limit_is_refused(user, settings):
    settings.MAX_WAITING_JOBS_PER_USER = 1
    job_submit(spec=NOOP, actor=user)
    with pytest.raises(TooManyRequests):
        job_submit(spec=NOOP, actor=user)
    assert Job.objects.count() == 1


# --- batch ---


def test_a_batch_stores_every_job_in_order(user):
    specs = [JobSpec(task="demo.sleep", kwargs={"seconds": n}) for n in range(3)]
    jobs = job_submit_batch(specs=specs, actor=user)
    assert [job.kwargs["seconds"] for job in jobs] == [0, 1, 2]
    assert Job.objects.filter(pk__in=[job.pk for job in jobs], state=JobState.QUEUED).count() == 3


def test_one_invalid_item_rejects_the_whole_batch_with_its_index(user):
    specs = [NOOP, JobSpec(task="demo.sleep", kwargs={"seconds": -1}), NOOP]
    with pytest.raises(Invalid) as refused:
        job_submit_batch(specs=specs, actor=user)
    assert [e.pointer for e in refused.value.errors] == ["/jobs/1/kwargs/seconds"]
    assert not Job.objects.exists()


def test_a_batch_larger_than_the_limit_is_refused(user):
    with pytest.raises(Invalid) as refused:
        job_submit_batch(specs=[NOOP] * (BATCH_MAX + 1), actor=user)
    assert [(e.pointer, e.code) for e in refused.value.errors] == [("/jobs", "too_many")]
    assert not Job.objects.exists()


def test_a_batch_is_admitted_as_its_size(user, settings):
    settings.MAX_WAITING_JOBS_PER_USER = 2
    with pytest.raises(TooManyRequests):
        job_submit_batch(specs=[NOOP] * 3, actor=user)
    assert not Job.objects.exists()


# --- cancel ---


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.SCHEDULED, JobState.DEFERRED, JobState.RUNNING])
def test_a_waiting_or_running_job_is_canceled_by_its_actor(user, state):
    job = a_job(user, state)
    canceled = job_cancel(job=job, actor=user)
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.error) == (JobState.CANCELED, {"type": "Canceled", "message": "canceled by alice"})
    assert canceled.ended_at is not None


def test_a_cancel_is_one_audited_change(user):
    job = a_job(user, JobState.QUEUED)
    with attribute(channel="api", user=user):
        job_cancel(job=job, actor=user)
    last = Job.history.filter(id=job.pk).order_by("history_id").last()
    assert (last.state, last.history_user) == (JobState.CANCELED, user)


def test_canceling_a_canceled_job_changes_nothing(user):
    job = a_job(user, JobState.CANCELED, ended_at=timezone.now())
    version = job.version
    assert job_cancel(job=job, actor=user).state == JobState.CANCELED
    assert Job.objects.get(pk=job.pk).version == version


@pytest.mark.parametrize("state", [JobState.SUCCEEDED, JobState.FAILED])
def test_a_finished_job_cannot_be_canceled(user, state):
    job = a_job(user, state, ended_at=timezone.now())
    with pytest.raises(Conflict):
        job_cancel(job=job, actor=user)
    assert Job.objects.get(pk=job.pk).state == state


def test_a_canceled_queued_job_leaves_its_queue(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(spec=NOOP, actor=user)
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=job, actor=user)
    assert dispatch.queue("default").job_ids == []


def test_a_canceled_running_job_s_work_horse_is_told_to_stop(user, monkeypatch, django_capture_on_commit_callbacks):
    stopped = []
    monkeypatch.setattr(services, "send_stop_job_command", lambda connection, job_id: stopped.append(job_id))
    job = a_job(user, JobState.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=job, actor=user)
    assert stopped == [str(job.pk)]


def test_a_cancel_cancels_the_job_s_dependents(user):
    parent = job_submit(spec=NOOP, actor=user)
    child = job_submit(spec=JobSpec(task="demo.noop", depends_on=[parent.pk]), actor=user)
    job_cancel(job=parent, actor=user)
    stored = Job.objects.get(pk=child.pk)
    assert (stored.state, stored.error["type"]) == (JobState.CANCELED, "DependencyFailed")


# --- retry ---


def test_a_retry_submits_a_new_job_like_the_failed_one(user):
    spec = JobSpec(**{**MAIL.__dict__, "queue": "high", "max_retries": 1, "labels": {"env": "t"}})
    failed = job_submit(spec=spec, actor=user)
    Job.objects.filter(pk=failed.pk).update(state=JobState.FAILED, ended_at=timezone.now())
    failed.refresh_from_db()
    new = job_retry(job=failed, actor=user)
    same = ["task", "args", "kwargs", "queue", "timeout_seconds", "max_retries", "retry_intervals", "labels"]
    assert new.pk != failed.pk and new.state == JobState.QUEUED
    assert {name: getattr(new, name) for name in same} == {name: getattr(failed, name) for name in same}


def test_a_retry_points_back_to_the_job_it_retries(user):
    canceled = a_job(user, JobState.CANCELED, ended_at=timezone.now())
    assert Job.objects.get(pk=job_retry(job=canceled, actor=user).pk).retry_of == canceled


def test_a_retry_belongs_to_whoever_asked_for_it(user, staff_user):
    failed = a_job(user, JobState.FAILED, ended_at=timezone.now())
    assert job_retry(job=failed, actor=staff_user).submitted_by == staff_user


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED])
def test_only_failed_or_canceled_jobs_can_be_retried(user, state):
    job = a_job(user, state)
    with pytest.raises(Conflict):
        job_retry(job=job, actor=user)
    assert Job.objects.count() == 1


def test_a_job_whose_task_is_gone_cannot_be_retried(user):
    gone = Job.objects.create(
        task="removed.task", submitted_by=user, state=JobState.FAILED, queue="default", timeout_seconds=60
    )
    with pytest.raises(Invalid):
        job_retry(job=gone, actor=user)
    assert Job.objects.count() == 1


# --- how a submit builds its job ---


def _built(job: Job) -> dict:  # type: ignore[type-arg]
    """What a job instance holds, its random id and its ModelState object aside."""
    held = {key: value for key, value in vars(job).items() if key not in ("id", "_state")}
    return {**held, "adding": job._state.adding, "db": job._state.db, "cached": job._state.fields_cache}


def test_a_built_job_holds_what_django_s_constructor_gives_it(user):
    values = {
        "task": "demo.sleep",
        "args": [1],
        "kwargs": {"seconds": 0},
        "queue": "default",
        "run_at": None,
        "labels": {"team": "x"},
        "timeout_seconds": 60,
        "max_retries": 2,
        "retry_intervals": [5],
    }

    fast, django = services._new_job(submitted_by=user, **values), Job(submitted_by=user, **values)

    assert _built(fast) == _built(django)
    assert fast.submitted_by is user and fast.id != django.id
    assert fast.args is not Job(submitted_by=user).args  # a default list is each job's own


def test_a_job_is_built_by_django_while_something_listens_to_its_construction(user):
    from django.db.models.signals import post_init

    seen = []

    def receiver(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(instance)

    post_init.connect(receiver, sender=Job)
    try:
        job = services._new_job(submitted_by=user, task="demo.noop", queue="default", timeout_seconds=60)
    finally:
        post_init.disconnect(receiver, sender=Job)

    assert seen == [job]
