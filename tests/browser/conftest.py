"""Browser tests: a live Conveyor for the session and a headless Chromium per test.

The service is `tests.contract.fuzz.live_service()` (its own SQLite, Redis, web, worker and
scheduler on 127.0.0.1, static files collected), with the staff user `fuzzer`. The browser is
tests/chromium.py's (without it the tests are skipped, saying so); every test leaves a
screenshot of its last page in var/ci/screenshots/<test>.png.
"""

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.chromium import CHROMEDRIVER, CHROMIUM, headless_chromium, save_screenshot
from tests.contract.fuzz import live_service

STAFF = ("fuzzer", "fuzz-password-1")  # live_service()'s staff user


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


class Live:
    """The live service: its base URL and the staff user's API token."""

    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base = base
        self.staff_token = tokens["staff"]
        self.plain_token = tokens["plain"]


@pytest.fixture(scope="session")
def live() -> Iterator[Live]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(f"browser tests need {CHROMIUM} and {CHROMEDRIVER}: `make browser-deps` installs them")
    # Conveyor as deployed, without the suite's example plug-in app: the docs then show exactly
    # the committed openapi/openapi.yaml.
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:  # only while it starts: other tests need the app
            patch.setenv("CONVEYOR_APPS", "")
            base, tokens = stack.enter_context(live_service())
        yield Live(base, tokens)


class Browser:
    """A headless Chromium on the live service, with what the tests ask of it."""

    def __init__(self, driver, base: str) -> None:  # type: ignore[no-untyped-def]
        self.driver = driver
        self.base = base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def sign_in(self, username: str = STAFF[0], password: str = STAFF[1]) -> None:
        """Sign in through the admin's login form: the browser then holds a session cookie."""
        from selenium.webdriver.common.by import By

        self.open("/admin/login/?next=/admin/")
        self.driver.find_element(By.NAME, "username").send_keys(username)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        self.wait_for(lambda: self.driver.current_url.endswith("/admin/"))

    def wait_for(self, condition, timeout: float = 20):  # type: ignore[no-untyped-def]
        from selenium.webdriver.support.wait import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(lambda _: condition())

    def style(self, selector: str, prop: str) -> str:
        """The computed value of CSS property `prop` on the first element matching `selector`."""
        return str(
            self.driver.execute_script(
                "return getComputedStyle(document.querySelector(arguments[0])).getPropertyValue(arguments[1])",
                selector,
                prop,
            )
        )

    def network(self) -> list[dict]:
        """Chrome's network events since the last call (its performance log), e.g.
        `Network.requestWillBeSent` and `Network.responseReceived`, as {method, params}."""
        messages = [json.loads(entry["message"])["message"] for entry in self.driver.get_log("performance")]
        return [message for message in messages if message["method"].startswith("Network.")]

    @staticmethod
    def requested_urls(network: list[dict]) -> list[str]:
        """The URLs the browser asked for, from `network()`."""
        return [
            event["params"]["request"]["url"] for event in network if event["method"] == "Network.requestWillBeSent"
        ]

    @staticmethod
    def outside(urls: list[str]) -> list[str]:
        """The URLs among `urls` not on 127.0.0.1 (data: and blob: URLs are made in the page)."""
        return [
            url
            for url in urls
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname != "127.0.0.1"
        ]

    @staticmethod
    def reached_outside(network: list[dict]) -> list[str]:
        """The URLs off 127.0.0.1 the browser asked for and did not block by the page's CSP."""
        blocked = {
            event["params"]["requestId"]
            for event in network
            if event["method"] == "Network.loadingFailed" and event["params"].get("blockedReason") == "csp"
        }
        return [
            event["params"]["request"]["url"]
            for event in network
            if event["method"] == "Network.requestWillBeSent"
            and Browser.outside([event["params"]["request"]["url"]])
            and event["params"]["requestId"] not in blocked
        ]

    def console_errors(self) -> list[str]:
        """The console's errors since the last call (a CSP violation is one), but the 404 of the
        favicon.ico the browser asks for on its own (Conveyor has none)."""
        entries = self.driver.get_log("browser")
        return [e["message"] for e in entries if e["level"] == "SEVERE" and "/favicon.ico " not in e["message"]]


@pytest.fixture
def browser(live: Live, request: pytest.FixtureRequest) -> Iterator[Browser]:
    with headless_chromium(performance_log=True) as driver:
        try:
            yield Browser(driver, live.base)
        finally:
            save_screenshot(driver, request.node.name)
