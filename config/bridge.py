"""Django's WSGI handler behind uvicorn's event loop, with one thread hop each way per request.

a2wsgi, which served plain requests before, hands every piece of an exchange across threads:
each read of the body, the response's start and each chunk of its body wait for the event loop
and back, four or five round trips per request. Here the loop reads the body first (up to
BUFFER bytes; Django's thread asks the loop for the rest of a longer one as it reads), one
thread of the pool runs the request and holds the response back (up to BUFFER bytes; the rest
of a longer one, a large static file, is sent chunk by chunk from the thread), and the loop
sends what was held once the thread is done. The environ is a2wsgi's.
"""

import asyncio
import contextvars
import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi.wsgi import build_environ

BUFFER = 1 << 20  # bytes of a request or response body held in memory before streaming

Message = dict[str, Any]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Input:
    """`wsgi.input`: the body the loop read ahead, then more from the loop as Django reads on."""

    def __init__(self, head: bytes, more: bool, loop: asyncio.AbstractEventLoop, receive: Any) -> None:
        self._buffer = bytearray(head)
        self._more = more
        self._loop = loop
        self._receive = receive

    def _fill(self, size: int) -> None:
        while self._more and (size < 0 or len(self._buffer) < size):
            message = asyncio.run_coroutine_threadsafe(self._receive(), self._loop).result()
            self._buffer += message.get("body", b"")
            self._more = message.get("more_body", False)

    def _take(self, size: int) -> bytes:
        size = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read(self, size: int = -1) -> bytes:
        self._fill(size)
        return self._take(size)

    def readline(self, size: int = -1) -> bytes:
        while b"\n" not in self._buffer and self._more and (size < 0 or len(self._buffer) < size):
            self._fill(len(self._buffer) + 1)
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        return self._take(end if size < 0 else min(end, size))


async def _read_ahead(receive: Any) -> tuple[bytes, bool]:
    """The request body up to BUFFER bytes, and whether more follows."""
    body = bytearray()
    more = True
    while more and len(body) < BUFFER:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return bytes(body), more


class _Exchange:
    """One request's run in a pool thread: the response held back, or streamed once it is long."""

    def __init__(self, loop: asyncio.AbstractEventLoop, send: Any) -> None:
        self.loop = loop
        self.send = send
        self.held: list[Message] = []
        self.size = 0
        self.streaming = False
        self.start: Message | None = None

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
        if exc_info is not None and self.streaming:
            raise exc_info[1].with_traceback(exc_info[2])  # too late to change the status
        headers_out = [(name.lower().encode("latin1"), value.encode("latin1")) for name, value in headers]
        self.start = {"type": "http.response.start", "status": int(status.split(" ", 1)[0]), "headers": headers_out}
        return self.write

    def write(self, chunk: bytes) -> None:
        if self.start is not None:
            self._out(self.start)
            self.start = None
        if chunk:
            self._out({"type": "http.response.body", "body": chunk, "more_body": True})

    def _out(self, message: Message) -> None:
        if self.streaming:
            asyncio.run_coroutine_threadsafe(self.send(message), self.loop).result()
            return
        self.held.append(message)
        self.size += len(message.get("body", b""))
        if self.size > BUFFER:
            self.streaming = True
            held, self.held = self.held, []
            for earlier in held:
                self._out(earlier)

    def run(self, app: WSGIApp, environ: dict[str, Any]) -> None:
        iterable = app(environ, self.start_response)
        try:
            for chunk in iterable:
                self.write(chunk)
        finally:
            getattr(iterable, "close", lambda: None)()
        self.write(b"")  # a response with no body still starts
        self._out({"type": "http.response.body", "body": b"", "more_body": False})

    async def flush(self) -> None:
        """On the loop: send what the thread held, its body in one message."""
        if not self.held:
            return
        start, *bodies = self.held
        await self.send(start)
        await self.send({"type": "http.response.body", "body": b"".join(m["body"] for m in bodies)})


class WSGIBridge:
    """An ASGI app serving HTTP requests with `app` (WSGI) on a pool of `workers` threads."""

    def __init__(self, app: WSGIApp, workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="WSGI")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        loop = asyncio.get_running_loop()
        head, more = await _read_ahead(receive)
        environ: dict[str, Any] = build_environ(scope, _Input(head, more, loop, receive))  # type: ignore[arg-type, assignment]
        exchange = _Exchange(loop, send)
        context = contextvars.copy_context()
        await loop.run_in_executor(self.executor, functools.partial(context.run, exchange.run, self.app, environ))
        await exchange.flush()
