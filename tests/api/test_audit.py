"""The audit trail through HTTP: who changed what, when, through which request or job."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.helpers import assert_problem, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

CRON = {"name": "nightly", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "cron", "cron": "0 3 * * *"}


def test_patch_is_attributed_to_the_request(api, user):
    url = api.post("/api/v1/schedules/", CRON, format="json").json()["url"]
    response = api.patch(url, {"cron": "30 4 * * *"}, format="json", HTTP_X_REQUEST_ID="req-patch-1")
    assert response.status_code == 200
    newest = api.get(f"{url}history/").json()["results"][0]
    assert newest["action"] == "changed"
    assert newest["actor"] == {"id": user.id, "username": "alice"}
    assert newest["via"]["channel"] == "api" and newest["via"]["request_id"] == "req-patch-1"
    assert [c for c in newest["changes"] if c["field"] != "modified_at"] == [
        {"field": "cron", "old": "0 3 * * *", "new": "30 4 * * *"}
    ]


def test_first_entry_has_everything_new(api):
    url = api.post("/api/v1/schedules/", CRON, format="json").json()["url"]
    (created,) = api.get(f"{url}history/").json()["results"]
    assert created["action"] == "created"
    changes = {c["field"]: c for c in created["changes"]}
    assert changes["cron"] == {"field": "cron", "old": None, "new": "0 3 * * *"}
    assert changes["owner"]["new"] == created["actor"]["id"]
    assert created["snapshot"]["name"] == "nightly"


def test_staff_revert_to_first_version(api, staff_api, staff_user):
    url = api.post("/api/v1/schedules/", CRON, format="json").json()["url"]
    api.patch(url, {"cron": "30 4 * * *", "description": "later"}, format="json")
    versions = staff_api.get(f"{url}versions/").json()["results"]
    assert len(versions) == 2 and versions[0]["comment"].startswith("changed")
    first = versions[-1]
    assert first["data"]["cron"] == "0 3 * * *" and first["actor"]["username"] == "alice"
    reverted = staff_api.post(f"{url}versions/{first['id']}/revert/")
    assert reverted.status_code == 200, reverted.content
    body = reverted.json()
    assert body["cron"] == "0 3 * * *" and body["description"] == ""
    assert body["modified_by"]["username"] == "carol"
    newest = staff_api.get(f"{url}history/").json()["results"][0]
    assert newest["reason"] == f"revert to version {first['id']}"
    assert newest["actor"]["username"] == "carol"
    assert len(staff_api.get(f"{url}versions/").json()["results"]) == 3


def test_delete_and_restore_keep_the_id_and_the_story(api):
    body = api.post("/api/v1/schedules/", CRON, format="json").json()
    api.patch(body["url"], {"description": "x"}, format="json")
    assert api.delete(body["url"]).status_code == 204
    deleted = api.get("/api/v1/schedules/deleted/").json()["results"]
    assert [d["data"]["name"] for d in deleted] == ["nightly"]
    restored = api.post(f"/api/v1/schedules/deleted/{deleted[0]['id']}/restore/")
    assert restored.status_code == 201, restored.content
    assert restored.json()["id"] == body["id"] and restored.json()["state"] == "active"
    assert restored.json()["next_run_at"] is not None
    actions = [e["action"] for e in api.get(f"{body['url']}history/").json()["results"]]
    assert actions == ["created", "deleted", "changed", "created"]
    assert api.get("/api/v1/schedules/deleted/").json()["results"] == []


def test_purge_job_deletions_are_attributed_to_the_job(staff_api, staff_user, django_user_model):
    old = timezone.now() - timezone.timedelta(days=90)
    for name in ("ghost1", "ghost2"):
        django_user_model.objects.create(username=name, is_active=False, date_joined=old)
    job = staff_api.post(
        "/api/v1/jobs/", {"task": "accounts.purge_unactivated", "kwargs": {"older_than_days": 30}}, format="json"
    ).json()
    run_worker()
    assert staff_api.get(job["url"]).json()["state"] == "succeeded"
    feed = staff_api.get("/api/v1/audit/events/", {"model": "auth.user", "action": "deleted"}).json()["results"]
    assert sorted(e["snapshot"]["username"] for e in feed) == ["ghost1", "ghost2"]
    for entry in feed:
        assert entry["actor"]["username"] == "carol"
        assert entry["via"] == {"channel": "job", "request_id": None, "job": job["id"], "schedule": None}
        assert entry["snapshot"]["password"] == "***"
        assert entry["model"] == "auth.user" and entry["object_repr"].startswith("ghost")
    by_job = staff_api.get("/api/v1/audit/events/", {"job": job["id"], "model": "auth.user"}).json()["results"]
    assert len(by_job) == 2


def test_job_history_shows_its_life_and_who_canceled_it(api, staff_api, user):
    finished = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json").json()
    run_worker()
    entries = api.get(f"{finished['url']}history/").json()["results"]
    states = [(e["action"], e["snapshot"]["state"], e["via"]["channel"]) for e in reversed(entries)]
    assert states == [("created", "queued", "api"), ("changed", "running", "job"), ("changed", "succeeded", "job")]
    assert all(e["actor"]["username"] == "alice" for e in entries)

    waiting = api.post(
        "/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}, "delay_seconds": 600}, format="json"
    ).json()
    staff_api.post(f"{waiting['url']}cancel/")
    newest = api.get(f"{waiting['url']}history/").json()["results"][0]
    assert newest["snapshot"]["state"] == "canceled" and newest["actor"]["username"] == "carol"
    assert {"field": "state", "old": "scheduled", "new": "canceled"} in newest["changes"]


def test_as_of_returns_the_state_at_a_time(api):
    url = api.post("/api/v1/schedules/", CRON, format="json").json()["url"]
    between = timezone.now()
    api.patch(url, {"cron": "30 4 * * *"}, format="json")
    entries = api.get(f"{url}history/", {"as_of": between.isoformat()}).json()["results"]
    assert len(entries) == 1 and entries[0]["snapshot"]["cron"] == "0 3 * * *"


def test_token_secrets_never_show(staff_api, staff_user):
    feed = staff_api.get("/api/v1/audit/events/", {"model": "accounts.apitoken"}).json()["results"]
    assert feed and all(e["snapshot"]["digest"] == "***" for e in feed)
    assert all(c["new"] == "***" for e in feed for c in e["changes"] if c["field"] == "digest")


def test_access_rules(api, other_api):
    url = api.post("/api/v1/schedules/", CRON, format="json").json()["url"]
    assert_problem(other_api.get(f"{url}history/"), 404)
    assert_problem(other_api.get(f"{url}versions/"), 404)
    assert_problem(api.get("/api/v1/audit/events/"), 403)
    job = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json").json()
    assert_problem(other_api.get(f"{job['url']}history/"), 404)


def test_no_endpoint_writes_audit_records(staff_api):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(staff_api, method)("/api/v1/audit/events/", {}, format="json")
        assert_problem(response, 405)


def test_failed_validation_leaves_no_history(api):
    assert_problem(api.post("/api/v1/schedules/", {**CRON, "cron": "bad"}, format="json"), 400)
    user_model = get_user_model()
    assert user_model.history.filter(history_type="~").count() == 0
    from jobs.models import Schedule

    assert Schedule.history.count() == 0


def test_feed_pages_cover_every_entry_once_in_order_with_equal_times(staff_api, django_user_model):
    """Entries of several models with the same history_date: the cursor position (time, model,
    id) must split pages without losing or repeating an entry."""
    from audit.registry import audited_labels, audited_model

    for name in ("tie1", "tie2", "tie3"):
        django_user_model.objects.create(username=name)
    for _ in range(3):
        assert staff_api.post("/api/v1/jobs/", {"task": "demo.noop"}, format="json").status_code == 202
    same = timezone.now()
    expected = []
    for label in audited_labels():
        history = audited_model(label).model.history  # type: ignore[attr-defined]
        history.update(history_date=same)
        expected += [(same, label, pk) for pk in history.values_list("history_id", flat=True)]
    expected = [(label, pk) for _, label, pk in sorted(expected, reverse=True)]
    assert len(expected) >= 7

    seen, url = [], "/api/v1/audit/events/?page_size=2"
    while url and len(seen) <= len(expected):  # a cursor that repeats entries must not loop forever
        page = staff_api.get(url).json()
        seen += [(entry["model"], entry["id"]) for entry in page["results"]]
        url = page["next"]
    assert seen == expected
