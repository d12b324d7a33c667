"""GET /api/v1/queues/history/: queue depth and jobs finished per minute, rebuilt from job rows."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.models import Job, JobState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis")]


def make_job(user, *, state, enqueued, started=None, ended=None, queue="default"):
    job = Job.objects.create(
        task="demo.sleep", kwargs={"seconds": 0}, queue=queue, state=state, timeout_seconds=60, submitted_by=user
    )
    Job.objects.filter(pk=job.pk).update(enqueued_at=enqueued, started_at=started, ended_at=ended, dispatched=True)
    return job


def points_by_minutes_ago(points, minute):
    """Points keyed by how many minutes before the current minute's start they stand (-1: its end)."""
    return {round((minute - parse_datetime(p["at"])).total_seconds() / 60): p for p in points}


def test_points_per_minute_from_job_timestamps(staff_api, user):
    minute = timezone.now().replace(second=0, microsecond=0)
    at = lambda minutes_ago, second=30: minute - timedelta(minutes=minutes_ago) + timedelta(seconds=second)  # noqa: E731
    # at(k) is k - 0.5 minutes ago. Waited from 9.5 to 4.5 minutes ago, ran until 3.5 minutes ago.
    make_job(user, state=JobState.SUCCEEDED, enqueued=at(10), started=at(5), ended=at(4))
    # Still waiting since 2.5 minutes ago.
    make_job(user, state=JobState.QUEUED, enqueued=at(3))
    # Waited from 7.5 minutes ago until canceled 1.5 minutes ago; on another queue.
    make_job(user, state=JobState.CANCELED, enqueued=at(8), ended=at(2), queue="high")
    # Ended in the current minute: counted in the last point, not a minute late.
    make_job(
        user,
        state=JobState.SUCCEEDED,
        enqueued=minute,
        started=minute,
        ended=minute + timedelta(seconds=1),
        queue="low",
    )
    # Ended two hours ago: outside the window.
    make_job(user, state=JobState.FAILED, enqueued=at(125), started=at(121), ended=at(120))

    response = staff_api.get("/api/v1/queues/history/")
    assert response.status_code == 200, response.content
    queues = {q["name"]: q["points"] for q in response.json()}
    default = queues["default"]
    assert len(default) == 60
    by_minutes_ago = points_by_minutes_ago(default, minute)
    assert default[-1]["at"] == (minute + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")  # this minute
    assert by_minutes_ago[-1]["depth"] == 1 and by_minutes_ago[0]["depth"] == 1  # the waiting job, now
    assert by_minutes_ago[5]["depth"] == 1 and by_minutes_ago[4]["depth"] == 0
    assert by_minutes_ago[4]["finished"] == 0 and by_minutes_ago[3]["finished"] == 1
    assert sum(p["finished"] for p in default) == 1
    high = points_by_minutes_ago(queues["high"], minute)
    assert queues["low"][-1]["finished"] == 1
    assert high[3]["depth"] == 1 and high[1]["depth"] == 0 and high[1]["finished"] == 1


def test_queue_history_is_staff_only(api):
    assert api.get("/api/v1/queues/history/").status_code == 403
