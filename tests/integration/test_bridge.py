"""config.bridge: a WSGI app served to ASGI with the body read ahead and the response held back,
and both streamed past BUFFER."""

import asyncio
from typing import Any

import pytest

from config import bridge
from config.bridge import WSGIBridge

SCOPE = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "path": "/echo",
    "query_string": b"x=1",
    "headers": [(b"content-type", b"text/plain"), (b"x-two", b"a"), (b"x-two", b"b")],
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 5000),
}


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with what it read: the first line, then the rest, then its environ's facts."""
    first = environ["wsgi.input"].readline()
    rest = environ["wsgi.input"].read()
    start_response("201 Created", [("Content-Type", "text/plain"), ("X-Query", environ["QUERY_STRING"])])
    return [first, b"|", rest, b"|", environ["HTTP_X_TWO"].encode()]


def serve(app: Any, chunks: list[bytes]) -> list[dict[str, Any]]:
    """What `app` behind the bridge sends for a request whose body arrives as `chunks`."""
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(WSGIBridge(app, workers=2)(SCOPE, receive, send))
    return sent


def body_of(sent: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent[1:])


def test_a_request_is_answered_with_its_status_headers_and_body():
    sent = serve(echo, [b"line one\nline ", b"two"])
    assert sent[0]["status"] == 201 and (b"x-query", b"x=1") in sent[0]["headers"]
    assert body_of(sent) == b"line one\n|line two|a,b"


def test_a_short_response_is_sent_by_the_loop_in_two_messages():
    sent = serve(echo, [b"hello"])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1].get("more_body", False) is False


def test_a_body_longer_than_the_buffer_is_read_on_from_the_thread(monkeypatch):
    monkeypatch.setattr(bridge, "BUFFER", 4)
    sent = serve(echo, [b"abc", b"def\nghi", b"jkl", b"mno"])
    assert body_of(sent) == b"abcdef\n|ghijklmno|a,b"


def test_a_response_longer_than_the_buffer_is_streamed(monkeypatch):
    monkeypatch.setattr(bridge, "BUFFER", 10)

    def big(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"x" * 8, b"y" * 8, b"z" * 8]

    sent = serve(big, [b""])
    assert sent[0]["type"] == "http.response.start" and body_of(sent) == b"x" * 8 + b"y" * 8 + b"z" * 8
    assert len(sent) == 5 and sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


def test_a_response_without_a_body_still_starts():
    def empty(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("204 No Content", [])
        return []

    sent = serve(empty, [b""])
    assert sent[0]["status"] == 204 and body_of(sent) == b""


def test_the_iterable_is_closed_even_when_iterating_fails():
    closed = []

    class Failing:
        def __iter__(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("broken")
            yield b""

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Failing:
        start_response("200 OK", [])
        return Failing()

    with pytest.raises(RuntimeError):
        serve(app, [b""])
    assert closed == [True]
