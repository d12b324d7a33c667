"""The TypeScript SDK (openapi-fetch typed by openapi-typescript's types of openapi/openapi.yaml)
drives a live service through every operation of the schema, with at least one 4xx per tag:
tests/contract/sdk/scenario.mts, compiled by `make sdk-build`, asserts what it gets and records
every exchange; each recorded response is then checked by the same strict OpenAPI 3.1 validator
as the Python SDK's (tests/contract/strict.py)."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.strict import Seen

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "contract" / "sdk" / "build" / "scenario.mjs"


@pytest.fixture(scope="module")
def scenario() -> Path:
    """The compiled scenario, built (npm ci, openapi-typescript, tsc) unless it is up to date."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        # CI cannot get here: `make sdk-check` runs first in .ci/run and fails without node.
        pytest.skip("node and npm are not installed: the TypeScript SDK scenario needs Node 20+")
    subprocess.run(["make", "--no-print-directory", "sdk-build"], cwd=ROOT, check=True, timeout=600)
    return SCENARIO


def _response(exchange: dict[str, Any]) -> httpx.Response:
    """The recorded exchange as an httpx response; fetch has already decoded any gzip body."""
    decoded = {"content-encoding", "content-length"}
    headers = [(name, value) for name, value in exchange["headers"] if name.lower() not in decoded]
    request = httpx.Request(exchange["method"], exchange["url"])
    return httpx.Response(exchange["status"], headers=headers, content=exchange["body"].encode(), request=request)


# Starting the service (~15 s) and ~90 calls, jobs run by a real worker: under a minute on an idle
# 2-core machine, more while it is shared.
@pytest.mark.timeout(360)
def test_the_typescript_client_calls_every_operation_and_every_response_is_in_the_schema(scenario, service, tmp_path):
    base, tokens = service
    exchanges = tmp_path / "exchanges.json"
    env = {
        **os.environ,
        "CONVEYOR_URL": base,
        "CONVEYOR_USERNAME": "fuzzer",  # live_service()'s staff user
        "CONVEYOR_PASSWORD": "fuzz-password-1",
        "CONVEYOR_PLAIN_TOKEN": tokens["plain"],
        "CONVEYOR_EXCHANGES": str(exchanges),
    }
    run = subprocess.run(["node", str(scenario)], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr

    seen = Seen()
    for exchange in json.loads(exchanges.read_text()):
        seen(_response(exchange))
    seen.assert_complete()
