"""The example plug-in app (examples/signups, installed as CONVEYOR_APPS=conveyor_signups): its
tasks over HTTP, through Django's task API and on a schedule; its model on the audit trail; its
own views under /apps/signups/ with Conveyor's authentication. Run by a real RQ worker on a real
Redis (and, in CI, PostgreSQL)."""

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from conveyor_signups.models import Signup
from conveyor_signups.tasks import check_came_back, purge_unactivated, send_welcome
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.tasks import TaskResultStatus, task_backends
from django.tasks import task as django_task
from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
from django.utils import timezone

from audit.context import attribute
from core.errors import Invalid
from jobs.engine import dispatch
from jobs.models import Job
from tests.helpers import assert_problem, run_worker, subprocess_env, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]


@django_task
async def add_later(a: int, b: int = 1) -> int:
    """An async django.tasks task (registered when this module is imported)."""
    return a + b


WELCOME = "conveyor_signups.tasks.send_welcome"
CHECK = "conveyor_signups.tasks.check_came_back"
PURGE = "conveyor_signups.tasks.purge_unactivated"


def sign_up(client, email="ann@example.com"):
    response = client.post("/apps/signups/signups/", {"email": email}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def queued_in_redis() -> int:
    return sum(dispatch.queue(name).count for name in settings.QUEUE_NAMES)


def test_plugin_tasks_are_listed_with_schemas_from_their_type_hints(api):
    tasks = {t["name"]: t for t in api.get("/api/v1/tasks/").json()}
    assert tasks[WELCOME]["parameters"] == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"signup_id": {"type": "integer"}},
        "required": ["signup_id"],
    }
    assert tasks[WELCOME]["description"] == "Mail a new sign-up their welcome and invite code."
    assert tasks[CHECK]["parameters"]["properties"] == {"signup_id": {"type": "integer"}}  # no `context`
    assert tasks[PURGE]["parameters"]["properties"] == {"older_than_days": {"type": "integer", "default": 30}}
    assert tasks[PURGE]["parameters"]["required"] == []
    assert tasks["signups.import_contacts"]["parameters"]["required"] == ["emails"]


def test_a_view_enqueues_through_djangos_task_api_and_the_worker_runs_it(api, user):
    body = sign_up(api)
    welcome, check = Job.objects.get(pk=body["jobs"]["welcome"]), Job.objects.get(pk=body["jobs"]["check"])
    assert welcome.task == WELCOME and welcome.state == "queued" and welcome.submitted_by == user
    assert check.task == CHECK and check.state == "scheduled"
    assert timedelta(days=2, hours=23) < check.run_at - timezone.now() <= timedelta(days=3)
    assert send_welcome.get_result(str(welcome.pk)).status == TaskResultStatus.READY

    run_worker()
    result = send_welcome.get_result(str(welcome.pk))
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == "ann@example.com"
    assert result.attempts == 1 and result.finished_at is not None
    assert result.args == [Signup.objects.get().pk] and result.kwargs == {}
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]
    assert Signup.objects.get().welcomed_at is not None
    # The job itself is an ordinary Conveyor job: readable over the API by its submitter.
    assert api.get(f"/api/v1/jobs/{welcome.pk}/").json()["state"] == "succeeded"


def test_the_models_trail_is_served_by_the_audit_api_to_whom_the_app_allows(api, other_api, staff_api, user):
    signup_id = sign_up(api)["id"]
    run_worker()
    url = f"/api/v1/audit/signups.signup/{signup_id}/history/"
    history = api.get(url).json()["results"]
    assert [entry["action"] for entry in history] == ["changed", "created"]
    changed, created = history
    assert created["actor"]["username"] == "alice" and created["via"]["channel"] == "api"
    # The welcome ran in a job: attributed to the job and to the user who caused it.
    assert changed["via"]["channel"] == "job" and changed["via"]["job"] is not None
    assert changed["actor"]["username"] == "alice"
    assert [change["field"] for change in changed["changes"]] == ["modified_at", "welcomed_at"]
    assert created["snapshot"]["invite_code"] == "***"
    assert Signup.objects.get().invite_code not in str(history)
    as_of = api.get(url, {"as_of": created["at"]}).json()["results"]
    assert [entry["id"] for entry in as_of] == [created["id"]]
    assert staff_api.get(url).status_code == 200
    assert_problem(other_api.get(url), 404)  # the app's rule: owner or staff
    feed = staff_api.get("/api/v1/audit/events/", {"model": "signups.signup"}).json()["results"]
    assert {entry["object_id"] for entry in feed} == {str(signup_id)}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/audit/signups.nothing/1/history/",
        "/api/v1/audit/auth.permission/1/history/",  # a model with no trail
        "/api/v1/audit/signups.signup/not-a-number/history/",
        "/api/v1/audit/auth.user/1/history/",  # staff only, the default rule
    ],
)
def test_the_generic_audit_route_is_404_for_what_it_does_not_serve(api, url):
    assert_problem(api.get(url), 404)


def test_nothing_is_enqueued_when_the_transaction_rolls_back(user):
    signup = Signup.objects.create(owner=user, email="x@example.com")
    with pytest.raises(RuntimeError), attribute(user=user), transaction.atomic():
        send_welcome.enqueue(signup.pk)
        raise RuntimeError("the request failed after enqueueing")
    assert Job.objects.count() == 0 and queued_in_redis() == 0


