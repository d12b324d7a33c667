"""Schedules through the HTTP API: validation, arming in rq-scheduler, policies and fires."""

import itertools
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from reversion.models import Version
from rq_scheduler import Scheduler

from core.redis import redis_connection
from jobs.engine.entrypoints import JsonJob
from jobs.models import Job, Schedule, ScheduleFire
from jobs.scheduling.firing import schedule_fire, schedule_fire_many
from jobs.scheduling.process import ConveyorScheduler
from jobs.services import schedules
from jobs.services.schedules import arm_id, schedule_arm, schedule_rearm_missing
from tests.helpers import assert_problem, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

SLEEP = {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}


def later(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


def armed_at(schedule_id):
    """When rq-scheduler will fire the schedule, or None if it is not armed."""
    scheduler = Scheduler(connection=redis_connection(), job_class=JsonJob)
    score = redis_connection().zscore(scheduler.scheduled_jobs_key, arm_id(schedule_id))
    return None if score is None else int(score)


def create(client, **body):
    return client.post("/api/v1/schedules/", {"name": "s1", **SLEEP, **body}, format="json")


def fire_due(schedule_id):
    """Fire the schedule's current slot as the scheduler would."""
    schedule = Schedule.objects.get(pk=schedule_id)
    return schedule_fire(str(schedule.pk), schedule.next_run_at.isoformat())


def test_create_cron_schedule_in_a_time_zone(api, user):
    response = create(api, name="nightly", kind="cron", cron="0 3 * * *", timezone="Europe/Athens")
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["state"] == "active" and body["run_count"] == 0 and body["owner"]["username"] == "alice"
    assert body["created_by"]["username"] == "alice" and body["modified_by"]["username"] == "alice"
    upcoming = [parse_datetime(moment) for moment in body["upcoming"]]
    assert len(upcoming) == 5 and upcoming == sorted(upcoming)
    assert all(moment.utcoffset() == timedelta(0) for moment in upcoming)
    assert {moment.hour for moment in upcoming} <= {0, 1}  # 03:00 in Athens is 00:00 or 01:00 UTC
    assert parse_datetime(body["next_run_at"]) == upcoming[0]
    assert armed_at(body["id"]) == int(upcoming[0].timestamp())


def test_at_schedule_runs_once_and_finishes(api):
    body = create(api, kind="at", run_at=later(minutes=5)).json()
    assert body["upcoming"] == [body["next_run_at"]]
    fire = fire_due(body["id"])
    assert fire.outcome == "fired" and fire.job.schedule_id == Schedule.objects.get().pk
    schedule = api.get(body["url"]).json()
    assert schedule["state"] == "finished" and schedule["run_count"] == 1 and schedule["upcoming"] == []
    assert armed_at(body["id"]) is None
    run_worker()
    runs = api.get(f"{body['url']}runs/").json()["results"]
    assert [run["state"] for run in runs] == ["succeeded"] and runs[0]["schedule"] == body["id"]
    assert runs[0]["submitted_by"]["username"] == "alice"


def test_interval_schedule_stops_at_max_runs(api):
    body = create(api, kind="interval", every_seconds=60, max_runs=3).json()
    for _ in range(3):
        assert fire_due(body["id"]).outcome == "fired"
    schedule = Schedule.objects.get()
    assert schedule.state == "finished" and schedule.run_count == 3 and Job.objects.count() == 3
    assert armed_at(body["id"]) is None


def test_duplicate_trigger_of_a_slot_is_a_no_op(api):
    body = create(api, kind="interval", every_seconds=60).json()
    slot = Schedule.objects.get().next_run_at.isoformat()
    assert schedule_fire(body["id"], slot).outcome == "fired"
    assert schedule_fire(body["id"], slot) is None  # stale: the schedule moved on
    assert ScheduleFire.objects.count() == 1 and Job.objects.count() == 1


def test_one_tick_fires_many_schedules_each_attributed_to_its_own(api, other_api):
    mine = [create(api, name=f"a{i}", kind="interval", every_seconds=60).json()["id"] for i in range(3)]
    theirs = create(other_api, name="b", kind="cron", cron="*/5 * * * *").json()["id"]
    paused = create(api, name="p", kind="interval", every_seconds=60).json()["id"]
    api.post(f"/api/v1/schedules/{paused}/pause/")
    slots = {str(s.pk): s.next_run_at for s in Schedule.objects.all()}
    fires = schedule_fire_many([(pk, moment.isoformat()) for pk, moment in slots.items()])
    assert sorted(str(fire.schedule_id) for fire in fires) == sorted([*mine, theirs])
    assert {fire.outcome for fire in fires} == {"fired"}
    for fire in fires:
        job = Job.objects.get(schedule_id=fire.schedule_id)
        created = job.history.get()
        assert created.history_channel == "schedule" and created.history_schedule_id == fire.schedule_id
        assert created.history_user == job.submitted_by == fire.schedule.owner
        assert created.history_change_reason == f"schedule {fire.schedule.name}"
        schedule = Schedule.objects.get(pk=fire.schedule_id)
        assert schedule.run_count == 1 and schedule.last_job == job and schedule.last_run_at == slots[str(schedule.pk)]
        assert schedule.next_run_at > slots[str(schedule.pk)]
        assert armed_at(schedule.pk) == int(schedule.next_run_at.timestamp())
    assert Job.objects.filter(schedule_id=paused).count() == 0 and Job.objects.count() == 4


def test_a_slot_fired_elsewhere_does_not_stop_the_others(api):
    first, second = (create(api, name=n, kind="interval", every_seconds=60).json()["id"] for n in "ab")
    taken = Schedule.objects.get(pk=first)
    ScheduleFire.objects.create(schedule=taken, fire_at=taken.next_run_at, outcome="fired")  # another scheduler
    slots = [(str(s.pk), s.next_run_at.isoformat()) for s in Schedule.objects.all()]
    fires = schedule_fire_many(slots)
    assert [str(fire.schedule_id) for fire in fires] == [second]
    assert Job.objects.filter(schedule_id=first).count() == 0 and Job.objects.filter(schedule_id=second).count() == 1
    assert Schedule.objects.get(pk=first).run_count == 0


def test_a_slot_is_not_taken_before_its_time(api):
    # rq-scheduler scores in whole seconds: a slot at hh:mm:ss.999 is "due" from hh:mm:ss.000.
    body = create(api, kind="interval", every_seconds=60).json()
    if timezone.now().microsecond > 900_000:
        time.sleep(0.15)
    slot = timezone.now().replace(microsecond=999_000)
    Schedule.objects.filter(pk=body["id"]).update(next_run_at=slot)
    schedule_arm(Schedule.objects.get(pk=body["id"]))
    scheduler = ConveyorScheduler(connection=redis_connection())
    assert scheduler.get_jobs_to_queue() == []
    assert scheduler._next_due == slot.timestamp()  # the loop wakes up for it
    time.sleep(slot.timestamp() - time.time() + 0.01)
    assert [job.id for job in scheduler.get_jobs_to_queue()] == [arm_id(body["id"])]


def test_the_loop_waits_for_the_next_tick_unless_the_pass_ran_past_it():
    scheduler = ConveyorScheduler(connection=redis_connection(), interval=1)
    started = 1_000_000.005  # a pass starts just after a whole second
    assert scheduler._pause(started, now=started + 0.3) == pytest.approx(0.7)
    scheduler._next_due = 1_000_000.6  # a slot seen within the second
    assert scheduler._pause(started, now=started + 0.3) == pytest.approx(0.3)
    scheduler._next_due = None
    # A pass that ran into the next second: the slots that fell due meanwhile fire at once,
    # not a whole second late.
    assert scheduler._pause(started, now=1_000_001.2) == 0


def test_a_fire_armed_under_the_entry_point_s_old_path_still_fires(api, monkeypatch):
    body = create(api, kind="interval", every_seconds=60).json()
    slot = timezone.now().replace(microsecond=0) - timedelta(seconds=1)
    Schedule.objects.filter(pk=body["id"]).update(next_run_at=slot)
    with monkeypatch.context() as patch:
        patch.setattr(schedules, "FIRE_SCHEDULE", "jobs.schedules.schedule_fire")  # as releases before jobs/scheduling/
        schedule_arm(Schedule.objects.get(pk=body["id"]))
    assert JsonJob.fetch(arm_id(body["id"]), connection=redis_connection()).func_name == "jobs.schedules.schedule_fire"
    ConveyorScheduler(connection=redis_connection()).enqueue_jobs()
    fire = ScheduleFire.objects.get(schedule_id=body["id"])
    assert fire.fire_at == slot and fire.outcome == "fired" and fire.job is not None


def test_misfire_policies_after_downtime(api):
    run_once = create(api, name="a", kind="interval", every_seconds=60).json()["id"]
    skip = create(api, name="b", kind="interval", every_seconds=60, misfire_policy="skip").json()["id"]
    hour_ago = timezone.now() - timedelta(hours=1)
    Schedule.objects.update(next_run_at=hour_ago, start_at=hour_ago)
    assert fire_due(run_once).outcome == "fired"
    assert fire_due(skip).outcome == "missed"
    for schedule in Schedule.objects.all():
        assert schedule.next_run_at > timezone.now()  # back on cadence, no flood of catch-ups
    assert Job.objects.count() == 1


def test_overlap_skip_records_the_skipped_slot(api):
    body = create(api, kind="interval", every_seconds=60, overlap_policy="skip").json()
    assert fire_due(body["id"]).outcome == "fired"
    assert fire_due(body["id"]).outcome == "skipped_overlap"  # the first run has not finished
    run_worker()
    assert fire_due(body["id"]).outcome == "fired"
    assert Job.objects.count() == 2


def test_pause_disarms_a_schedule_and_clears_its_fires(api):
    body = create(api, kind="interval", every_seconds=60).json()
    paused = api.post(f"{body['url']}pause/").json()
    assert paused["state"] == "paused" and paused["upcoming"] == [] and paused["next_run_at"] is None
    assert armed_at(body["id"]) is None


def test_pausing_a_paused_schedule_is_a_no_op(api):
    body = create(api, kind="interval", every_seconds=60).json()
    api.post(f"{body['url']}pause/")
    assert api.post(f"{body['url']}pause/").json()["state"] == "paused"


def test_a_stale_arming_of_a_paused_schedule_fires_nothing(api):
    body = create(api, kind="interval", every_seconds=60).json()
    api.post(f"{body['url']}pause/")
    assert fire_due(body["id"]) is None


def test_resume_rearms_a_paused_schedule(api):
    body = create(api, kind="interval", every_seconds=60).json()
    api.post(f"{body['url']}pause/")
    resumed = api.post(f"{body['url']}resume/").json()
    assert resumed["state"] == "active" and armed_at(body["id"]) is not None
    assert resumed["next_run_at"] == resumed["upcoming"][0]


def test_trigger_starts_a_run_now_and_counts_it(api):
    body = create(api, kind="interval", every_seconds=60).json()
    triggered = api.post(f"{body['url']}trigger/")
    assert triggered.status_code == 202 and triggered["Location"].endswith(f"/jobs/{triggered.json()['id']}/")
    assert triggered.json()["schedule"] == body["id"]
    assert api.get(body["url"]).json()["run_count"] == 1


def test_patch_rearms(api):
    body = create(api, kind="cron", cron="0 3 * * *").json()
    changed = api.patch(body["url"], {"cron": "30 4 * * *"}, format="json")
    assert changed.status_code == 200, changed.content
    next_run = parse_datetime(changed.json()["next_run_at"])
    assert (next_run.hour, next_run.minute) == (4, 30)
    assert armed_at(body["id"]) == int(next_run.timestamp())


@pytest.mark.parametrize(
    "patch", [{"cron": "61 * * * *"}, {"run_at": later(hours=1)}], ids=["invalid-cron", "not-a-cron-field"]
)
def test_an_invalid_patch_changes_nothing(api, patch):
    body = create(api, kind="cron", cron="30 4 * * *").json()
    armed = armed_at(body["id"])
    assert_problem(api.patch(body["url"], patch, format="json"), 400)
    assert Schedule.objects.get().cron == "30 4 * * *"
    assert armed is not None and armed_at(body["id"]) == armed


def test_delete_disarms(api):
    body = create(api, kind="interval", every_seconds=60).json()
    assert api.delete(body["url"]).status_code == 204
    assert armed_at(body["id"]) is None and Schedule.objects.count() == 0
    assert_problem(api.get(body["url"]), 404)


def test_rearm_restores_lost_arming(api, redis):
    body = create(api, kind="interval", every_seconds=60).json()
    scheduler = Scheduler(connection=redis, job_class=JsonJob)
    redis.zrem(scheduler.scheduled_jobs_key, arm_id(body["id"]))
    assert armed_at(body["id"]) is None
    assert schedule_rearm_missing() == 1
    assert armed_at(body["id"]) == int(parse_datetime(body["next_run_at"]).timestamp())
    assert schedule_rearm_missing() == 0


def test_preview_saves_nothing(api):
    response = api.post(
        "/api/v1/schedules/preview/", {"name": "p", **SLEEP, "kind": "interval", "every_seconds": 3600}, format="json"
    )
    assert response.status_code == 200, response.content
    upcoming = [parse_datetime(moment) for moment in response.json()["upcoming"]]
    assert len(upcoming) == 5 and all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(upcoming))
    assert Schedule.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"kind": "cron", "cron": "not a cron"}, "/cron"),
        ({"kind": "cron", "cron": "0 0 * * * *"}, "/cron"),
        ({"kind": "cron", "cron": "0 0 30 2 *"}, "/cron"),
        ({"kind": "cron", "cron": "0 3 * * *", "timezone": "Mars/Olympus"}, "/timezone"),
        ({"kind": "interval", "every_seconds": 1}, "/every_seconds"),
        ({"kind": "interval", "every_seconds": 10**9}, "/every_seconds"),
        ({"kind": "interval", "every_seconds": "60"}, "/every_seconds"),
        ({"kind": "interval", "every_seconds": 60, "enabled": "false"}, "/enabled"),
        ({"kind": "interval", "every_seconds": 60, "start_at": "9999-12-31T23:59:00Z"}, "/start_at"),
        ({"kind": "cron", "cron": "5-1 * * * *"}, "/cron"),
        ({"kind": "cron", "cron": "0 0 L * *"}, "/cron"),
        ({"kind": "cron", "cron": "0 0 * * 5#3"}, "/cron"),
        ({"kind": "at", "run_at": "2001-01-01T00:00:00Z"}, "/run_at"),
        ({"kind": "at", "run_at": "2031-01-01T00:00:00"}, "/run_at"),
        ({"kind": "at", "run_at": "2031-01-01T00:00:00Z", "end_at": "2030-01-01T00:00:00Z"}, "/end_at"),
        ({"kind": "interval", "every_seconds": 60, "max_runs": 0}, "/max_runs"),
        ({"kind": "at", "run_at": "2031-01-01T00:00:00Z", "cron": "* * * * *"}, "/cron"),
        ({"kind": "weekly"}, "/kind"),
        ({"kind": "interval", "every_seconds": 60, "task": "os.system"}, "/task"),
        ({"kind": "interval", "every_seconds": 60, "kwargs": {"seconds": "x"}}, "/kwargs/seconds"),
    ],
)
def test_bad_schedules_store_and_arm_nothing(api, redis, body, pointer):
    problem = assert_problem(create(api, **body), 400)
    assert pointer in [error["pointer"] for error in problem["errors"]], problem
    assert Schedule.objects.count() == 0
    scheduler = Scheduler(connection=redis, job_class=JsonJob)
    assert redis.zcard(scheduler.scheduled_jobs_key) == 0


