"""Fixtures for fault tests: processes started by the test, and a Redis of the test's own."""

import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from config import redis_server
from core.redis import redis_connection
from jobs import dispatch
from tests.conftest import subprocess_env


class Processes:
    """`manage.py` processes sharing the test's database and Redis; all stopped at the end."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, *command: str, **env: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env={**subprocess_env(), **env}
        )
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def processes() -> Iterator[Processes]:
    procs = Processes()
    yield procs
    procs.stop_all()


class PrivateRedis:
    """An embedded redis-server (append-only file on) on a socket of its own, killable."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="conveyor-fault-redis-"))
        self.socket = self.workdir / "redis.sock"
        self.url = f"unix://{self.socket}?db=0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server (replaying its append-only file) and return once it answers."""
        self.process = redis_server.start(self.socket, self.workdir / "data")

    def kill(self) -> None:
        """SIGKILL the server, as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:  # type: ignore[no-untyped-def]
    """A Redis this test may kill; this process and the processes it starts use it."""
    server = PrivateRedis()
    server.start()
    settings.REDIS_URL = server.url
    settings.RQ_QUEUES = {name: {**cfg, "URL": server.url} for name, cfg in settings.RQ_QUEUES.items()}
    redis_connection.cache_clear()
    dispatch.queue.cache_clear()
    try:
        yield server
    finally:
        server.kill()
        redis_connection.cache_clear()
        dispatch.queue.cache_clear()
        shutil.rmtree(server.workdir, ignore_errors=True)