def test_enqueue_checks_arguments_and_needs_a_user(user):
    with attribute(user=user), pytest.raises(Invalid) as refused:
        send_welcome.enqueue("not an id")
    assert [error.pointer for error in refused.value.errors] == ["/args/0"]
    with pytest.raises(InvalidTask, match="attributes every job to a user"):
        send_welcome.enqueue(1)
    assert Job.objects.count() == 0


def test_get_result_of_an_unknown_or_foreign_job(api):
    job_id = api.post("/api/v1/jobs/", {"task": "demo.noop"}, format="json").json()["id"]
    for result_id in (job_id, "00000000-0000-0000-0000-000000000000", "nonsense"):
        with pytest.raises(TaskResultDoesNotExist):
            send_welcome.get_result(result_id)


def test_the_backend_says_what_it_supports():
    backend = task_backends["default"]
    assert (backend.supports_defer, backend.supports_get_result, backend.supports_async_task) == (True, True, True)
    assert backend.supports_priority is False
    with pytest.raises(InvalidTask, match="priority"):
        send_welcome.using(priority=10)


def test_each_thread_has_its_own_backend_and_they_share_the_tasks(user):
    """Django makes a backend per thread (the web serves requests on several)."""
    signup = Signup.objects.create(owner=user, email="t@example.com")
    outcome = []

    def enqueue_in_a_thread() -> None:
        try:
            with attribute(user=user):
                outcome.append(send_welcome.enqueue(signup.pk).id)
        except Exception as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=enqueue_in_a_thread)
    thread.start()
    thread.join(timeout=30)
    assert task_backends["default"] is not thread_backend(send_welcome)
    (job_id,) = outcome
    assert Job.objects.get(pk=job_id).task == WELCOME


def thread_backend(task):
    found = []
    thread = threading.Thread(target=lambda: found.append(task.get_backend()))
    thread.start()
    thread.join()
    return found[0]


def test_an_async_task_runs_to_completion_in_the_worker(user):
    with attribute(user=user):
        result = add_later.enqueue(2, b=40)
    run_worker()
    assert add_later.get_result(result.id).return_value == 42


def test_a_task_that_takes_context_gets_its_attempt(api, user):
    signup = Signup.objects.create(owner=user, email="c@example.com", activated_at=timezone.now())
    with attribute(user=user):
        result = check_came_back.enqueue(signup.pk)
    run_worker()
    assert check_came_back.get_result(result.id).return_value is True
    log = api.get(f"/api/v1/jobs/{result.id}/logs/").json()["lines"]
    assert "signups.checked attempt 1" in [line["message"] for line in log]


def test_the_nightly_purge_runs_as_a_schedule(api, user):
    Signup.objects.create(owner=user, email="never@example.com")
    kept = Signup.objects.create(owner=user, email="active@example.com", activated_at=timezone.now())
    Signup.objects.update(created_at=timezone.now() - timedelta(days=40))
    body = {"name": "nightly purge", "task": PURGE, "kwargs": {"older_than_days": 30}, "kind": "cron"}
    schedule = api.post("/api/v1/schedules/", {**body, "cron": "0 3 * * *", "timezone": "Europe/Athens"}, format="json")
    assert schedule.status_code == 201, schedule.content
    job_id = api.post(f"{schedule.json()['url']}trigger/").json()["id"]
    run_worker()
    assert purge_unactivated.get_result(job_id).return_value == 1
    assert list(Signup.objects.all()) == [kept]
    (deleted,) = [e for e in Signup.history.filter(history_type="-")]
    assert str(deleted.history_job_id) == job_id and deleted.history_user == user


def test_a_long_conveyor_task_reports_progress(api):
    body = {"task": "signups.import_contacts", "kwargs": {"emails": ["a@example.com", "b@example.com"]}}
    job_id = api.post("/api/v1/jobs/", body, format="json").json()["id"]
    run_worker()
    job = api.get(f"/api/v1/jobs/{job_id}/").json()
    assert job["result"] == {"imported": 2} and job["progress"]["percent"] == 100
    assert Signup.objects.filter(owner__username="alice").count() == 2


def test_plugin_tasks_over_http_validate_like_any_task(api):
    problem = assert_problem(
        api.post("/api/v1/jobs/", {"task": WELCOME, "kwargs": {"signup_id": "x"}}, format="json"), 400
    )
    assert [error["pointer"] for error in problem["errors"]] == ["/kwargs/signup_id"]


def test_plugin_views_use_conveyors_authentication(anon, other_api, api):
    assert_problem(anon.post("/apps/signups/signups/", {"email": "a@example.com"}, format="json"), 401)
    signup_id = sign_up(api)["id"]
    assert_problem(other_api.get(f"/apps/signups/signups/{signup_id}/"), 404)
    assert_problem(api.post("/apps/signups/signups/", {"email": "not an address"}, format="json"), 400)


def test_a_real_worker_process_runs_plugin_tasks(api):
    """The worker imports the same plug-in apps as the web (CONVEYOR_APPS from its environment)."""
    body = sign_up(api)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", *settings.QUEUE_NAMES],
        cwd=settings.BASE_DIR,
        env={**subprocess_env(), "CONVEYOR_WORKER": "fork"},
    )
    try:
        wait_until(lambda: Job.objects.get(pk=body["jobs"]["welcome"]).done, timeout=30)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert Job.objects.get(pk=body["jobs"]["welcome"]).state == "succeeded"
    assert Signup.objects.get().welcomed_at is not None


def test_a_plug_in_catching_the_old_error_path_still_catches_it(user):
    from jobs import errors as old_home  # deprecated, importable for one release (docs/your-tasks.md)

    with attribute(user=user), pytest.raises(old_home.Invalid):
        send_welcome.enqueue("not an id")
