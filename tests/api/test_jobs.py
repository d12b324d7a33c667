"""Jobs through the HTTP API, run by a real RQ worker on a real Redis."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from core.redis import redis_connection
from jobs import registry, selectors
from jobs.engine import dispatch
from jobs.models import Job
from jobs.runtime import PermanentFailure
from jobs.services.idempotency import idempotency_release
from jobs.services.jobs import JobSpec, job_submit
from tests.helpers import assert_problem, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

SLEEP = {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 2}}


def queued_in_redis() -> int:
    return sum(dispatch.queue(name).count for name in settings.QUEUE_NAMES)


def submit(client, body, **headers):
    return client.post("/api/v1/jobs/", body, format="json", **headers)


def get(client, job_id, **extra):
    return client.get(f"/api/v1/jobs/{job_id}/", **extra)


def test_tasks_are_listed_with_their_schemas(api):
    tasks = {t["name"]: t for t in api.get("/api/v1/tasks/").json()}
    assert {
        "mail.send",
        "web.page_length",
        "accounts.purge_unactivated",
        "accounts.check_engagement",
        "demo.sleep",
        "demo.fail",
    } <= set(tasks)
    assert tasks["demo.sleep"]["parameters"]["required"] == ["seconds"]
    assert tasks["accounts.purge_unactivated"]["staff_only"] is True


def test_a_task_is_read_by_its_name(api):
    assert api.get("/api/v1/tasks/demo.fail/").json()["name"] == "demo.fail"


def test_a_name_no_task_has_is_404(api):
    assert_problem(api.get("/api/v1/tasks/os.system/"), 404)


def test_a_submit_answers_202_with_the_job_s_location(api, user):
    response = submit(api, {"task": "demo.sleep", "kwargs": {"seconds": 0.01, "steps": 2}, "labels": {"env": "t"}})
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"] and body["url"].endswith(f"/api/v1/jobs/{body['id']}/")
    assert response["Retry-After"] == "1"
    assert body["state"] == "queued" and body["done"] is False and body["submitted_by"]["username"] == "alice"
    assert queued_in_redis() == 1


def test_a_run_s_result_progress_and_times_read_back(api, user):
    job_id = submit(api, {"task": "demo.sleep", "kwargs": {"seconds": 0.01, "steps": 2}}).json()["id"]

    run_worker()

    done = get(api, job_id).json()
    assert done["state"] == "succeeded" and done["done"] is True
    assert done["result"] == {"slept": 0.01}
    assert done["progress"] == {"current": 2, "total": 2, "percent": 100.0, "message": "step 2 of 2"}
    assert done["attempt"] == 1 and done["started_at"] and done["ended_at"] and done["enqueued_at"]


def test_a_short_run_is_one_change_attributed_to_the_job_and_its_submitter(api, user, settings):
    settings.WORKER_RUNNING_AFTER_MS = 60_000  # whatever the machine's load: this run is short
    job_id = submit(api, {"task": "demo.noop"}).json()["id"]
    run_worker()
    job = Job.objects.get(pk=job_id)
    assert job.state == "succeeded" and job.result is None and job.version == 2  # created, done
    assert job.attempt == 1 and job.started_at <= job.ended_at and job.worker
    rows = list(job.history.order_by("history_id"))
    assert [row.state for row in rows] == ["queued", "succeeded"]
    assert rows[-1].history_change_reason == "job execution: started and ended in one change"
    assert [row.history_channel for row in rows] == ["api", "job"]
    assert all(row.history_user == user and row.history_username == "alice" for row in rows)
    assert [row.history_job_id for row in rows] == [None, job.pk]


def test_a_run_that_reports_progress_is_marked_running_first(api, user, settings):
    settings.WORKER_RUNNING_AFTER_MS = 60_000  # only the progress report can mark it
    job_id = submit(api, {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}).json()["id"]
    run_worker()
    job = Job.objects.get(pk=job_id)
    rows = list(job.history.order_by("history_id"))
    assert [row.state for row in rows] == ["queued", "running", "succeeded"]
    assert [row.attempt for row in rows] == [0, 1, 1]
    assert [row.history_change_reason for row in rows[1:]] == ["job execution", "job execution"]
    assert all(row.history_user == user and row.history_channel in ("api", "job") for row in rows)


def test_result_outlives_the_rq_job(api, redis):
    job_id = submit(api, SLEEP).json()["id"]
    run_worker()
    redis.delete(f"rq:job:{job_id}")
    assert not redis.exists(f"rq:job:{job_id}")
    assert get(api, job_id).json()["result"] == {"slept": 0}


def test_an_unchanged_job_answers_304_to_its_etag(api):
    job_id = submit(api, SLEEP).json()["id"]
    first = get(api, job_id)
    etag = first["ETag"]
    assert etag.startswith('"') and first["Retry-After"] == "1"
    unchanged = get(api, job_id, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag


def test_a_finished_job_has_a_new_etag_and_no_retry_after(api):
    job_id = submit(api, SLEEP).json()["id"]
    etag = get(api, job_id)["ETag"]
    run_worker()
    changed = get(api, job_id, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Retry-After" not in changed


def test_etag_changes_with_anything_the_representation_shows(api, staff_api, user):
    job_id = submit(api, SLEEP).json()["id"]
    etag = get(api, job_id)["ETag"]
    assert get(api, job_id)["ETag"] == etag
    assert get(staff_api, job_id)["ETag"] != etag  # staff see tracebacks
    assert get(api, job_id, HTTP_HOST="localhost")["ETag"] != etag  # URLs name the host
    Job.objects.filter(pk=job_id).update(version=F("version") + 1)
    assert get(api, job_id)["ETag"] != etag
    etag = get(api, job_id)["ETag"]
    user.username = "alice2"
    user.save()
    renamed = get(api, job_id, HTTP_IF_NONE_MATCH=etag)
    assert renamed.status_code == 200 and renamed.json()["submitted_by"]["username"] == "alice2"
    assert get(staff_api, job_id).json()["submitted_by"] == {"id": user.id, "username": "alice2"}


def test_a_conditional_get_is_a_304_only_for_whoever_may_see_the_job(api, other_api, staff_api):
    job_id = submit(api, SLEEP).json()["id"]
    etag, staff_etag = get(api, job_id)["ETag"], get(staff_api, job_id)["ETag"]
    assert get(staff_api, job_id, HTTP_IF_NONE_MATCH=staff_etag).status_code == 304  # read with a join
    assert get(staff_api, job_id, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert_problem(get(other_api, job_id, HTTP_IF_NONE_MATCH="*"), 404)
    assert_problem(get(other_api, job_id, HTTP_IF_NONE_MATCH=etag), 404)
    Job.objects.filter(pk=job_id).update(state="canceled", version=F("version") + 1)
    done = get(api, job_id)
    unchanged = get(api, job_id, HTTP_IF_NONE_MATCH=done["ETag"])
    assert unchanged.status_code == 304 and "Retry-After" not in unchanged


def test_the_304_path_reads_through_job_visible(api, other_api, monkeypatch):
    """The conditional GET's one statement is compiled from jobs.selectors.job_visible: change
    the ownership rule there and that path follows (here: everyone may see every job)."""
    job_id = submit(api, SLEEP).json()["id"]
    assert_problem(get(other_api, job_id, HTTP_IF_NONE_MATCH="*"), 404)
    monkeypatch.setattr(selectors, "job_visible", lambda *, user: Job.objects.all())
    selectors._validator_statement.cache_clear()
    try:
        assert get(other_api, job_id, HTTP_IF_NONE_MATCH="*").status_code == 304
    finally:
        monkeypatch.undo()
        selectors._validator_statement.cache_clear()
    assert_problem(get(other_api, job_id, HTTP_IF_NONE_MATCH="*"), 404)


def test_a_batch_answer_reads_no_job_back(api, django_assert_max_num_queries):
    body = {"jobs": [SLEEP] * 50}
    with django_assert_max_num_queries(10):  # the token, the waiting count, the inserts: not 50
        response = api.post("/api/v1/jobs/batch/", body, format="json")
    assert response.status_code == 202
    assert all(job["depends_on"] == [] for job in response.json()["jobs"])


FUTURE = (timezone.now() + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        ({"task": "no.such.task"}, 400, "/task"),
        ({"task": "os.system", "args": ["id"]}, 400, "/task"),
        ({"task": "builtins.eval", "args": ["1"]}, 400, "/task"),
        ({"task": "demo.sleep", "kwargs": {}}, 400, "/kwargs"),
        ({"task": "demo.sleep", "kwargs": {"seconds": "ten"}}, 400, "/kwargs/seconds"),
        ({"task": "demo.sleep", "kwargs": {"seconds": 1, "extra": 1}}, 400, "/kwargs"),
        ({"task": "demo.sleep", "args": ["ten"]}, 400, "/args/0"),
        ({"task": "demo.sleep", "args": [1, 2, 3]}, 400, "/args"),
        ({"task": "demo.sleep", "args": {"seconds": 1}}, 400, "/args"),
        ({"task": "demo.sleep", "kwargs": [1]}, 400, "/kwargs"),
        ({**SLEEP, "queue": "urgent"}, 400, "/queue"),
        ({**SLEEP, "run_at": "2001-01-01T00:00:00Z"}, 400, "/run_at"),
        ({**SLEEP, "run_at": "2031-01-01T00:00:00"}, 400, "/run_at"),
        ({**SLEEP, "run_at": FUTURE, "delay_seconds": 5}, 400, "/delay_seconds"),
        ({**SLEEP, "run_at": "9999-12-31T23:59:00Z"}, 400, "/run_at"),
        ({**SLEEP, "run_at": "2200-01-01T00:00:00Z"}, 400, "/run_at"),
        ({**SLEEP, "delay_seconds": -1}, 400, "/delay_seconds"),
        ({**SLEEP, "delay_seconds": "10"}, 400, "/delay_seconds"),
        ({**SLEEP, "delay_seconds": True}, 400, "/delay_seconds"),
        ({**SLEEP, "max_retries": "1"}, 400, "/max_retries"),
        ({**SLEEP, "retry_intervals": ["5"]}, 400, "/retry_intervals/0"),
        ({**SLEEP, "labels": {"team": 7}}, 400, "/labels/team"),
        ({"task": 7}, 400, "/task"),
        ({**SLEEP, "queue": 1}, 400, "/queue"),
        ({**SLEEP, "delay_seconds": 10**12}, 400, "/delay_seconds"),
        ({**SLEEP, "timeout_seconds": 0}, 400, "/timeout_seconds"),
        ({**SLEEP, "max_retries": 1000}, 400, "/max_retries"),
        ({**SLEEP, "retry_intervals": [-5]}, 400, "/retry_intervals/0"),
        ({**SLEEP, "depends_on": ["not-a-uuid"]}, 400, "/depends_on/0"),
        ({**SLEEP, "depends_on": [str(uuid.uuid4())]}, 400, "/depends_on/0"),
        ({**SLEEP, "labels": {"__x": "y"}}, 400, "/labels"),
        ({"task": "accounts.purge_unactivated", "kwargs": {"older_than_days": 30}}, 403, None),
    ],
)
def test_bad_submissions_store_and_queue_nothing(api, body, status, pointer):
    response = submit(api, body)
    problem = assert_problem(response, status)
    if pointer is not None:
        assert pointer in [error["pointer"] for error in problem["errors"]], problem
    assert Job.objects.count() == 0
    assert queued_in_redis() == 0


def test_foreign_dependency_is_unknown(api, other_api):
    theirs = submit(other_api, SLEEP).json()["id"]
    problem = assert_problem(submit(api, {**SLEEP, "depends_on": [theirs]}), 400)
    assert problem["errors"][0]["pointer"] == "/depends_on/0"
    assert Job.objects.count() == 1


def test_a_body_that_is_not_json_is_415(api):
    assert_problem(api.post("/api/v1/jobs/", "task=demo.sleep", content_type="text/plain"), 415)
    assert Job.objects.count() == 0


def test_a_body_over_the_size_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    huge = {**SLEEP, "labels": {"big": "x" * 250, **{f"k{i}": "x" * 200 for i in range(10)}}}
    assert_problem(submit(api, huge), 413)
    assert Job.objects.count() == 0


def test_a_body_nested_too_deep_is_400(api):
    deep: list = []
    for _ in range(40):
        deep = [deep]
    assert_problem(submit(api, {"task": "demo.sleep", "args": deep}), 400)
    assert Job.objects.count() == 0


def test_malformed_job_id_is_404(api):
    assert_problem(api.get("/api/v1/jobs/123/"), 404)
    assert_problem(api.post("/api/v1/jobs/123/cancel/"), 404)


@pytest.mark.parametrize("action", ["read", "cancel", "retry"])
def test_another_user_s_job_is_404(api, other_api, action):
    mine = submit(api, SLEEP).json()["id"]
    url = f"/api/v1/jobs/{mine}/" + ("" if action == "read" else f"{action}/")
    assert_problem(other_api.get(url) if action == "read" else other_api.post(url), 404)


def test_a_user_s_list_has_only_their_jobs(api, other_api):
    mine = submit(api, SLEEP).json()["id"]
    submit(other_api, SLEEP)
    assert [j["id"] for j in api.get("/api/v1/jobs/").json()["results"]] == [mine]


def test_staff_see_every_user_s_jobs(api, other_api, staff_api):
    mine = submit(api, SLEEP).json()["id"]
    submit(other_api, SLEEP)
    assert len(staff_api.get("/api/v1/jobs/").json()["results"]) == 2
    assert get(staff_api, mine).status_code == 200


def three_jobs(api) -> list[str]:
    """The ids of three jobs told apart by every list filter, oldest first."""
    first = submit(api, {**SLEEP, "labels": {"team": "a"}}).json()["id"]
    second = submit(api, {"task": "demo.fail", "kwargs": {"message": "x"}, "queue": "low"}).json()["id"]
    third = submit(api, {**SLEEP, "delay_seconds": 600, "labels": {"team": "b"}}).json()["id"]
    return [first, second, third]


def listed(api, **params) -> list[str]:
    response = api.get("/api/v1/jobs/", params)
    assert response.status_code == 200, response.content
    return [job["id"] for job in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [2, 1, 0]),
        ({"state": ["scheduled", "queued"]}, [2, 1, 0]),
        ({"state": "scheduled"}, [2]),
        ({"task": "demo.fail"}, [1]),
        ({"queue": "low"}, [1]),
        ({"label": "team:a"}, [0]),
    ],
    ids=["newest-first", "states", "state", "task", "queue", "label"],
)
def test_the_list_filters_newest_first(api, params, expected):
    jobs = three_jobs(api)
    assert listed(api, **params) == [jobs[i] for i in expected]


def test_the_list_filters_by_creation_time(api):
    first, second, third = three_jobs(api)
    created = Job.objects.get(pk=second).created_at
    assert listed(api, created_after=created.isoformat()) == [third]
    assert listed(api, created_before=created.isoformat()) == [first]


def test_the_list_pages_with_a_cursor(api):
    first, _, _ = three_jobs(api)
    page = api.get("/api/v1/jobs/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    assert [j["id"] for j in api.get(page["next"]).json()["results"]] == [first]


def test_an_unknown_state_filter_is_400(api):
    assert_problem(api.get("/api/v1/jobs/", {"state": "sleeping"}), 400)


def test_failed_job_retries_automatically_then_fails(api, staff_api):
    job_id = submit(
        api, {"task": "demo.fail", "kwargs": {"message": "boom"}, "max_retries": 2, "retry_intervals": [0]}
    ).json()["id"]
    for _ in range(3):
        run_worker()
    job = get(api, job_id).json()
    assert job["state"] == "failed" and job["attempt"] == 3
    assert job["error"] == {"type": "RuntimeError", "message": "boom"}
    assert "RuntimeError: boom" in get(staff_api, job_id).json()["error"]["traceback"]


def test_a_job_that_succeeds_on_a_retry_shows_no_error(api, monkeypatch):
    attempts = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first attempt")
        return "ok"

    monkeypatch.setitem(registry._tasks, "tests.flaky", registry.Task("tests.flaky", flaky, "", {"type": "object"}))
    job_id = submit(api, {"task": "tests.flaky", "max_retries": 1, "retry_intervals": [0]}).json()["id"]
    run_worker()
    assert get(api, job_id).json()["error"] == {"type": "RuntimeError", "message": "first attempt"}
    run_worker()
    job = get(api, job_id).json()
    assert job["state"] == "succeeded" and job["attempt"] == 2 and job["result"] == "ok"
    assert job["error"] is None
    # The first attempt's error stays in the job's audit trail.
    history = api.get(f"/api/v1/jobs/{job_id}/history/").json()["results"]
    errors = [change["old"] for entry in history for change in entry["changes"] if change["field"] == "error"]
    assert {"type": "RuntimeError", "message": "first attempt"} in errors


@pytest.mark.parametrize(("error", "state"), [(RuntimeError, "scheduled"), (PermanentFailure, "failed")])
def test_a_permanent_failure_is_not_retried(api, monkeypatch, error, state):
    def refuse() -> None:
        raise error("no")

    monkeypatch.setitem(registry._tasks, "tests.refuse", registry.Task("tests.refuse", refuse, "", {"type": "object"}))
    job_id = submit(api, {"task": "tests.refuse", "max_retries": 2, "retry_intervals": [60]}).json()["id"]
    run_worker()
    job = get(api, job_id).json()
    assert (job["state"], job["attempt"], job["error"]["type"]) == (state, 1, error.__name__)


def test_a_jobs_history_shows_its_traceback_to_staff_only(api, staff_api):
    job_id = submit(api, {"task": "demo.fail", "kwargs": {"message": "boom"}}).json()["id"]
    run_worker()

    def errors_in_history(client):
        entries = client.get(f"/api/v1/jobs/{job_id}/history/").json()["results"]
        changed = [change["new"] for entry in entries for change in entry["changes"] if change["field"] == "error"]
        return [error for error in changed if error] + [entries[0]["snapshot"]["error"]]

    assert all(set(error) == {"type", "message"} for error in errors_in_history(api))
    assert all("RuntimeError: boom" in error["traceback"] for error in errors_in_history(staff_api))
    feed = staff_api.get("/api/v1/audit/events/", {"model": "jobs.job", "object_id": job_id}).json()["results"]
    assert "traceback" in feed[0]["snapshot"]["error"]


def test_a_job_whose_task_is_gone_after_an_upgrade_fails_once_with_a_clear_error(api, monkeypatch):
    job_id = submit(api, {**SLEEP, "max_retries": 3}).json()["id"]
    monkeypatch.delitem(registry._tasks, "demo.sleep")  # the new release no longer has it
    run_worker()
    job = get(api, job_id).json()
    assert job["state"] == "failed" and job["attempt"] == 1 and job["done"]
    assert job["error"] == {
        "type": "TaskNotRegistered",
        "message": "no task named 'demo.sleep' is registered in this worker",
    }


def test_retry_endpoint(api):
    failed = submit(api, {"task": "demo.fail", "kwargs": {"message": "x"}}).json()["id"]
    run_worker()
    retried = api.post(f"/api/v1/jobs/{failed}/retry/")
    assert retried.status_code == 202
    assert retried.json()["retry_of"] == failed and retried.json()["state"] == "queued"
    assert retried["Location"].endswith(f"/api/v1/jobs/{retried.json()['id']}/")
    ok = submit(api, SLEEP).json()["id"]
    run_worker()
    assert_problem(api.post(f"/api/v1/jobs/{ok}/retry/"), 409)


def test_cancel_queued_job_never_runs(api, redis):
    job_id = submit(api, SLEEP).json()["id"]
    response = api.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "canceled" and response.json()["done"]
    assert queued_in_redis() == 0
    run_worker()
    assert get(api, job_id).json()["attempt"] == 0
    assert api.post(f"/api/v1/jobs/{job_id}/cancel/").status_code == 200  # no-op
    done = submit(api, SLEEP).json()["id"]
    run_worker()
    assert_problem(api.post(f"/api/v1/jobs/{done}/cancel/"), 409)


def test_scheduled_job_waits_for_its_time(api):
    job_id = submit(api, {**SLEEP, "delay_seconds": 60}).json()["id"]
    assert get(api, job_id).json()["state"] == "scheduled"
    assert queued_in_redis() == 0
    run_worker()
    assert get(api, job_id).json()["state"] == "scheduled"
    Job.objects.filter(pk=job_id).update(run_at=timezone.now())
    assert dispatch.dispatch_due() == 1
    assert get(api, job_id).json()["state"] == "queued"
    run_worker()
    assert get(api, job_id).json()["state"] == "succeeded"


def test_dependent_runs_after_its_parent(api):
    parent = submit(api, SLEEP).json()["id"]
    child = submit(api, {**SLEEP, "depends_on": [parent]}).json()
    assert child["state"] == "deferred" and child["depends_on"] == [parent]
    run_worker()
    run_worker()
    assert get(api, child["id"]).json()["state"] == "succeeded"


def test_dependent_is_canceled_when_its_parent_fails(api):
    parent = submit(api, {"task": "demo.fail", "kwargs": {"message": "x"}}).json()["id"]
    child = submit(api, {**SLEEP, "depends_on": [parent]}).json()["id"]
    grandchild = submit(api, {**SLEEP, "depends_on": [child]}).json()["id"]
    run_worker()
    for job_id in (child, grandchild):
        job = get(api, job_id).json()
        assert job["state"] == "canceled" and job["error"]["type"] == "DependencyFailed"
    assert_problem(submit(api, {**SLEEP, "depends_on": [parent]}), 400)


def test_submit_while_redis_is_down_runs_exactly_once(api, settings, tmp_path):
    real_url = settings.REDIS_URL
    settings.REDIS_URL = f"unix://{tmp_path}/down.sock"
    redis_connection.cache_clear()
    dispatch.queue.cache_clear()
    try:
        response = submit(api, SLEEP)
    finally:
        settings.REDIS_URL = real_url
        redis_connection.cache_clear()
        dispatch.queue.cache_clear()
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert Job.objects.get(pk=job_id).dispatched is False
    assert queued_in_redis() == 0
    assert dispatch.dispatch_due() == 0  # still within the request's own grace period
    Job.objects.filter(pk=job_id).update(created_at=timezone.now() - timedelta(minutes=1))
    run_worker()
    run_worker()
    job = get(api, job_id).json()
    assert job["state"] == "succeeded" and job["attempt"] == 1
    assert dispatch.dispatch_due() == 0


def test_rolled_back_submission_queues_nothing(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        job_submit(spec=JobSpec(task="demo.sleep", kwargs={"seconds": 0}), actor=user)
        raise RuntimeError("the caller's transaction fails")
    assert Job.objects.count() == 0
    assert queued_in_redis() == 0


def test_batch_is_all_or_nothing(api):
    response = api.post("/api/v1/jobs/batch/", {"jobs": [SLEEP, SLEEP, SLEEP]}, format="json")
    assert response.status_code == 202, response.content
    assert len(response.json()["jobs"]) == 3 and queued_in_redis() == 3
    bad = {"jobs": [SLEEP, {"task": "demo.sleep", "kwargs": {"seconds": "x"}}, SLEEP, {"task": "nope"}]}
    problem = assert_problem(api.post("/api/v1/jobs/batch/", bad, format="json"), 400)
    assert {e["pointer"] for e in problem["errors"]} == {"/jobs/1/kwargs/seconds", "/jobs/3/task"}
    assert_problem(api.post("/api/v1/jobs/batch/", {"jobs": [SLEEP] * 1001}, format="json"), 400)
    assert Job.objects.count() == 3 and queued_in_redis() == 3


def test_idempotency_key(api, other_api):
    key = {"HTTP_IDEMPOTENCY_KEY": "order-42"}
    first = submit(api, SLEEP, **key)
    again = submit(api, SLEEP, **key)
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again["Location"] == first["Location"]
    assert_problem(submit(api, {**SLEEP, "labels": {"x": "y"}}, **key), 422)
    assert submit(other_api, SLEEP, **key).json()["id"] != first.json()["id"]  # keys are per user
    assert Job.objects.count() == 2


def test_failed_request_does_not_burn_the_key(api):
    key = {"HTTP_IDEMPOTENCY_KEY": "k1"}
    assert_problem(submit(api, {"task": "nope"}, **key), 400)
    assert submit(api, SLEEP, **key).status_code == 202
    assert Job.objects.count() == 1


def test_a_submit_that_met_the_database_down_leaves_its_key_free(api, monkeypatch):
    """The database restarts under a submit with an Idempotency-Key: the request answers 503, and
    freeing its key fails on the connection the restart broke (tests/cluster saw it). The key
    is freed on a fresh connection, so the retry is a new attempt, not a 409 for minutes."""
    key = {"HTTP_IDEMPOTENCY_KEY": "k2"}
    releases: list[object] = []

    def restarted(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    def release(record):
        releases.append(record)
        if len(releases) == 1:  # on the connection the restart broke
            raise OperationalError("the connection is lost")
        idempotency_release(record)

    monkeypatch.setattr("api.views.jobs.job_submit", restarted)
    monkeypatch.setattr("api.idempotency.idempotency_release", release)
    api.raise_request_exception = False
    assert_problem(submit(api, SLEEP, **key), 503)
    monkeypatch.setattr("api.views.jobs.job_submit", job_submit)
    retried = submit(api, SLEEP, **key)
    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried
    assert Job.objects.count() == 1


def test_concurrent_submits_with_one_key_create_one_job(user):
    from tests.helpers import client_for

    clients = [client_for(user) for _ in range(20)]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def go(client) -> None:
        from django.db import connection

        barrier.wait()
        try:
            statuses.append(submit(client, SLEEP, HTTP_IDEMPOTENCY_KEY="same").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Job.objects.count() == 1
    assert queued_in_redis() == 1
    assert set(statuses) <= {202, 409} and statuses.count(202) >= 1


def test_planted_job_naming_a_builtin_never_runs(redis, tmp_path):
    from rq.serializers import JSONSerializer

    marker = tmp_path / "pwned"
    q = dispatch.queue("default")
    planted = q.enqueue_call("os.system", args=(f"touch {marker}",))
    assert planted.get_status() == "queued"
    run_worker(dispatch_due=False)
    assert not marker.exists()
    assert q.fetch_job(planted.id).get_status() == "failed"
    raw = redis.hget(f"rq:job:{planted.id}", "data")
    JSONSerializer.loads(__import__("zlib").decompress(raw))  # stored as JSON, never pickle
