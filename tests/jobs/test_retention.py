"""Retention: what the pass deletes, what it keeps, how much per call, and the operator command."""

import json
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from config.settings import env_days
from jobs.management.commands import conveyor_retention
from jobs.models import IdempotencyRecord, Job, JobLog, Schedule, ScheduleFire
from jobs.operations.retention import retention_pass

pytestmark = pytest.mark.django_db

HistoricalJob = Job.history.model  # type: ignore[attr-defined]
HistoricalSchedule = Schedule.history.model  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def retention_defaults(settings):
    settings.JOB_RETENTION_DAYS = 30
    settings.AUDIT_RETENTION_DAYS = 365


def submit(api) -> Job:
    response = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}})
    assert response.status_code == 202, response.content
    return Job.objects.get(pk=response.json()["id"])


def aged(job: Job, *, state: str, days: float) -> Job:
    """`job` moved to `state` (an audited save), everything about it dated `days` ago."""
    when = timezone.now() - timedelta(days=days)
    job.state = state
    job.ended_at = when if state in ("succeeded", "failed", "canceled") else None
    job.save()
    Job.objects.filter(pk=job.pk).update(created_at=when)
    HistoricalJob.objects.filter(id=job.pk).update(history_date=when)
    JobLog.objects.create(job=job, lines=[{"message": "hello"}])
    return job