def test_duplicate_name_is_409(api):
    create(api, kind="interval", every_seconds=60)
    assert_problem(create(api, kind="interval", every_seconds=60), 409)
    assert Schedule.objects.count() == 1


def test_names_are_unique_per_owner_only(api, other_api):
    """Another user's name is neither revealed by a 409 nor taken from anyone."""
    create(api, kind="interval", every_seconds=60)
    theirs = create(other_api, kind="interval", every_seconds=60)
    assert theirs.status_code == 201, theirs.content
    assert Schedule.objects.filter(name="s1").count() == 2
    assert [s["name"] for s in other_api.get("/api/v1/schedules/").json()["results"]] == ["s1"]


def test_ownership_and_filters(api, other_api, staff_api):
    mine = create(api, name="mine", kind="interval", every_seconds=60).json()
    create(other_api, name="theirs", kind="cron", cron="0 * * * *")
    assert_problem(other_api.get(mine["url"]), 404)
    assert_problem(other_api.post(f"{mine['url']}trigger/"), 404)
    assert_problem(other_api.patch(mine["url"], {"description": "x"}, format="json"), 404)
    assert [s["name"] for s in api.get("/api/v1/schedules/").json()["results"]] == ["mine"]
    assert len(staff_api.get("/api/v1/schedules/").json()["results"]) == 2
    assert [s["name"] for s in staff_api.get("/api/v1/schedules/", {"kind": "cron"}).json()["results"]] == ["theirs"]
    api.post(f"{mine['url']}pause/")
    assert [s["name"] for s in staff_api.get("/api/v1/schedules/", {"state": "paused"}).json()["results"]] == ["mine"]


