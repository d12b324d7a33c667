"""Fixtures for fault tests: a Redis of the test's own (`processes` is in tests/conftest.py)."""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import redis_server
from core.redis import redis_connection
from jobs.engine import dispatch


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