def schedule(api, name: str) -> Schedule:
    body = {"name": name, "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "interval", "every_seconds": 60}
    response = api.post("/api/v1/schedules/", body)
    assert response.status_code == 201, response.content
    return Schedule.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("state", ["succeeded", "failed", "canceled"])
def test_old_finished_jobs_go_with_their_history_and_logs(api, state):
    old = aged(submit(api), state=state, days=31)
    assert HistoricalJob.objects.filter(id=old.pk).count() == 2

    counts = retention_pass(now=timezone.now())

    assert counts["jobs"] == 1 and counts["jobs.job history"] == 2
    assert not Job.objects.filter(pk=old.pk).exists()
    assert not JobLog.objects.filter(job_id=old.pk).exists()
    # Deleted in bulk: no "-" history row per job (it would be the only row left).
    assert not HistoricalJob.objects.filter(id=old.pk).exists()


@pytest.mark.parametrize(("state", "days"), [("succeeded", 29), ("queued", 400), ("running", 400), ("scheduled", 400)])
def test_recent_and_unfinished_jobs_stay(api, state, days):
    kept = aged(submit(api), state=state, days=days)

    retention_pass(now=timezone.now())

    assert Job.objects.filter(pk=kept.pk).exists() and JobLog.objects.filter(job_id=kept.pk).exists()
    assert HistoricalJob.objects.filter(id=kept.pk).count() == 2


def test_the_rq_hash_of_a_deleted_job_goes_too(api, redis):
    old = aged(submit(api), state="canceled", days=31)
    recent = aged(submit(api), state="canceled", days=1)
    for job in (old, recent):
        redis.hset(f"rq:job:{job.pk}", "status", "canceled")

    retention_pass(now=timezone.now())

    assert not redis.exists(f"rq:job:{old.pk}") and redis.exists(f"rq:job:{recent.pk}")


def test_links_to_a_deleted_job_are_cleared(api):
    old = aged(submit(api), state="succeeded", days=40)
    retry = submit(api)
    retry.retry_of = old
    retry.depends_on.add(old)
    retry.save()
    plan = schedule(api, "nightly")
    fire = ScheduleFire.objects.create(schedule=plan, fire_at=timezone.now(), outcome="fired", job=old)
    Schedule.objects.filter(pk=plan.pk).update(last_job=old)

    retention_pass(now=timezone.now())

    retry.refresh_from_db()
    fire.refresh_from_db()
    plan.refresh_from_db()
    assert retry.retry_of is None and not retry.depends_on.exists()
    assert fire.job is None and plan.last_job is None


def test_a_pass_deletes_at_most_batch_size_rows_per_table(api):
    for _ in range(5):
        aged(submit(api), state="succeeded", days=31)

    first = retention_pass(now=timezone.now(), batch_size=3)

    # Three jobs fit the batch, but their six history rows do not: one job (two rows) goes.
    assert first["jobs"] == 1 and first["jobs.job history"] == 2
    assert Job.objects.count() == 4 and HistoricalJob.objects.count() == 8
    passes = 1
    while any(retention_pass(now=timezone.now(), batch_size=3).values()):
        passes += 1
    assert passes == 5
    assert not Job.objects.exists() and not HistoricalJob.objects.exists() and not JobLog.objects.exists()


def test_old_schedule_history_is_trimmed_but_the_latest_record_of_each_stays(api):
    plan = schedule(api, "kept")
    api.post(f"/api/v1/schedules/{plan.pk}/pause/")
    api.post(f"/api/v1/schedules/{plan.pk}/resume/")
    gone = schedule(api, "gone")
    api.delete(f"/api/v1/schedules/{gone.pk}/")
    recent = schedule(api, "recent")
    HistoricalSchedule.objects.exclude(id=recent.pk).update(history_date=timezone.now() - timedelta(days=400))
    latest = HistoricalSchedule.objects.filter(id=plan.pk).latest("history_id")
    assert HistoricalSchedule.objects.filter(id=plan.pk).count() == 3

    counts = retention_pass(now=timezone.now())

    assert counts["jobs.schedule history"] == 4  # two of "kept", both of the deleted "gone"
    assert list(HistoricalSchedule.objects.filter(id=plan.pk)) == [latest]
    assert not HistoricalSchedule.objects.filter(id=gone.pk).exists()
    assert HistoricalSchedule.objects.filter(id=recent.pk).count() == 1
    response = api.get(f"/api/v1/schedules/{plan.pk}/history/")
    assert [entry["id"] for entry in response.json()["results"]] == [latest.history_id]


def test_zero_days_keeps_everything(api, settings):
    settings.JOB_RETENTION_DAYS = 0
    settings.AUDIT_RETENTION_DAYS = 0
    aged(submit(api), state="succeeded", days=4000)
    plan = schedule(api, "old")
    api.post(f"/api/v1/schedules/{plan.pk}/pause/")
    HistoricalSchedule.objects.update(history_date=timezone.now() - timedelta(days=4000))

    counts = retention_pass(now=timezone.now())

    assert not any(counts.values())
    assert Job.objects.count() == 1 and HistoricalJob.objects.count() == 2 and JobLog.objects.count() == 1
    assert HistoricalSchedule.objects.count() == 2


def test_expired_idempotency_records_go_in_batches(user):
    for key in "abc":
        IdempotencyRecord.objects.create(user=user, key=key, fingerprint="f")
    IdempotencyRecord.objects.exclude(key="c").update(created_at=timezone.now() - timedelta(hours=25))

    assert retention_pass(now=timezone.now(), batch_size=1)["idempotency records"] == 1
    assert retention_pass(now=timezone.now(), batch_size=1)["idempotency records"] == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["c"]


def test_the_command_drains_and_its_dry_run_deletes_nothing(api):
    for _ in range(3):
        aged(submit(api), state="failed", days=60)
    aged(submit(api), state="succeeded", days=1)

    out = StringIO()
    call_command("conveyor_retention", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["jobs"] == 3
    assert json.loads(out.getvalue())["jobs.job history"] == 6
    assert Job.objects.count() == 4 and HistoricalJob.objects.count() == 8 and JobLog.objects.count() == 4

    out = StringIO()
    call_command("conveyor_retention", "--batch-size", "2", stdout=out)
    assert json.loads(out.getvalue())["jobs"] == 3
    assert Job.objects.count() == 1 and HistoricalJob.objects.count() == 2 and JobLog.objects.count() == 1


@pytest.mark.parametrize("pause", [True, False], ids=["paused", "no-pause"])
def test_the_command_pauses_as_long_as_each_batch_took(api, monkeypatch, pause):
    """A drain leaves the database half of its time: after each batch that deleted something,
    a pause as long as the batch (none after the last, empty one; none with --no-pause)."""
    for _ in range(3):
        aged(submit(api), state="failed", days=60)
    clock = iter(range(0, 1000, 5))  # the command's every reading of its clock 5 s after the one before
    slept: list[float] = []
    monkeypatch.setattr(conveyor_retention, "time", SimpleNamespace(monotonic=lambda: next(clock), sleep=slept.append))
    call_command("conveyor_retention", "--batch-size", "2", *([] if pause else ["--no-pause"]), stdout=StringIO())
    assert Job.objects.count() == 0
    assert slept == ([5, 5, 5] if pause else [])


@pytest.mark.parametrize(("raw", "days"), [("", 0), ("0", 0), ("7", 7), (" 30 ", 30)])
def test_retention_days_setting(monkeypatch, raw, days):
    monkeypatch.setenv("JOB_RETENTION_DAYS", raw)
    assert env_days("JOB_RETENTION_DAYS", 30) == days


@pytest.mark.parametrize("raw", ["-1", "thirty", "1.5", "99999"])
def test_invalid_retention_days_are_refused(monkeypatch, raw):
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", raw)
    with pytest.raises(ImproperlyConfigured, match="AUDIT_RETENTION_DAYS"):
        env_days("AUDIT_RETENTION_DAYS", 365)


def test_a_deleted_job_is_announced(api, redis):
    """Web processes forget what their poll caches knew of it (api.pollcache)."""
    old = aged(submit(api), state="succeeded", days=31)
    pubsub = redis.pubsub()
    pubsub.subscribe(f"conveyor:job:{old.pk}")
    pubsub.get_message(timeout=1)  # the subscription's confirmation

    retention_pass(now=timezone.now())

    message = pubsub.get_message(timeout=2)
    pubsub.close()
    assert message is not None and message["type"] == "message"


def test_a_job_deleted_one_by_one_is_announced(api, redis, django_capture_on_commit_callbacks):
    """As staff deleting it in the admin would: web processes forget what they knew of it."""
    job = submit(api)
    pubsub = redis.pubsub()
    pubsub.subscribe(f"conveyor:job:{job.pk}")
    pubsub.get_message(timeout=1)

    with django_capture_on_commit_callbacks(execute=True):
        job.delete()

    message = pubsub.get_message(timeout=2)
    pubsub.close()
    assert message is not None and message["type"] == "message"
