"""The page-length task: fetch a URL from an allowlisted host and report its size."""

import logging
import time
import urllib.error
import urllib.request
from http.client import HTTPResponse
from typing import Any
from urllib.parse import urljoin

from django.conf import settings

from jobs.outbound import Refused, chunks, screen_url
from jobs.registry import task

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# The name this module has always raised; the URL screening now lives in jobs.outbound.
FetchRefused = Refused


def _check(url: str) -> str:
    """Return the URL's host if it may be fetched, else raise FetchRefused."""
    host = (screen_url(url).hostname or "").lower()
    if host not in {allowed.lower() for allowed in settings.FETCH_ALLOWED_HOSTS}:
        raise FetchRefused(f"host {host!r} is not in FETCH_ALLOWED_HOSTS")
    return host


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand, so each target is checked against the allowlist."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _length(response: HTTPResponse | urllib.error.HTTPError, deadline: float) -> int:
    """Count the body's bytes, refusing it past FETCH_MAX_BYTES and giving up at `deadline`."""
    limit = settings.FETCH_MAX_BYTES
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchRefused(f"the response is larger than {limit} bytes (Content-Length {declared})")
    length = 0
    for chunk in chunks(response, deadline, settings.FETCH_TIMEOUT_SECONDS):
        length += len(chunk)
        if length > limit:
            raise FetchRefused(f"the response is larger than {limit} bytes")
    return length


@task(
    "web.page_length",
    parameters={
        "properties": {"url": {"type": "string", "format": "uri", "pattern": "^https?://\\S+$", "maxLength": 2048}},
        "required": ["url"],
    },
    timeout_seconds=60,
)
def page_length(url: str) -> dict[str, object]:
    """Fetch a page from an allowed host (redirects re-checked, size and time capped); return its length."""
    # One budget for the whole fetch, redirects included; the socket timeout alone resets per read.
    deadline = time.monotonic() + settings.FETCH_TIMEOUT_SECONDS
    for _ in range(MAX_REDIRECTS + 1):
        host = _check(url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"fetching took longer than {settings.FETCH_TIMEOUT_SECONDS} seconds")
        try:
            response: HTTPResponse | urllib.error.HTTPError = _opener.open(url, timeout=remaining)
        except urllib.error.HTTPError as exc:
            # Every non-2xx status lands here, redirects too since the handler refuses them.
            location = exc.headers.get("Location")
            if exc.code in REDIRECT_CODES and location:
                exc.close()
                url = urljoin(url, location)
                continue
            response = exc  # an error page is still a page: report its status and length
        with response:
            length = _length(response, deadline)
            status = response.status
        logger.info("web.fetched", extra={"host": host, "status": status, "length": length})
        return {"url": url, "status": status, "length": length}
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