def test_staff_only_task_needs_staff(api, staff_api):
    body = {"task": "accounts.purge_unactivated", "kwargs": {"older_than_days": 30}}
    assert_problem(create(api, kind="cron", cron="0 3 * * *", **body), 403)
    assert create(staff_api, kind="cron", cron="0 3 * * *", **body).status_code == 201


@pytest.fixture
def alices(api):
    """Alice's schedules: `active` (changed once, so it has two versions, and run once),
    `paused`, and `deleted` (restorable); with the version ids another user might try."""
    active = create(api, name="active", kind="interval", every_seconds=60).json()
    assert api.patch(active["url"], {"description": "changed"}, format="json").status_code == 200
    assert api.post(f"{active['url']}trigger/").status_code == 202
    paused = create(api, name="paused", kind="interval", every_seconds=60).json()
    assert api.post(f"{paused['url']}pause/").json()["state"] == "paused"
    deleted = create(api, name="deleted", kind="interval", every_seconds=60).json()
    assert api.delete(deleted["url"]).status_code == 204
    versions = api.get(f"{active['url']}versions/").json()["results"]
    assert len(versions) == 2
    (gone,) = api.get("/api/v1/schedules/deleted/").json()["results"]
    return {"active": active, "paused": paused, "version": versions[-1]["id"], "deleted_version": gone["id"]}


