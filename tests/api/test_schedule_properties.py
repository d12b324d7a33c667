"""Property: whatever `POST /api/v1/schedules/` accepts, every other path can serve.

A body is drawn with instants across (and beyond) the accepted range, at odd offsets, with
intervals, cron lines and zones at their limits. The create answers 201 or a 4xx; a schedule it
accepted is then listed (by its owner and by staff), read, previewed, fired, paused, resumed and
deleted without an error.
"""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.firetimes import EARLIEST_INSTANT, LATEST_INSTANT, MAX_INTERVAL_SECONDS
from jobs.models import Schedule
from jobs.scheduling.firing import schedule_fire
from tests.helpers import assert_problem, client_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

SECOND = timedelta(seconds=1)
OFFSETS = [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), timezone(timedelta(minutes=345))]


def _edges() -> list[datetime]:
    now = django_timezone.now()
    return [
        datetime(1, 1, 2, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        EARLIEST_INSTANT - SECOND,
        EARLIEST_INSTANT,
        now - timedelta(days=1),
        now + timedelta(minutes=5),
        now + timedelta(days=400),
        LATEST_INSTANT - SECOND,
        LATEST_INSTANT,
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    ]


@st.composite
def instants(draw: st.DrawFn) -> str:
    moment = draw(st.one_of(st.sampled_from(_edges()), st.datetimes(timezones=st.just(UTC))))
    offset = draw(st.sampled_from(OFFSETS))
    try:
        return moment.astimezone(offset).isoformat()
    except OverflowError:  # the offset would move it past year 1 or 9999
        return moment.isoformat()


@st.composite
def bodies(draw: st.DrawFn) -> dict:
    kind = draw(st.sampled_from(["at", "interval", "cron"]))
    body: dict = {"name": f"p-{uuid.uuid4()}", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": kind}
    if kind == "at":
        body["run_at"] = draw(instants())
    elif kind == "interval":
        body["every_seconds"] = draw(st.sampled_from([1, 5, 59, 3600, MAX_INTERVAL_SECONDS]))
        if draw(st.booleans()):
            body["start_at"] = draw(instants())
    else:
        body["cron"] = draw(st.sampled_from(["* * * * *", "0 0 29 2 *", "30 2 * * *", "59 23 31 12 *", "@yearly"]))
        body["timezone"] = draw(st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12", "Europe/Athens"]))
    if draw(st.booleans()):
        body["end_at"] = draw(instants())
    if draw(st.booleans()):
        body["max_runs"] = draw(st.integers(1, 3))
    body["misfire_policy"] = draw(st.sampled_from(["skip", "run_once"]))
    body["overlap_policy"] = draw(st.sampled_from(["allow", "skip"]))
    return body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies())
def test_any_schedule_the_api_accepts_can_be_served(user, staff_user, body):
    api, staff = client_for(user), client_for(staff_user)
    created = api.post("/api/v1/schedules/", body, format="json")
    if created.status_code != 201:
        problem = assert_problem(created, 400)
        assert problem["errors"], problem
        assert not Schedule.objects.filter(name=body["name"]).exists()
        return
    url = created.json()["url"]
    for reader in (api, staff):
        assert reader.get("/api/v1/schedules/").status_code == 200
        assert reader.get(url).status_code == 200
    preview = {key: value for key, value in body.items() if key != "name"}
    assert api.post("/api/v1/schedules/preview/", preview, format="json").status_code in (200, 400)
    schedule = Schedule.objects.get(pk=created.json()["id"])
    if schedule.next_run_at is not None:
        schedule_fire(str(schedule.pk), schedule.next_run_at.isoformat())
        assert api.get(url).status_code == 200
    assert api.post(f"{url}pause/").status_code == 200
    assert api.post(f"{url}resume/").status_code == 200
    assert api.get(f"{url}history/").status_code == 200
    assert api.delete(url).status_code == 204
    assert api.get("/api/v1/schedules/deleted/").status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_at", "9999-12-31T23:59:00Z"),  # the body that once made the schedule list answer 500 for good
        ("start_at", "1999-12-31T23:59:59Z"),
        ("end_at", "2200-01-01T00:00:00Z"),
        ("start_at", "0001-01-01T00:00:00+01:00"),
    ],
)
def test_an_instant_out_of_range_is_400_and_stores_nothing(api, field, value):
    body = {"name": "far", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "interval", "every_seconds": 60}
    problem = assert_problem(api.post("/api/v1/schedules/", {**body, field: value}, format="json"), 400)
    assert [error["pointer"] for error in problem["errors"]] == [f"/{field}"]
    assert not Schedule.objects.exists()
    assert api.get("/api/v1/schedules/").status_code == 200
