"""The load generator: a separate process, `python -m bench.loadgen < spec.json`, JSON on stdout.

A minimal asyncio HTTP/1.1 client over keep-alive connections (one coroutine per connection,
pre-built request bytes, Content-Length or chunked bodies), so the client costs as little CPU
as possible on a 2-core machine it shares with the server. Every loop is bounded by a deadline
and a request count and stops by itself.

Modes:
- ``closed``: ``connections`` clients each send the next request as soon as the previous answer
  arrived, for ``warmup`` + ``duration`` seconds or ``max_requests`` requests; latencies of
  requests started after the warm-up are reported (p50/p90/p99/max, req/s).
- ``longpoll``: ``clients`` connections each send a GET (``?wait=N``) and send it again when the
  answer comes (with ``if_none_match``, as the docs tell clients: first a plain GET, then every
  long-poll with ``If-None-Match`` set to the last ETag), until
  ``duration`` seconds have passed; reports how many connected and answers,
  and, every 0.25 s into ``status_file`` if given, how many requests the server has held > 1 s.
"""

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

READ_LIMIT = 1 << 22


class HttpError(Exception):
    """The server closed the connection or answered something unparseable."""


def build_request(host: str, port: int, req: dict[str, Any]) -> bytes:
    """The bytes of one HTTP/1.1 request from a template {method, path, headers, body}."""
    body = req.get("body")
    payload = b"" if body is None else (body if isinstance(body, bytes) else str(body).encode())
    lines = [f"{req.get('method', 'GET')} {req['path']} HTTP/1.1", f"Host: {host}:{port}"]
    headers = dict(req.get("headers") or {})
    if payload or req.get("method", "GET") in ("POST", "PUT", "PATCH"):
        headers.setdefault("Content-Type", "application/json")
        headers["Content-Length"] = str(len(payload))
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Read one response: status, lower-cased headers and body."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise HttpError(f"connection closed while reading headers: {exc!r}") from None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise HttpError(f"bad status line {lines[0]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = b""
    if status in (204, 304) or 100 <= status < 200:
        return status, headers, body
    try:
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(chunks)
        else:
            body = await reader.read()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        raise HttpError(f"connection closed while reading the body: {exc!r}") from None
    return status, headers, body


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarize_ms(latencies: list[float]) -> dict[str, float]:
    values = sorted(latencies)
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 3),
        "p90_ms": round(percentile(values, 90) * 1000, 3),
        "p99_ms": round(percentile(values, 99) * 1000, 3),
        "max_ms": round((values[-1] if values else 0.0) * 1000, 3),
        "mean_ms": round(sum(values) / len(values) * 1000, 3) if values else 0.0,
    }


@dataclass
class Closed:
    spec: dict[str, Any]
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    sent: int = 0
    measured_start: float = 0.0
    last_end: float = 0.0

    def note_error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(text[:500])

    async def client(self, index: int, payloads: list[bytes], stop_at: float, max_requests: int) -> None:
        host, port = self.spec["host"], int(self.spec["port"])
        expect = set(self.spec.get("expect") or [200])
        position = index % len(payloads)
        connection: list[Any] = []  # [reader, writer] while connected

        async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            for stream in connection[1:]:
                stream.close()
            connection.clear()
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=READ_LIMIT), 10)
            connection.extend([reader, writer])
            return reader, writer

        try:
            reader, writer = await connect()
            while time.monotonic() < stop_at and self.sent < max_requests:
                self.sent += 1
                payload = payloads[position]
                position = (position + 1) % len(payloads)
                started = time.monotonic()
                writer.write(payload)
                try:
                    status, headers, body = await asyncio.wait_for(read_response(reader), self.spec.get("timeout", 30))
                except (HttpError, TimeoutError, OSError) as exc:
                    self.note_error(f"{type(exc).__name__}: {exc}")
                    reader, writer = await connect()
                    continue
                ended = time.monotonic()
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status not in expect:
                    self.note_error(f"HTTP {status}: {body[:300]!r}")
                elif started >= self.measured_start:
                    self.latencies.append(ended - started)
                    self.last_end = max(self.last_end, ended)
                if headers.get("connection", "").lower() == "close":
                    reader, writer = await connect()
        except (OSError, TimeoutError) as exc:
            self.note_error(f"connect: {type(exc).__name__}: {exc}")
        finally:
            for stream in connection[1:]:
                stream.close()

    async def run(self) -> dict[str, Any]:
        spec = self.spec
        host, port = spec["host"], int(spec["port"])
        payloads = [build_request(host, port, req) for req in spec["requests"]]
        warmup, duration = float(spec.get("warmup", 0)), float(spec["duration"])
        max_requests = int(spec.get("max_requests", 1_000_000))
        started = time.monotonic()
        self.measured_start = started + warmup
        stop_at = self.measured_start + duration
        await asyncio.gather(
            *(self.client(i, payloads, stop_at, max_requests) for i in range(int(spec["connections"])))
        )
        window = max(1e-9, (self.last_end or time.monotonic()) - self.measured_start)
        result: dict[str, Any] = {
            "requests": len(self.latencies),
            "seconds": round(window, 3),
            "rps": round(len(self.latencies) / window, 2),
            "errors": self.errors,
            "error_samples": self.error_samples,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            **summarize_ms(self.latencies),
        }
        return result


