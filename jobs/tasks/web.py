"""The page-length task: fetch a URL from an allowlisted host and report its size."""

import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from jobs.registry import task

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CHUNK = 64 * 1024


class FetchRefused(ValueError):
    """The URL (or a redirect target) is not allowed, or the response is too large."""


def _check(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https URLs may be fetched, not {parts.scheme!r}")
    allowed = {host.lower() for host in settings.FETCH_ALLOWED_HOSTS}
    if (parts.hostname or "").lower() not in allowed:
        raise FetchRefused(f"host {parts.hostname!r} is not in FETCH_ALLOWED_HOSTS")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand, so each target is checked against the allowlist."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@task(
    "web.page_length",
    parameters={
        "properties": {"url": {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2048}},
        "required": ["url"],
    },
    timeout_seconds=60,
)
def page_length(url: str) -> dict[str, object]:
    """Fetch a page from an allowed host (redirects re-checked, size and time capped); return its length."""
    for _ in range(MAX_REDIRECTS + 1):
        _check(url)
        try:
            response = _opener.open(url, timeout=settings.FETCH_TIMEOUT_SECONDS)
        except urllib.error.HTTPError as exc:
            if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
                url = urljoin(url, exc.headers["Location"])
                continue
            raise
        with response:
            length = 0
            while chunk := response.read(CHUNK):
                length += len(chunk)
                if length > settings.FETCH_MAX_BYTES:
                    raise FetchRefused(f"the response is larger than {settings.FETCH_MAX_BYTES} bytes")
            logger.info("web.fetched", extra={"host": urlsplit(url).hostname, "length": length})
            return {"url": url, "status": response.status, "length": length}
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
