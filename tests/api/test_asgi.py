"""The web entry point's routing: requests that may wait never take the small WSGI thread pool."""

import pytest

from config.asgi import serves_async_view


@pytest.mark.parametrize(
    ("path", "query", "waits"),
    [
        ("/api/v1/jobs/6f1c/", b"", True),
        ("/api/v1/jobs/6f1c/", b"wait=5", True),
        ("/api/v1/jobs/6f1c/", b"w%61it=5", True),
        ("/api/v1/jobs/6f1c/events/", b"", True),
        ("/api/v1/jobs/6f1c/history/", b"wait=5", False),
        ("/api/v1/jobs/", b"wait=5", False),
        ("/api/v1/me/", b"wait=5", False),
    ],
)
def test_the_async_job_views_take_the_asgi_handler(path: str, query: bytes, waits: bool) -> None:
    assert serves_async_view({"type": "http", "path": path, "query_string": query}) is waits
