"""Shared test helpers: problem+json checks, API clients, the in-process worker, `manage.py`
processes, waiting for a condition, and a TCP proxy a test can cut."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from rest_framework.test import APIClient

from accounts.services import token_create


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """Check that `response` is a problem+json answer with `status`; return its body."""
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:conveyor:problem:")
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    """An API client that sends a fresh bearer token of `user`."""
    _, secret = token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def run_worker(*, dispatch_due: bool = True, fork: bool = False) -> None:
    """Run a real RQ worker (in-process, burst; a SimpleWorker, or with `fork` a ForkWorker
    whose work horses this process forks) over every queue until they are empty.

    First runs the dispatch pass, as the scheduler process would, so due and retried jobs get
    pushed. Needs a `transactional_db` test: the worker commits like production does.
    """
    from core.redis import redis_connection
    from jobs.engine.dispatch import dispatch_due as pass_due
    from jobs.engine.dispatch import queue
    from jobs.engine.worker import ForkWorker, SimpleWorker

    if dispatch_due:
        pass_due()
    queues = [queue(name) for name in settings.QUEUE_NAMES]
    worker_class = ForkWorker if fork else SimpleWorker
    worker_class(queues, connection=redis_connection()).work(burst=True, logging_level="WARNING")


def subprocess_env() -> dict[str, str]:
    """Environment for a worker/scheduler process that shares this test's database and Redis."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "LOG_LEVEL": "WARNING"}


class Processes:
    """`manage.py` processes sharing the test's database and Redis (workers are simple unless
    CONVEYOR_WORKER says otherwise); `stop_all` ends them, frozen ones included."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, *command: str, **env: str) -> subprocess.Popen[bytes]:
        env = {**subprocess_env(), "CONVEYOR_WORKER": "simple", **env}
        process = subprocess.Popen([sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env=env)
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        """Send `sig` and wait for the process to end; SIGKILL it after 15 s."""
        process.send_signal(signal.SIGCONT)
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                self.stop(process)


def wait_until(
    predicate: Callable[[], bool],
    timeout: float = 30.0,
    interval: float = 0.1,
    explain: Callable[[], object] | None = None,
) -> None:
    """Return once `predicate()` is true; raise AssertionError after `timeout` seconds, saying
    what `explain()` returns then (the state a failure in CI should be read from)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time" + (f": {explain()}" if explain else ""))
        time.sleep(interval)


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of `target`, run by an asyncio loop in a thread.

    `cut()` closes every proxied connection and stops listening (new connections are refused),
    as a lost network path to the server would; `restore()` listens again on the same port.
    Only the processes pointed at the proxy see the outage.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:  # a free port, kept for the proxy's whole life
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread.start()
        self.restore()

    def _run(self, coroutine):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))
        self._writers -= {client_writer, server_writer}

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        """Accept connections again."""
        self._run(self._listen())

    def cut(self) -> None:
        """Drop every connection and refuse new ones until `restore()`."""
        self._run(self._cut())

    def close(self) -> None:
        """Cut and stop the proxy's thread."""
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