@dataclass
class LongPoll:
    spec: dict[str, Any]
    connected: int = 0
    answers: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    sent: set[int] = field(default_factory=set)  # clients that have sent their first request
    asked_at: dict[int, float] = field(default_factory=dict)  # client -> when its open request went out

    def status(self) -> dict[str, int]:
        """Clients started, and those whose request the server has held for over a second."""
        held_since = time.monotonic() - 1.0
        return {
            "sent": len(self.sent),
            "waiting": sum(1 for at in self.asked_at.values() if at < held_since),
            "answers": self.answers,
        }

    async def report(self, path: str) -> None:
        while True:
            with open(f"{path}.tmp", "w") as out:
                json.dump(self.status(), out)
            os.replace(f"{path}.tmp", path)
            await asyncio.sleep(0.25)

    async def client(self, index: int, stop_at: float) -> None:
        host, port = self.spec["host"], int(self.spec["port"])
        paths = self.spec["paths"]
        headers = self.spec.get("headers") or {}
        request = {"method": "GET", "path": paths[index % len(paths)], "headers": headers}
        payload = build_request(host, port, request)
        wait = float(self.spec.get("wait", 30))
        writers: list[asyncio.StreamWriter] = []
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=READ_LIMIT), 20)
            writers.append(writer)
            self.connected += 1
            if self.spec.get("if_none_match"):  # as a client does: read the job, then wait on its ETag
                writer.write(build_request(host, port, {**request, "path": request["path"].split("?")[0]}))
                _, answer, _ = await asyncio.wait_for(read_response(reader), wait + 15)
                revalidate = {**headers, "If-None-Match": answer["etag"]}
                payload = build_request(host, port, {**request, "headers": revalidate})
            while time.monotonic() < stop_at:
                writer.write(payload)
                self.sent.add(index)
                self.asked_at[index] = time.monotonic()
                remaining = stop_at - time.monotonic()
                try:
                    status, answer, body = await asyncio.wait_for(read_response(reader), min(remaining, wait + 15))
                except TimeoutError:
                    return  # the run is over (or the server is stuck): stop this client
                finally:
                    self.asked_at.pop(index, None)
                self.answers += 1
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if "etag" in answer and self.spec.get("if_none_match"):
                    revalidate = {**headers, "If-None-Match": answer["etag"]}
                    payload = build_request(host, port, {**request, "headers": revalidate})
                if status != 200 and status != 304:
                    self.errors += 1
                    if len(self.error_samples) < 5:
                        self.error_samples.append(f"HTTP {status}: {body[:300]!r}")
                    await asyncio.sleep(1)
        except (OSError, HttpError, TimeoutError) as exc:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{type(exc).__name__}: {exc}"[:500])
        finally:
            for stream in writers:
                stream.close()

    async def run(self) -> dict[str, Any]:
        clients = int(self.spec["clients"])
        ramp = float(self.spec.get("ramp", 2.0))
        stop_at = time.monotonic() + float(self.spec["duration"])
        reporter = asyncio.create_task(self.report(self.spec["status_file"])) if self.spec.get("status_file") else None
        tasks = []
        for index in range(clients):
            tasks.append(asyncio.create_task(self.client(index, stop_at)))
            if ramp:  # one at a time, evenly: batches would make their deadlines (and re-polls) bursts
                await asyncio.sleep(ramp / clients)
        print(json.dumps({"event": "started", "clients": clients}), flush=True)
        stop_file = self.spec.get("stop_file")
        while stop_file and not all(task.done() for task in tasks):
            # The harness asks for an early end by creating this file.
            if os.path.exists(stop_file) or time.monotonic() > stop_at:
                for task in tasks:
                    task.cancel()
                break
            await asyncio.sleep(0.2)
        await asyncio.gather(*tasks, return_exceptions=True)
        if reporter is not None:
            reporter.cancel()
        return {
            "clients": clients,
            "connected": self.connected,
            "answers": self.answers,
            "errors": self.errors,
            "error_samples": self.error_samples,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


async def _main(spec: dict[str, Any]) -> dict[str, Any]:
    # A hard ceiling on top of every loop's own bound.
    ceiling = float(spec.get("duration", 10)) + float(spec.get("warmup", 0)) + 60
    runner: Closed | LongPoll = LongPoll(spec) if spec.get("mode") == "longpoll" else Closed(spec)
    return await asyncio.wait_for(runner.run(), ceiling)


def main() -> None:
    spec = json.loads(sys.stdin.read())
    with contextlib.suppress(ValueError):
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    result = asyncio.run(_main(spec))
    result["client_cpu_s"] = round(time.process_time(), 3)
    print(json.dumps({"event": "result", **result}), flush=True)


if __name__ == "__main__":
    main()
