"""Headless Chromium for the browser tests (tests/browser, tests/console): Debian's `chromium`
driven by selenium through Debian's `chromedriver` (`make browser-deps` installs both; CI runs it
first). No host name resolves but 127.0.0.1's, so nothing a page asks for can leave the machine."""

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "var" / "ci" / "screenshots"

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER}: `make browser-deps` installs them",
)


@contextlib.contextmanager
def headless_chromium(*, window: str = "1280,900", performance_log: bool = False) -> Iterator[Any]:
    """A selenium driver on a new headless Chromium profile, the browser console log kept (and
    Chrome's network events when `performance_log`); quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={window}",
        "--lang=en-US",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
    ):
        options.add_argument(argument)
    logs = {"browser": "ALL"} | ({"performance": "ALL"} if performance_log else {})
    options.set_capability("goog:loggingPrefs", logs)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        with contextlib.suppress(Exception):
            driver.quit()


def save_screenshot(driver: Any, name: str) -> Path:
    """Save the page as var/ci/screenshots/<name>.png (any character a file name should not hold
    replaced by `_`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^\w.-]+', '_', name)}.png"
    driver.save_screenshot(str(path))
    return path
