"""`python -m config.web --host H --port P --workers N`: the web server, N uvicorn processes.

Each process binds its own listening socket with SO_REUSEPORT, so the kernel spreads new
connections evenly over the processes. (With `uvicorn --workers N` they share one socket, and a
few busy keep-alive clients can all land on one process while the others idle: measured in
docs/benchmarks.md, P1.) A process that dies takes the others down with it, so whatever runs
this (make run, the container) sees the failure; SIGTERM or Ctrl-C stops them all gracefully.
"""

import argparse
import multiprocessing
import multiprocessing.connection
import signal
import socket
import sys
from types import FrameType

import uvicorn


def serve(app: str, host: str, port: int) -> None:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections of a socket that says it is
    # TCP. Without it (as with `uvicorn --workers`), a response written in two parts waits for the
    # client's delayed ACK on every request of a keep-alive connection (docs/architecture.md).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    uvicorn.Server(uvicorn.Config(app, lifespan="off", access_log=False, backlog=2048)).run(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", default="config.asgi:application", help="the ASGI application")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    servers = [context.Process(target=serve, args=(args.app, args.host, args.port)) for _ in range(args.workers)]
    for server in servers:
        server.start()

    asked: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        asked.append(signum)
        for server in servers:
            if server.is_alive():
                server.terminate()  # SIGTERM: uvicorn finishes in-flight requests

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    multiprocessing.connection.wait([server.sentinel for server in servers])  # the first to end
    crashed = not asked  # a process ended on its own: fail, so that the supervisor notices
    stop(signal.SIGTERM, None)
    for server in servers:
        server.join()
    sys.exit(1 if crashed else 0)


if __name__ == "__main__":
    main()
