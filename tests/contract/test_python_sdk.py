"""A Python client generated from openapi/openapi.yaml (openapi-python-client) drives a live
service: create a token, submit demo.sleep, poll with ETag until done, create a cron schedule,
read its history."""

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.contract.fuzz import ROOT, live_service


@pytest.fixture(scope="module")
def sdk(tmp_path_factory):
    out = tmp_path_factory.mktemp("sdk") / "conveyor_client"
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(ROOT / "openapi" / "openapi.yaml"),
         "--output-path", str(out), "--meta", "none"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(out.parent))
    yield importlib.import_module("conveyor_client")
    sys.path.remove(str(out.parent))


def test_generated_client_drives_a_scenario(sdk):
    from conveyor_client import AuthenticatedClient, Client
    from conveyor_client.api.auth import tokens_create
    from conveyor_client.api.jobs import jobs_retrieve, jobs_submit
    from conveyor_client.api.schedules import schedules_create, schedules_history
    from conveyor_client.models import JobStateEnum, JobSubmitInputRequest, TokenCreateInputRequest
    from conveyor_client.types import UNSET

    models = importlib.import_module("conveyor_client.models")
    with live_service() as (base, _):
        basic = Client(base_url=base, headers={"Authorization": "Basic ZnV6emVyOmZ1enotcGFzc3dvcmQtMQ=="})
        token = tokens_create.sync(client=basic, body=TokenCreateInputRequest(name="sdk"))
        assert token is not None and token.token.startswith("cvy_")
        client = AuthenticatedClient(base_url=base, token=token.token)

        submit = JobSubmitInputRequest.from_dict({"task": "demo.sleep", "kwargs": {"seconds": 0.5, "steps": 2}})
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

        cron = models.ScheduleCronInputRequest.from_dict(
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
