"""conveyor_client.django.RemoteBackend, Django's task API over HTTP, against a live service
running the example plug-in app: results read back with their return values, refusals with the
server's pointers, a lost response retried into exactly one job, unknown results, bad tokens
that never show up in messages; and the committed typed client beside it."""

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conveyor_client.api_client.api.jobs import jobs_cancel, jobs_list, jobs_retrieve, jobs_submit
from conveyor_client.api_client.api.me import me_retrieve
from conveyor_client.api_client.api.tasks import tasks_list
from conveyor_client.api_client.models import JobStateEnum, JobSubmitInput
from conveyor_client.errors import AuthError, Rejected, Unavailable
from conveyor_signups.tasks import check_came_back, purge_unactivated, send_welcome
from django.tasks import TaskResultStatus
from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist

from tests.clients.conftest import ALIAS, Recorder

PURGE = "conveyor_signups.tasks.purge_unactivated"


def sign_up(live, email):
    base, token = live
    response = httpx.post(
        f"{base}/apps/signups/signups/", json={"email": email}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def finished(task, result_id, timeout=30):
    deadline = time.monotonic() + timeout
    while not (result := task.get_result(result_id)).is_finished:
        assert time.monotonic() < deadline, f"{result_id} still {result.status}"
        time.sleep(0.2)
    return result


def jobs_of(typed, task_name):
    page = jobs_list.sync(client=typed, task=task_name, page_size=200)
    assert page is not None
    return [str(job.id) for job in page.results]


def test_a_task_runs_on_the_service_and_its_result_reads_back(live, remote):
    recorder = Recorder()
    remote(TRANSPORT=recorder)
    signup_id = sign_up(live, "remote@example.com")
    welcome = send_welcome.using(backend=ALIAS)

    result = welcome.enqueue(signup_id)
    assert uuid.UUID(result.id) and result.backend == ALIAS and result.status == TaskResultStatus.READY
    assert result.args == [signup_id] and result.kwargs == {}

    done = finished(welcome, result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL and done.return_value == "remote@example.com"
    assert done.attempts == 1 and done.finished_at is not None and done.errors == []
    # Asking again costs a 304: the last representation is kept with its ETag.
    again = welcome.get_result(result.id)
    request, response = recorder.exchanges[-1]
    assert request.headers["If-None-Match"] == response.headers["ETag"] and response.status_code == 304
    assert again.return_value == "remote@example.com" and again.finished_at == done.finished_at
    # The async API runs the same code (BaseTaskBackend's sync_to_async).
    assert asyncio.run(welcome.aget_result(result.id)).return_value == "remote@example.com"


def test_a_task_that_takes_context_gets_it_on_the_service(live, remote):
    remote()
    signup_id = sign_up(live, "context@example.com")
    check = check_came_back.using(backend=ALIAS)
    result = finished(check, check.enqueue(signup_id).id)
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value is False


def test_run_after_defers_the_job_and_a_canceled_job_reads_failed(remote, typed):
    remote()
    run_after = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    purge = purge_unactivated.using(backend=ALIAS, run_after=run_after, queue_name="low")
    result = purge.enqueue(older_than_days=7)
    assert result.status == TaskResultStatus.READY and result.kwargs == {"older_than_days": 7}

    job = jobs_retrieve.sync(id=uuid.UUID(result.id), client=typed)
    assert job is not None and job.state == JobStateEnum.SCHEDULED
    assert job.run_at == run_after and job.queue == "low"
    jobs_cancel.sync(id=uuid.UUID(result.id), client=typed)
    canceled = purge.get_result(result.id)
    assert canceled.status == TaskResultStatus.FAILED and canceled.finished_at is not None


def test_arguments_failing_the_schema_are_rejected_with_the_servers_pointers(remote, typed):
    remote()
    before = jobs_of(typed, "conveyor_signups.tasks.send_welcome")
    with pytest.raises(Rejected) as refused:
        send_welcome.using(backend=ALIAS).enqueue("not an id")
    assert refused.value.status == 400 and refused.value.pointers == ["/args/0"]
    assert "/args/0" in str(refused.value) and isinstance(refused.value, ValueError)
    assert refused.value.request_id
    assert jobs_of(typed, "conveyor_signups.tasks.send_welcome") == before


def test_a_lost_response_is_retried_with_the_same_key_and_makes_one_job(remote, typed):
    recorder = Recorder(lose_first_post=True)
    remote(TRANSPORT=recorder, BACKOFF=0.05)
    before = jobs_of(typed, PURGE)

    result = purge_unactivated.using(backend=ALIAS).enqueue()

    after = jobs_of(typed, PURGE)
    assert len(after) == len(before) + 1 and after[0] == result.id
    posts = [(request, response) for request, response in recorder.exchanges if request.method == "POST"]
    assert len(posts) == 2  # the first one was processed, then its response was lost
    keys = {request.headers.get("Idempotency-Key") for request, _ in posts}
    assert len(keys) == 1 and str(keys.pop()).startswith("django-task-")
    assert posts[1][1].headers["Idempotent-Replayed"] == "true"
    assert posts[1][1].json()["id"] == posts[0][1].json()["id"] == result.id


def test_an_unreachable_service_is_unavailable_after_bounded_retries(remote):
    recorder = Recorder()
    remote(URL="http://127.0.0.1:9", TRANSPORT=recorder, RETRIES=2, BACKOFF=0.01, TIMEOUT=2)
    with pytest.raises(Unavailable, match="after 3 attempts: ConnectError"):
        purge_unactivated.using(backend=ALIAS).enqueue()


@pytest.mark.parametrize("result_id", [str(uuid.uuid4()), "nonsense", "foreign"])
def test_results_that_are_not_there_do_not_exist(remote, typed, result_id):
    remote()
    if result_id == "foreign":  # a job of a task that is not a Django task here
        body = JobSubmitInput.from_dict({"task": "demo.noop"})
        submitted = jobs_submit.sync(client=typed, body=body)
        assert submitted is not None
        result_id = str(submitted.id)
    with pytest.raises(TaskResultDoesNotExist):
        send_welcome.using(backend=ALIAS).get_result(result_id)


def test_a_bad_token_is_an_auth_error_that_never_shows_the_token(remote, caplog):
    secret = "cvy_this-is-not-a-valid-token-0123456789"
    remote(TOKEN=secret)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as refused:
        send_welcome.using(backend=ALIAS).enqueue(1)
    with pytest.raises(AuthError) as refused_read:
        send_welcome.using(backend=ALIAS).get_result(str(uuid.uuid4()))
    for error in (refused.value, refused_read.value):
        assert error.status == 401
        assert secret not in f"{error} {error!r} {error.problem}"
    assert secret not in caplog.text and "cvy_" not in caplog.text


def test_the_backend_says_what_it_supports(remote):
    backend = remote()
    assert (backend.supports_defer, backend.supports_get_result, backend.supports_async_task) == (True, True, True)
    assert backend.supports_priority is False
    with pytest.raises(InvalidTask, match="priority"):
        send_welcome.using(backend=ALIAS, priority=10)
    with pytest.raises(InvalidTask, match="Queue 'nightly'"):
        send_welcome.using(backend=ALIAS, queue_name="nightly")


def test_the_typed_client_reads_who_and_what_may_run(typed):
    me = me_retrieve.sync(client=typed)
    assert me is not None and me.username == "fuzzer-plain" and me.is_staff is False
    tasks = {task.name: task for task in tasks_list.sync(client=typed) or []}
    welcome = tasks["conveyor_signups.tasks.send_welcome"]
    assert welcome.parameters["required"] == ["signup_id"]
