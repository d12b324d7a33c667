"""Contract fuzzing: run schemathesis, every check on, against a live Conveyor started here.

`python -m tests.contract.fuzz --max-examples N --max-time S` starts an isolated service (a
temporary SQLite database, its own embedded Redis, uvicorn + a worker + the scheduler on
127.0.0.1), creates a staff user and token, runs `schemathesis run openapi/openapi.yaml`
against it and stops everything. Exit status is schemathesis's.
"""

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from config import redis_server

ROOT = Path(__file__).resolve().parents[2]
# positive_data_acceptance expects every schema-valid request to succeed; Conveyor validates
# meaning beyond the schema (task names, task arguments, cron lines, time zones, ids that must
# exist) and answers those with a documented 400/404/409, so that check cannot apply.
EXCLUDED_CHECKS = "positive_data_acceptance"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


@contextlib.contextmanager
def live_service() -> Iterator[tuple[str, str]]:
    """Start an isolated Conveyor (temporary SQLite, its own Redis, web + worker + scheduler on
    127.0.0.1) with a staff user `fuzzer` (password `fuzz-password-1`); yield (base URL, token)."""
    workdir = Path(tempfile.mkdtemp(prefix="conveyor-live-"))
    redis = redis_server.start(workdir / "redis.sock", workdir / "redis")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'live.sqlite3'}",
        "REDIS_URL": f"unix://{workdir / 'redis.sock'}?db=0",
        "LOG_LEVEL": "ERROR",
        "CONVEYOR_WORKER": "simple",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _manage(env, "migrate", "--noinput")
        _manage(env, "shell", "-c", "from django.contrib.auth.models import User; "
                "User.objects.create_superuser('fuzzer', 'fuzz@localhost', 'fuzz-password-1')")  # fmt: skip
        token = _manage(env, "create_token", "fuzzer", "--name", "fuzz")
        for command in (
            ["-m", "config.web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            ["manage.py", "rqworker", "high", "default", "low"],
            ["manage.py", "conveyor_scheduler"],
        ):  # fmt: skip
            processes.append(subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base, token
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--max-time", type=int, default=240)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    with live_service() as (base, token):
        command = [
            str(Path(sys.executable).parent / "schemathesis"), "run", str(ROOT / "openapi" / "openapi.yaml"),
            "--url", base, "--header", f"Authorization: Bearer {token}",
            "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS,
            "--max-examples", str(args.max_examples), "--max-time", str(args.max_time),
            "--seed", str(args.seed), "--workers", "1", "--request-timeout", "40",
            "--generation-allow-x00", "true", "--suppress-health-check", "all",
            # Revoking tokens would revoke the fuzzer's own; it is covered by tests/api/test_auth.py.
            "--exclude-operation-id", "tokens_revoke",
        ]  # fmt: skip
        return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
