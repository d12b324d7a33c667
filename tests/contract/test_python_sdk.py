"""The typed Python client committed in clients/python (conveyor_client.api_client, generated from
openapi/openapi.yaml by `make client`; `make client-check` fails when it is stale) drives a live
service through every operation of the schema, with at least one 4xx per tag, and a strict
OpenAPI 3.1 validator (openapi-core) checks every response it sees against the committed schema."""

import time
from typing import Any
from uuid import UUID, uuid4

import pytest
from conveyor_client.api_client import AuthenticatedClient, Client, models
from conveyor_client.api_client.api.audit import audit_events_list, audit_history
from conveyor_client.api_client.api.auth import (
    csrf_retrieve,
    session_create,
    session_destroy,
    tokens_create,
    tokens_list,
    tokens_revoke,
)
from conveyor_client.api_client.api.jobs import (
    jobs_batch,
    jobs_cancel,
    jobs_events,
    jobs_history,
    jobs_list,
    jobs_logs,
    jobs_retrieve,
    jobs_retry,
    jobs_submit,
)
from conveyor_client.api_client.api.me import me_retrieve
from conveyor_client.api_client.api.metrics import metrics
from conveyor_client.api_client.api.queues import queues_history, queues_list
from conveyor_client.api_client.api.schedules import (
    schedules_create,
    schedules_delete,
    schedules_deleted,
    schedules_history,
    schedules_list,
    schedules_pause,
    schedules_preview,
    schedules_restore,
    schedules_resume,
    schedules_retrieve,
    schedules_revert,
    schedules_runs,
    schedules_trigger,
    schedules_update,
    schedules_versions,
)
from conveyor_client.api_client.api.tasks import tasks_list, tasks_retrieve
from conveyor_client.api_client.api.workers import workers_list
from conveyor_client.api_client.models import JobStateEnum, JobSubmitInput, TaskEnum, TokenCreateInput
from conveyor_client.api_client.types import UNSET

from tests.contract.strict import Seen

BASIC = {"Authorization": "Basic ZnV6emVyOmZ1enotcGFzc3dvcmQtMQ=="}  # live_service()'s staff user


# Starting the service and ~80 calls, jobs run by a real worker: about a minute on an idle 2-core
# machine, more while it is shared; the suite's 120 s default is for a single test's own work.
@pytest.mark.timeout(360)
def test_the_generated_client_calls_every_operation_and_every_response_is_in_the_schema(service):
    base, tokens = service
    seen = Seen()
    hooks: dict[str, Any] = {"event_hooks": {"response": [seen]}}

    def client(token: str) -> AuthenticatedClient:
        return AuthenticatedClient(base_url=base, token=token, httpx_args=hooks)

    anonymous = Client(base_url=base, httpx_args=hooks)
    plain = client(tokens["plain"])
    _auth(base, hooks, anonymous)
    token = tokens_create.sync(
        client=Client(base_url=base, headers=BASIC, httpx_args=hooks), body=TokenCreateInput(name="sdk")
    )
    assert token is not None and token.token.startswith("cvy_")
    staff = client(token.token)
    _me_and_tasks(staff, anonymous)
    job_id = _jobs(staff)
    _schedules(staff)
    _operations_and_audit(staff, plain, job_id)

    seen.assert_complete()


def _auth(base: str, hooks: dict[str, Any], anonymous: Client) -> None:
    csrf = csrf_retrieve.sync(client=anonymous)
    assert isinstance(csrf, models.CsrfTokenOutput)
    browser = Client(
        base_url=base,
        headers={"X-CSRFToken": csrf.csrf_token},
        cookies={"csrftoken": csrf.csrf_token},
        httpx_args=hooks,
    )
    wrong = models.SessionCreateInput(username="fuzzer", password="not-the-password")
    assert session_create.sync_detailed(client=browser, body=wrong).status_code == 401
    right = models.SessionCreateInput(username="fuzzer", password="fuzz-password-1")
    me = session_create.sync(client=browser, body=right)
    assert isinstance(me, models.MeOutput) and me.is_staff
    rotated = csrf_retrieve.sync(client=browser)  # signing in rotates the CSRF token
    assert isinstance(rotated, models.CsrfTokenOutput) and rotated.csrf_token != csrf.csrf_token
    browser.get_httpx_client().headers["X-CSRFToken"] = rotated.csrf_token
    assert session_destroy.sync_detailed(client=browser).status_code == 204

    basic = Client(base_url=base, headers=BASIC, httpx_args=hooks)
    spare = tokens_create.sync(client=basic, body=TokenCreateInput(name="spare"))
    assert isinstance(spare, models.TokenCreatedOutput)
    listed = tokens_list.sync(client=basic)
    assert isinstance(listed, models.PaginatedTokenOutputList) and "spare" in [t.name for t in listed.results]
    assert tokens_revoke.sync_detailed(id=spare.id, client=basic).status_code == 204
    assert tokens_revoke.sync_detailed(id=spare.id, client=basic).status_code == 404


