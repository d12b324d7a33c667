"""The typed Python client committed in clients/python (conveyor_client.api_client, generated from
openapi/openapi.yaml by `make client`; `make client-check` fails when it is stale) drives a live
service: create a token, submit demo.sleep, poll with ETag until done, create a cron schedule,
read its history."""

import time

from conveyor_client.api_client import AuthenticatedClient, Client, models
from conveyor_client.api_client.api.auth import tokens_create
from conveyor_client.api_client.api.jobs import jobs_retrieve, jobs_submit
from conveyor_client.api_client.api.schedules import schedules_create, schedules_history
from conveyor_client.api_client.models import JobStateEnum, JobSubmitInput, TokenCreateInput
from conveyor_client.api_client.types import UNSET

from tests.contract.fuzz import live_service


def test_generated_client_drives_a_scenario():
    with live_service() as (base, _):
        basic = Client(base_url=base, headers={"Authorization": "Basic ZnV6emVyOmZ1enotcGFzc3dvcmQtMQ=="})
        token = tokens_create.sync(client=basic, body=TokenCreateInput(name="sdk"))
        assert token is not None and token.token.startswith("cvy_")
        client = AuthenticatedClient(base_url=base, token=token.token)

        submit = JobSubmitInput.from_dict({"task": "demo.sleep", "kwargs": {"seconds": 0.5, "steps": 2}})
        accepted = jobs_submit.sync_detailed(client=client, body=submit, idempotency_key="sdk-1")
        assert accepted.status_code == 202 and accepted.parsed is not None
        job_id = accepted.parsed.id

        etag, job, deadline = None, None, time.monotonic() + 30
        while time.monotonic() < deadline:
            response = jobs_retrieve.sync_detailed(id=job_id, client=client, if_none_match=etag or UNSET, wait=5)
            if response.status_code == 304:
                continue
            assert response.status_code == 200
            etag, job = response.headers["ETag"], response.parsed
            if job.done:
                break
        assert job is not None and job.state == JobStateEnum.SUCCEEDED and job.result["slept"] == 0.5
        # Without ?wait the same view answers on the synchronous handler (config.asgi).
        plain = jobs_retrieve.sync_detailed(id=job_id, client=client)
        assert plain.status_code == 200 and plain.headers["ETag"] == etag and plain.parsed == job
        assert jobs_retrieve.sync_detailed(id=job_id, client=client, if_none_match=etag).status_code == 304

        cron = models.ScheduleCronInput.from_dict(
            {
                "name": "sdk-nightly",
                "task": "demo.sleep",
                "kwargs": {"seconds": 0},
                "kind": "cron",
                "cron": "0 3 * * *",
                "timezone": "Europe/Athens",
            }
        )
        schedule = schedules_create.sync(client=client, body=cron)
        assert schedule is not None and len(schedule.upcoming) == 5
        history = schedules_history.sync(id=schedule.id, client=client)
        assert history is not None and [entry.action for entry in history.results] == ["created"]