def everything() -> dict[str, object]:
    """What a write to any schedule would change: rows, runs, fires, audit, restore points, arming."""
    return {
        "schedules": list(Schedule.objects.order_by("pk").values()),
        "jobs": list(Job.objects.order_by("pk").values_list("pk", "state")),
        "fires": ScheduleFire.objects.count(),
        "history": Schedule.history.count(),
        "versions": Version.objects.count(),
        "armed": {str(pk): armed_at(pk) for pk in Schedule.objects.values_list("pk", flat=True)},
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "{active}", None),
        ("patch", "{active}", {"description": "bob was here", "every_seconds": 120}),
        ("delete", "{active}", None),
        ("post", "{active}pause/", None),
        ("post", "{paused}resume/", None),
        ("post", "{active}trigger/", None),
        ("get", "{active}runs/", None),
        ("get", "{active}history/", None),
        ("get", "{active}versions/", None),
        ("post", "{active}versions/{version}/revert/", None),
        ("post", "{own}versions/{version}/revert/", None),  # Alice's version onto Bob's schedule
        ("post", "/api/v1/schedules/deleted/{deleted_version}/restore/", None),
    ],
)
def test_another_users_schedule_is_404_and_unchanged(alices, other_api, method, path, body):
    own = create(other_api, name="bobs", kind="interval", every_seconds=60).json()
    url = path.format(
        own=own["url"],
        active=alices["active"]["url"],
        paused=alices["paused"]["url"],
        version=alices["version"],
        deleted_version=alices["deleted_version"],
    )
    before = everything()
    assert_problem(getattr(other_api, method)(url, body, format="json"), 404)
    assert everything() == before


