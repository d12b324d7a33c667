"""The operator console in headless Chromium against a live Conveyor: sign-in, a live job,
cancel, the generated submit form and its field errors, a cron schedule in Europe/Athens with
its preview and history diff, the staff pages; and an SPA on another origin signing in."""

import contextlib
import json
import time

import pytest

from tests.chromium import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

PASSWORD = "fuzz-password-1"


def wait_for(driver, predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def safe(d):  # type: ignore[no-untyped-def]
        try:
            return predicate(d)
        except WebDriverException:  # an element replaced while we read it: look again
            return False

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(safe)


def css(driver, selector: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver, selector: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(driver, selector: str) -> str:
    return " ".join(e.text for e in all_css(driver, selector))


def sign_in(driver, base: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    driver.get(f"{base}/console/#/signin")
    wait_for(driver, lambda d: css(d, "#username").is_displayed())
    fill(driver, "#username", username)
    fill(driver, "#password", password)
    css(driver, "form button[type=submit]").click()


def select(driver, selector: str, value: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import Select

    Select(css(driver, selector)).select_by_value(value)


def fill(driver, selector: str, value: str) -> None:  # type: ignore[no-untyped-def]
    element = css(driver, selector)
    element.clear()
    element.send_keys(value)


def submit_sleep(driver, base: str, seconds: str, steps: str = "10") -> None:  # type: ignore[no-untyped-def]
    driver.get(f"{base}/console/#/submit")
    wait_for(driver, lambda d: css(d, "#task").is_displayed())
    select(driver, "#task", "demo.sleep")
    wait_for(driver, lambda d: css(d, "#kw-seconds"))
    fill(driver, "#kw-seconds", seconds)
    fill(driver, "#kw-steps", steps)
    css(driver, "form button[type=submit]").click()


def csp_violations(driver) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


def test_plain_user_runs_watches_cancels_and_schedules(live, browser, screenshot):
    driver = browser
    # Sign-in: a wrong password shows the server's problem detail.
    sign_in(driver, live, "fuzzer-plain", "wrong-password")
    wait_for(driver, lambda d: "wrong username or password" in text_of(d, "[role=alert]"))
    screenshot("01-signin-error")
    sign_in(driver, live, "fuzzer-plain")
    wait_for(driver, lambda d: d.current_url.endswith("#/jobs") and css(d, "h1").text == "Jobs")
    assert css(driver, "#who").text == "fuzzer-plain"
    assert not css(driver, "a[href='#/operations']").is_displayed()  # staff pages are not offered

    # A bad value: the server's field error appears next to the field.
    submit_sleep(driver, live, "-5")
    wait_for(driver, lambda d: css(d, "#kw-seconds-error").is_displayed())
    assert "minimum" in css(driver, "#kw-seconds-error").text
    assert css(driver, "#kw-seconds").get_attribute("aria-invalid") == "true"
    screenshot("02-submit-field-error")

    # demo.sleep from the form; its progress bar moves to 100 % on the jobs list, no reload.
    submit_sleep(driver, live, "4", "8")
    wait_for(driver, lambda d: "/console/#/jobs/" in d.current_url)
    job_id = driver.current_url.rsplit("/", 1)[-1]
    css(driver, "a[href='#/jobs']").click()
    row = f"tr[data-id='{job_id}']"
    wait_for(driver, lambda d: css(d, row))
    driver.execute_script("window.__sameDocument = true;")
    seen = set()
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the row is replaced as it updates
            seen.add(int(css(driver, f"{row} progress").get_attribute("value")))
        if 100 in seen:
            break
        if len(seen) == 3:
            screenshot("03-jobs-live")
        time.sleep(0.1)
    assert 100 in seen and any(0 < v < 100 for v in seen), seen
    wait_for(driver, lambda d: css(d, f"{row} .state").text == "succeeded")
    assert driver.execute_script("return window.__sameDocument === true;")  # never reloaded

    # Cancel another job from its page.
    submit_sleep(driver, live, "120", "4")
    wait_for(driver, lambda d: "/console/#/jobs/" in d.current_url and css(d, "h1").text.startswith("Job "))
    cancel = wait_for(driver, lambda d: next((b for b in all_css(d, "button") if b.text == "Cancel"), False))
    cancel.click()
    wait_for(driver, lambda d: css(d, "#job-state").text == "canceled", timeout=30)
    screenshot("04-job-canceled")
    wait_for(driver, lambda d: "canceled" in text_of(d, ".history"))

    # A cron schedule in Europe/Athens: the preview shows fires in that zone as you type.
    driver.get(f"{live}/console/#/schedules/new")
    wait_for(driver, lambda d: css(d, "#s-name").is_displayed())
    fill(driver, "#s-name", "athens-nightly")
    select(driver, "#s-task", "demo.sleep")
    fill(driver, "#s-kwargs", '{"seconds": 0}')
    css(driver, "#s-kind-cron").click()
    fill(driver, "#s-cron", "30 3 * * *")
    fill(driver, "#s-timezone", "Europe/Athens")
    wait_for(driver, lambda d: len(all_css(d, "#preview-list li")) == 5 and "3:30:00" in css(d, "#preview-list").text)
    assert "EET" in css(driver, "#preview-list").text or "GMT+2" in css(driver, "#preview-list").text
    fill(driver, "#s-cron", "30 3 * *")  # four fields: the preview says what is wrong
    wait_for(driver, lambda d: "/cron" in text_of(d, ".preview-errors"))
    fill(driver, "#s-cron", "30 3 * * *")
    wait_for(driver, lambda d: len(all_css(d, "#preview-list li")) == 5)
    driver.execute_script("document.querySelector('#s-timezone').scrollIntoView({block: 'start'});")
    screenshot("05-schedule-preview")
    css(driver, "form button[type=submit]").click()
    wait_for(driver, lambda d: css(d, "h1").text == "Schedule athens-nightly")
    schedule_url = driver.current_url

    # Edit it; its history shows the diff.
    driver.get(f"{schedule_url}/edit")
    wait_for(driver, lambda d: css(d, "#s-cron").get_attribute("value") == "30 3 * * *")
    fill(driver, "#s-cron", "45 4 * * 1-5")
    wait_for(driver, lambda d: "4:45:00" in text_of(d, "#preview-list"))
    css(driver, "form button[type=submit]").click()
    wait_for(driver, lambda d: css(d, "h1").text == "Schedule athens-nightly" and "cron 45 4 * * 1-5" in d.page_source)
    diff = wait_for(driver, lambda d: next((r for r in all_css(d, ".diff tr") if r.text.startswith("cron")), False))
    assert "30 3 * * *" in diff.text and "45 4 * * 1-5" in diff.text
    assert "changed cron" in text_of(driver, ".history")  # only the changed field was sent
    driver.execute_script("document.querySelector('#history-title').scrollIntoView({block: 'start'});")
    screenshot("06-schedule-history")

    driver.get(f"{live}/console/#/schedules")
    wait_for(driver, lambda d: "athens-nightly" in text_of(d, "table"))
    screenshot("07-schedules")
    assert csp_violations(driver) == []


def test_staff_sees_the_queue_chart_and_the_audit_feed(live, browser, screenshot):
    driver = browser
    sign_in(driver, live, "fuzzer")
    wait_for(driver, lambda d: css(d, "#who").text == "fuzzer (staff)")
    css(driver, "a[href='#/operations']").click()
    wait_for(driver, lambda d: css(d, "svg.chart"))
    assert len(all_css(driver, "svg.chart polyline")) == 3  # one depth line per queue
    assert "Queues" in text_of(driver, "caption") and "Workers" in text_of(driver, "caption")
    rows = all_css(driver, "table:first-of-type tbody tr")
    cells = {row.find_element("css selector", "th").text: row.find_elements("css selector", "td") for row in rows}
    caps = {queue: tds[-1].text for queue, tds in cells.items()}
    assert caps == {"high": "0 / 50000", "default": "0 / 1000", "low": "0 / no cap"}
    screenshot("08-operations")
    css(driver, "a[href='#/audit']").click()
    wait_for(driver, lambda d: len(all_css(d, ".history > li")) > 0)
    screenshot("09-audit")
    assert csp_violations(driver) == []


def test_spa_on_another_origin_signs_in_and_writes(live, spa_origin, browser):
    driver = browser
    driver.get(f"{spa_origin}/index.html?api={live}")
    wait_for(driver, lambda d: css(d, "#result").text != "running")
    steps = json.loads(css(driver, "#result").text)
    assert "error" not in steps, steps
    assert steps["signin"]["status"] == 200 and steps["signin"]["body"]["username"] == "fuzzer-plain"
    assert steps["me"]["body"]["username"] == "fuzzer-plain"
    assert steps["stale_token"] == 403  # the sign-in rotated the CSRF token
    assert steps["submit"]["status"] == 202 and steps["submit"]["body"]["task"] == "demo.sleep"
    assert steps["signout"] == 204 and steps["after"] == 401


def _luminance(rgb: str) -> float:
    """Relative luminance (0 black .. 1 white) of a computed `rgb(r, g, b)` colour."""
    red, green, blue = (int(part) / 255 for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_console_is_readable_in_light_and_dark_mode(live, browser, screenshot, scheme):
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    sign_in(browser, live, "fuzzer-plain")
    wait_for(browser, lambda d: all_css(d, "table"))
    colours = browser.execute_script("const s = getComputedStyle(document.body); return [s.backgroundColor, s.color];")
    background, text = (_luminance(colour) for colour in colours)
    assert (background < 0.2) if scheme == "dark" else (background > 0.8), colours
    assert abs(background - text) > 0.5, colours  # the text stands out from its background
    screenshot(f"10-jobs-{scheme}")
    assert not csp_violations(browser)
