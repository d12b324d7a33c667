"""Real `conveyor_scheduler` processes and a real worker on real Redis."""

import signal
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from rq_scheduler import Scheduler

from core.redis import redis_connection
from jobs.engine.entrypoints import JsonJob
from jobs.models import Job, JobLog, Schedule, ScheduleFire
from tests.helpers import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]


@pytest.fixture(autouse=True)
def one_second_intervals(settings):
    settings.SCHEDULE_MIN_INTERVAL_SECONDS = 1


def create(api, **body):
    response = api.post("/api/v1/schedules/", {"task": "demo.sleep", "kwargs": {"seconds": 0}, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_interval_schedule_fires_until_max_runs_and_pause_stops_it(api, processes):
    processes.start("rqworker", *settings.QUEUE_NAMES)
    processes.start("conveyor_scheduler")
    limited = create(api, name="limited", kind="interval", every_seconds=1, max_runs=3)
    paused = create(api, name="paused", kind="interval", every_seconds=1)
    once = create(api, name="once", kind="at", run_at=(timezone.now() + timedelta(seconds=2)).isoformat())
    wait_until(lambda: Schedule.objects.get(pk=limited["id"]).state == "finished")
    wait_until(lambda: Job.objects.filter(schedule_id=paused["id"]).count() >= 2)
    api.post(f"{paused['url']}pause/")
    count = Job.objects.filter(schedule_id=paused["id"]).count()
    time.sleep(3)
    assert Job.objects.filter(schedule_id=paused["id"]).count() == count
    api.post(f"{paused['url']}resume/")
    wait_until(lambda: Job.objects.filter(schedule_id=paused["id"]).count() > count)
    wait_until(lambda: Schedule.objects.get(pk=once["id"]).state == "finished")
    assert Job.objects.filter(schedule_id=limited["id"]).count() == 3
    assert Job.objects.filter(schedule_id=once["id"]).count() == 1
    wait_until(lambda: not Job.objects.exclude(state="succeeded").exists())
    triggered = api.post(f"{limited['url']}trigger/")
    assert triggered.status_code == 409  # finished schedules do not run


def test_two_schedulers_fire_each_slot_once(api, processes):
    schedules = [create(api, name=f"s{i}", kind="interval", every_seconds=1) for i in range(5)]
    processes.start("conveyor_scheduler")
    processes.start("conveyor_scheduler")
    time.sleep(20)
    for process in processes.running:
        processes.stop(process)
    fires = ScheduleFire.objects.values("schedule_id", "fire_at").annotate(n=Count("id"))
    assert fires and all(fire["n"] == 1 for fire in fires)
    for schedule in schedules:
        jobs = Job.objects.filter(schedule_id=schedule["id"]).count()
        slots = ScheduleFire.objects.filter(schedule_id=schedule["id"], outcome="fired").count()
        assert jobs == slots >= 10


def test_restart_after_losing_redis_keys_rearms_without_double_runs(api, processes, redis):
    schedules = [create(api, name=f"r{i}", kind="interval", every_seconds=1) for i in range(3)]
    scheduler = processes.start("conveyor_scheduler")
    wait_until(lambda: Job.objects.count() >= 6)
    processes.stop(scheduler, signal.SIGKILL)
    rq_scheduler = Scheduler(connection=redis_connection(), job_class=JsonJob)
    redis.delete(rq_scheduler.scheduled_jobs_key)
    for key in redis.scan_iter("rq:scheduler*"):
        redis.delete(key)
    before = Job.objects.count()
    processes.start("conveyor_scheduler")
    wait_until(lambda: all(Job.objects.filter(schedule_id=s["id"]).count() >= 5 for s in schedules))
    assert Job.objects.count() > before
    fires = ScheduleFire.objects.values("schedule_id", "fire_at").annotate(n=Count("id"))
    assert all(fire["n"] == 1 for fire in fires)
    for schedule in schedules:
        assert (
            Job.objects.filter(schedule_id=schedule["id"]).count()
            == ScheduleFire.objects.filter(schedule_id=schedule["id"], outcome="fired").count()
        )


def test_the_scheduler_runs_retention_in_bounded_batches(api, processes):
    def finished(days: int) -> str:
        response = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json")
        job = Job.objects.get(pk=response.json()["id"])
        job.state, job.ended_at = "succeeded", timezone.now() - timedelta(days=days)
        job.save()
        JobLog.objects.create(job=job, lines=[])
        Job.history.filter(id=job.pk).update(history_date=job.ended_at)
        return str(job.pk)

    old = [finished(days=31) for _ in range(6)]
    recent = finished(days=1)
    processes.start("conveyor_scheduler", RETENTION_EVERY_SECONDS="1", RETENTION_BATCH_SIZE="2")
    seen = set()

    def drained() -> bool:
        seen.add(Job.objects.filter(pk__in=old).count())
        return 0 in seen

    wait_until(drained)
    # Two history rows (one job) a pass, a pass a second: the backlog went down in steps.
    assert seen & {1, 2, 3, 4, 5}, seen
    wait_until(lambda: not Job.history.filter(id__in=old).exists())
    assert not JobLog.objects.filter(job_id__in=old).exists()
    assert Job.objects.filter(pk=recent).exists() and Job.history.filter(id=recent).count() == 2
