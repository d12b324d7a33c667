"""Shared pieces of the tasks that call out over HTTP: URL screening and bounded reads."""

import re
import time
from collections.abc import Iterator
from http.client import HTTPResponse
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

CHUNK = 64 * 1024
# Host, optional port, IPv6 brackets: nothing else. Userinfo, backslashes, percent-escapes and
# non-ASCII are where urlsplit and urllib's own connection code disagree about the host.
_PLAIN_NETLOC = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]*)?|\[[0-9A-Fa-f:.]+\](:[0-9]*)?")
_WHITESPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class Refused(ValueError):
    """The URL, its address or the response is not allowed."""


def screen_url(url: str) -> SplitResult:
    """Return the URL's parts if it is a plain http(s) URL with an unambiguous host, else raise Refused."""
    if _WHITESPACE_OR_CONTROL.search(url):
        raise Refused("URLs with whitespace or control characters are not fetched")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(f"only http and https URLs may be fetched, not {parts.scheme!r}")
    if not _PLAIN_NETLOC.fullmatch(parts.netloc):
        raise Refused(f"the address part {parts.netloc!r} is not a plain host[:port]")
    try:
        parts.port  # noqa: B018 - urlsplit only validates the port when asked for it
    except ValueError as exc:
        raise Refused(f"bad port in {parts.netloc!r}") from exc
    return parts


class _Readable(Protocol):
    def read1(self, n: int = ..., /) -> bytes: ...


def chunks(response: HTTPResponse | _Readable, deadline: float, timeout_seconds: float) -> Iterator[bytes]:
    """Yield the body as it arrives; raise TimeoutError once `deadline` (monotonic) has passed."""
    # read1 returns what has arrived, so a server dripping bytes cannot hold a read past the deadline.
    while chunk := response.read1(CHUNK):
        yield chunk
        if time.monotonic() > deadline:
            raise TimeoutError(f"the response took longer than {timeout_seconds:g} seconds")