def _me_and_tasks(staff: AuthenticatedClient, anonymous: Client) -> None:
    me = me_retrieve.sync(client=staff)
    assert isinstance(me, models.MeOutput) and me.username == "fuzzer"
    assert me_retrieve.sync_detailed(client=anonymous).status_code == 401  # type: ignore[arg-type]
    listed = tasks_list.sync(client=staff)
    assert isinstance(listed, list) and "demo.sleep" in [task.name for task in listed]
    task = tasks_retrieve.sync(name=TaskEnum.DEMO_SLEEP, client=staff)
    assert isinstance(task, models.TaskOutput) and task.name == "demo.sleep"
    assert tasks_list.sync_detailed(client=anonymous).status_code == 401  # type: ignore[arg-type]


def _wait_done(client: AuthenticatedClient, job_id: UUID) -> models.JobOutput:
    etag, job, deadline = None, None, time.monotonic() + 30
    while time.monotonic() < deadline:
        response = jobs_retrieve.sync_detailed(id=job_id, client=client, if_none_match=etag or UNSET, wait=5)
        if response.status_code == 304:
            continue
        assert response.status_code == 200 and isinstance(response.parsed, models.JobOutput)
        etag, job = response.headers["ETag"], response.parsed
        if job.done:
            assert jobs_retrieve.sync_detailed(id=job_id, client=client, if_none_match=etag).status_code == 304
            return job
    raise AssertionError(f"job {job_id} not done: {job}")


def _jobs(staff: AuthenticatedClient) -> UUID:
    submit = JobSubmitInput.from_dict({"task": "demo.sleep", "kwargs": {"seconds": 0.5, "steps": 2}})
    accepted = jobs_submit.sync_detailed(client=staff, body=submit, idempotency_key="sdk-1")
    assert accepted.status_code == 202 and isinstance(accepted.parsed, models.JobOutput)
    replayed = jobs_submit.sync_detailed(client=staff, body=submit, idempotency_key="sdk-1")
    assert replayed.headers["Idempotent-Replayed"] == "true"
    job = _wait_done(staff, accepted.parsed.id)
    assert job.state == JobStateEnum.SUCCEEDED and job.result == {"slept": 0.5}
    assert jobs_cancel.sync_detailed(id=job.id, client=staff).status_code == 409  # a succeeded job

    bad = JobSubmitInput.from_dict({"task": "demo.sleep", "kwargs": {"seconds": -1}})
    assert jobs_submit.sync_detailed(client=staff, body=bad).status_code == 400

    long = jobs_submit.sync(
        client=staff, body=JobSubmitInput.from_dict({"task": "demo.sleep", "kwargs": {"seconds": 30}})
    )
    assert isinstance(long, models.JobOutput)
    canceled = jobs_cancel.sync(id=long.id, client=staff)
    assert isinstance(canceled, models.JobOutput) and canceled.state == JobStateEnum.CANCELED
    retried = jobs_retry.sync_detailed(id=long.id, client=staff)
    assert retried.status_code == 202 and isinstance(retried.parsed, models.JobOutput)
    assert retried.parsed.retry_of == long.id
    jobs_cancel.sync(id=retried.parsed.id, client=staff)

    batch = models.JobBatchInput.from_dict({"jobs": [{"task": "demo.sleep", "kwargs": {"seconds": 0}}] * 2})
    submitted = jobs_batch.sync(client=staff, body=batch)
    assert isinstance(submitted, models.JobBatchOutput) and len(submitted.jobs) == 2

    listed = jobs_list.sync(client=staff, state=[JobStateEnum.SUCCEEDED], task="demo.sleep")
    assert isinstance(listed, models.PaginatedJobOutputList) and job.id in [j.id for j in listed.results]
    history = jobs_history.sync(id=job.id, client=staff)
    assert isinstance(history, models.PaginatedAuditEntryOutputList) and history.results[-1].action.value == "created"
    logs = jobs_logs.sync(id=job.id, client=staff)
    assert isinstance(logs, models.JobLogOutput)
    # The stream of a done job, resumed from its last version: nothing more will come.
    assert jobs_events.sync_detailed(id=job.id, client=staff, last_event_id=job.version).status_code == 204
    assert jobs_retrieve.sync_detailed(id=uuid4(), client=staff).status_code == 404
    return job.id


