"""The web entry point's routing: requests that may wait never take the small WSGI thread pool,
and plain job reads never take Django's slower ASGI handler."""

import uuid

import pytest
from django.urls import resolve

from api.urls import job_detail
from config.asgi import PlainRequest, may_wait


@pytest.mark.parametrize(
    ("path", "query", "waits"),
    [
        ("/api/v1/jobs/6f1c/", b"wait=5", True),
        ("/api/v1/jobs/6f1c/", b"w%61it=5", True),
        ("/api/v1/jobs/6f1c/", b"fields=x&wait=", True),
        ("/api/v1/jobs/6f1c/events/", b"", True),
        ("/api/v1/jobs/6f1c/", b"", False),
        ("/api/v1/jobs/6f1c/", b"awaits=5", False),
        ("/api/v1/jobs/6f1c/history/", b"wait=5", False),
        ("/api/v1/jobs/", b"wait=5", False),
        ("/api/v1/me/", b"wait=5", False),
    ],
)
def test_only_requests_that_may_wait_take_the_asgi_handler(path: str, query: bytes, waits: bool) -> None:
    assert may_wait({"type": "http", "path": path, "query_string": query}) is waits


def test_the_wsgi_handler_resolves_the_job_detail_to_the_sync_view() -> None:
    path = f"/api/v1/jobs/{uuid.uuid4()}/"
    assert resolve(path, urlconf=PlainRequest.urlconf).func is job_detail
    assert resolve(path).func is not job_detail  # the root urlconf keeps the long-poll wrapper
    assert resolve("/api/v1/me/", urlconf=PlainRequest.urlconf).url_name == "me"