def test_a_deleted_schedule_says_which_it_was_when_and_by_whom_and_how_to_restore_it(api, user):
    first = create(api, name="twin", kind="interval", every_seconds=60).json()
    api.delete(first["url"])
    second = create(api, name="twin", kind="interval", every_seconds=120).json()  # the same name again
    api.delete(second["url"])
    listed = api.get("/api/v1/schedules/deleted/").json()["results"]
    assert [entry["schedule"] for entry in listed] == [second["id"], first["id"]]
    newest = listed[0]
    assert newest["name"] == "twin" and newest["deleted_by"] == {"id": user.pk, "username": "alice"}
    assert parse_datetime(newest["deleted_at"]) > parse_datetime(second["created_at"])
    restored = api.post(newest["restore_url"])
    assert restored.status_code == 201 and restored.json()["id"] == second["id"]


def test_another_users_deleted_schedule_is_not_listed(api, alices, other_api):
    bobs = create(other_api, name="bobs", kind="interval", every_seconds=60).json()
    other_api.delete(bobs["url"])
    listed = [version["data"]["name"] for version in other_api.get("/api/v1/schedules/deleted/").json()["results"]]
    assert listed == ["bobs"]
    assert [version["data"]["name"] for version in api.get("/api/v1/schedules/deleted/").json()["results"]] == [
        "deleted"
    ]
