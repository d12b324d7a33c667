"""Shared pieces of the tasks that call out over HTTP: URL screening, address checks, bounded reads."""

import ipaddress
import re
import socket
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


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `address` is public unicast: not private, loopback, link-local, multicast or reserved."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Resolve `host` and return its addresses; raise Refused if any of them is not public.

    Every address is checked, not just the first, and the caller connects only to addresses
    this returned: a second lookup (DNS rebinding) never chooses the address that is used.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host!r}: {exc.strerror}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            # A scoped IPv6 address (fe80::1%eth0) names its interface after the %.
            if not is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise Refused(f"host {host!r} resolves to {address}, which is not a public address")
    return addresses


class _Readable(Protocol):
    def read1(self, n: int = ..., /) -> bytes: ...


def chunks(response: HTTPResponse | _Readable, deadline: float, timeout_seconds: float) -> Iterator[bytes]:
    """Yield the body as it arrives; raise TimeoutError once `deadline` (monotonic) has passed."""
    # read1 returns what has arrived, so a server dripping bytes cannot hold a read past the deadline.
    while chunk := response.read1(CHUNK):
        yield chunk
        if time.monotonic() > deadline:
            raise TimeoutError(f"the response took longer than {timeout_seconds:g} seconds")
