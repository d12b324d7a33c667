"""Fixtures for the console's browser tests: a live Conveyor, a second origin serving an SPA
page, and headless Chromium driven by selenium."""

import contextlib
import functools
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chromium import headless_chromium, save_screenshot
from tests.contract.fuzz import live_service

SPA_PAGE = Path(__file__).resolve().parent / "spa"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def spa_origin() -> Iterator[str]:
    """Another origin (127.0.0.1, another port) serving tests/console/spa/, as an SPA's host would."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SPA_PAGE))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def live(spa_origin: str) -> Iterator[str]:
    """A live Conveyor that trusts the SPA origin for CORS and CSRF; its base URL."""
    # Queue caps as the operations page shows them: default 1,000, low none (0), high the default.
    caps = {"QUEUE_MAX_DEPTHS": "default=1000,low=0"}
    with live_service(CORS_ALLOWED_ORIGINS=spa_origin, CSRF_TRUSTED_ORIGINS=spa_origin, **caps) as (base, _tokens):
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Chromium (a new profile per test); on the way out it prints what the page's
    console said, shown with a failure."""
    with headless_chromium(window="1280,1000") as driver:
        driver.implicitly_wait(0)
        try:
            yield driver
        finally:
            with contextlib.suppress(Exception):
                for entry in driver.get_log("browser"):
                    print("browser:", entry["level"], entry["message"])  # noqa: T201
                print("url:", driver.current_url)  # noqa: T201


@pytest.fixture
def screenshot(browser):  # type: ignore[no-untyped-def]
    """screenshot(name): save the page as var/ci/screenshots/<name>.png."""
    return lambda name: save_screenshot(browser, name)
