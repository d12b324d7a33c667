"""Contract fuzzing: run schemathesis, every check on, against a live Conveyor started here.

`python -m tests.contract.fuzz --max-examples N --max-time S` starts an isolated service (a
temporary SQLite database, its own embedded Redis, uvicorn + a worker + the scheduler on
127.0.0.1), creates a staff user and a plain user with a token each, runs `schemathesis run
openapi/openapi.yaml` against it once as each user (`--as` chooses; the time budget S is
split evenly between the passes) and stops everything. Exit status is the first failing
pass's schemathesis status, else 0.
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
# Every check runs, positive_data_acceptance included: this file gives the operations whose
# schema-valid requests can still be refused for a rule OpenAPI cannot state (docs/robustness.md).
CONFIG = ROOT / "tests" / "contract" / "schemathesis.toml"


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
def live_service(**extra_env: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Start an isolated Conveyor (temporary SQLite, its own Redis, static files collected as
    `make run` does, web + worker + scheduler on 127.0.0.1) with a staff user `fuzzer` and a
    plain user `fuzzer-plain` (password `fuzz-password-1`); yield (base URL, {"staff": token,
    "plain": token}). `extra_env` adds settings (e.g. CORS_ALLOWED_ORIGINS) to every process."""
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
        **extra_env,
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _manage(env, "migrate", "--noinput")
        _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        _manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.create_superuser('fuzzer', 'fuzz@localhost', 'fuzz-password-1'); "
            "User.objects.create_user('fuzzer-plain', 'plain@localhost', 'fuzz-password-1')",
        )
        tokens = {
            "staff": _manage(env, "create_token", "fuzzer", "--name", "fuzz"),
            "plain": _manage(env, "create_token", "fuzzer-plain", "--name", "fuzz"),
        }
        for command in (
            ["-m", "config.web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            ["manage.py", "rqworker", "high", "default", "low"],
            ["manage.py", "conveyor_scheduler"],
        ):
            processes.append(subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90  # a shared 2-core machine under load took over 30 s
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base, tokens
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
    parser.add_argument("--max-time", type=int, default=240, help="seconds, for all passes together")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--as", dest="users", default="staff,plain", help="comma-separated: staff, plain")
    args = parser.parse_args()
    users = args.users.split(",")
    if not users or not set(users) <= {"staff", "plain"}:
        parser.error("--as takes staff, plain or both")
    # A plain user sees another side of the API (only its own jobs and schedules, 403 on staff
    # endpoints and tasks), so each user gets a pass; the budget is shared to keep CI's time.
    max_time = max(1, args.max_time // len(users))
    status = 0
    with live_service() as (base, tokens):
        for user in users:
            sys.stdout.write(f"== schemathesis as the {user} user (--max-time {max_time})\n")
            sys.stdout.flush()
            command = [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(CONFIG),
                "run",
                str(ROOT / "openapi" / "openapi.yaml"),
                "--url",
                base,
                "--header",
                f"Authorization: Bearer {tokens[user]}",
                "--checks",
                "all",
                "--max-examples",
                str(args.max_examples),
                "--max-time",
                str(max_time),
                "--seed",
                str(args.seed),
                "--workers",
                "1",
                "--request-timeout",
                "40",
                "--generation-allow-x00",
                "true",
                "--suppress-health-check",
                "all",
                # Revoking tokens would revoke the fuzzer's own; it is covered by tests/api/test_auth.py.
                "--exclude-operation-id",
                "tokens_revoke",
            ]
            returncode = subprocess.run(command, cwd=ROOT, check=False).returncode
            status = status or returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
