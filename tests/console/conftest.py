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

from tests.contract.fuzz import live_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "ci" / "screenshots"
SPA_PAGE = Path(__file__).resolve().parent / "spa"

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs /usr/bin/chromium and /usr/bin/chromedriver (Debian's chromium and chromium-driver)",
)


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
    with live_service(CORS_ALLOWED_ORIGINS=spa_origin, CSRF_TRUSTED_ORIGINS=spa_origin) as (base, _tokens):
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Chromium (a new profile per test) with the browser console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        with contextlib.suppress(Exception):  # shown with a failure: what the page said
            for entry in driver.get_log("browser"):
                print("browser:", entry["level"], entry["message"])  # noqa: T201
            print("url:", driver.current_url)  # noqa: T201
        with contextlib.suppress(Exception):
            driver.quit()


@pytest.fixture
def screenshot(browser):  # type: ignore[no-untyped-def]
    """screenshot(name): save the page as var/ci/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        browser.save_screenshot(str(path))
        return path

    return take