def _schedules(staff: AuthenticatedClient) -> None:
    body = {"name": "sdk-nightly", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "cron", "cron": "0 3 * * *"}
    cron = models.ScheduleCronInput.from_dict({**body, "timezone": "Europe/Athens"})
    preview = schedules_preview.sync(client=staff, body=cron)
    assert isinstance(preview, models.SchedulePreviewOutput) and len(preview.upcoming) == 5
    unsatisfiable = models.ScheduleCronInput.from_dict({**body, "cron": "0 0 30 2 *"})
    assert schedules_preview.sync_detailed(client=staff, body=unsatisfiable).status_code == 400

    created = schedules_create.sync_detailed(client=staff, body=cron, idempotency_key="sdk-schedule")
    assert created.status_code == 201 and isinstance(created.parsed, models.ScheduleOutput)
    schedule = created.parsed
    assert created.headers["Location"] == schedule.url
    assert schedules_create.sync_detailed(client=staff, body=cron).status_code == 409  # the name is taken
    assert isinstance(schedules_retrieve.sync(id=schedule.id, client=staff), models.ScheduleOutput)
    listed = schedules_list.sync(client=staff, kind=models.ScheduleKindEnum.CRON)
    assert isinstance(listed, models.PaginatedScheduleOutputList) and [s.id for s in listed.results] == [schedule.id]

    change = models.PatchedScheduleChangeInput.from_dict({"description": "changed by the SDK"})
    changed = schedules_update.sync(id=schedule.id, client=staff, body=change)
    assert isinstance(changed, models.ScheduleOutput) and changed.description == "changed by the SDK"
    paused = schedules_pause.sync(id=schedule.id, client=staff)
    assert isinstance(paused, models.ScheduleOutput) and paused.state == models.ScheduleStateEnum.PAUSED
    resumed = schedules_resume.sync(id=schedule.id, client=staff)
    assert isinstance(resumed, models.ScheduleOutput) and resumed.state == models.ScheduleStateEnum.ACTIVE
    triggered = schedules_trigger.sync_detailed(id=schedule.id, client=staff)
    assert triggered.status_code == 202 and isinstance(triggered.parsed, models.JobOutput)
    runs = schedules_runs.sync(id=schedule.id, client=staff)
    assert isinstance(runs, models.PaginatedJobOutputList) and [j.id for j in runs.results] == [triggered.parsed.id]

    history = schedules_history.sync(id=schedule.id, client=staff)
    assert isinstance(history, models.PaginatedAuditEntryOutputList) and len(history.results) >= 2
    versions = schedules_versions.sync(id=schedule.id, client=staff)
    assert isinstance(versions, models.PaginatedVersionOutputList) and len(versions.results) >= 2
    reverted = schedules_revert.sync(id=schedule.id, version_id=versions.results[-1].id, client=staff)
    assert isinstance(reverted, models.ScheduleOutput) and reverted.description == ""

    assert schedules_delete.sync_detailed(id=schedule.id, client=staff).status_code == 204
    assert schedules_retrieve.sync_detailed(id=schedule.id, client=staff).status_code == 404
    deleted = schedules_deleted.sync(client=staff)
    assert isinstance(deleted, models.PaginatedDeletedScheduleOutputList)
    entry = next(entry for entry in deleted.results if entry.schedule == schedule.id)
    restored = schedules_restore.sync_detailed(version_id=entry.id, client=staff)
    assert restored.status_code == 201 and isinstance(restored.parsed, models.ScheduleOutput)
    assert restored.parsed.id == schedule.id


def _operations_and_audit(staff: AuthenticatedClient, plain: AuthenticatedClient, job_id: UUID) -> None:
    queues = queues_list.sync(client=staff)
    assert isinstance(queues, list) and "default" in [queue.name for queue in queues]
    assert isinstance(queues_history.sync(client=staff), list)
    assert isinstance(workers_list.sync(client=staff), list)
    scraped = metrics.sync_detailed(client=staff)
    assert scraped.status_code == 200 and b"conveyor_" in scraped.content
    feed = audit_events_list.sync(client=staff, model=models.AuditModelEnum.JOBS_JOB)
    assert isinstance(feed, models.AuditFeedOutput) and feed.results
    trail = audit_history.sync(model=models.AuditModelEnum.JOBS_JOB, object_id=str(job_id), client=staff)
    assert isinstance(trail, models.PaginatedAuditEntryOutputList) and trail.results
    for call in (queues_list, queues_history, workers_list, metrics, audit_events_list):
        assert call.sync_detailed(client=plain).status_code == 403, call.__name__
