"""What a person sees in a browser: the admin and django-rq's dashboard styled by the app's own
static files, the API docs complete under the Content-Security-Policy with nothing fetched from
another host, and a job followed with an EventSource that stops once the job is done."""

import json
import re
import urllib.request
from pathlib import Path

import yaml
from django.conf import settings
from selenium.webdriver.common.by import By

REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
UNSTYLED = {"rgba(0, 0, 0, 0)", "transparent"}  # the browser's default background


def operation_count() -> int:
    spec = yaml.safe_load(Path(settings.BASE_DIR, "openapi", "openapi.yaml").read_text())
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return sum(1 for item in spec["paths"].values() for method in item if method in methods)


def assert_clean(browser) -> None:  # type: ignore[no-untyped-def]
    """Nothing was asked of another host, not even tried, and the console shows no error (CSP
    violations included)."""
    urls = browser.requested_urls(browser.network())
    assert urls, "the performance log saw no request"
    assert browser.outside(urls) == []
    assert browser.console_errors() == []


def test_the_admin_is_styled_by_its_stylesheet(browser):
    browser.sign_in()
    browser.open("/admin/")
    header = browser.driver.find_element(By.ID, "header")
    assert header.is_displayed()
    assert browser.style("#header", "background-color") not in UNSTYLED  # admin/css/base.css applied
    stylesheets = [link.get_attribute("href") for link in browser.driver.find_elements(By.CSS_SELECTOR, "link")]
    assert any(re.search(r"/static/admin/css/base\.[0-9a-f]{12}\.css$", href) for href in stylesheets), stylesheets
    assert_clean(browser)


def test_the_django_rq_dashboard_is_styled(browser):
    browser.sign_in()
    browser.open("/admin/django_rq/dashboard/")
    assert browser.driver.find_element(By.CSS_SELECTOR, "#content h1").text == "Queues"
    assert browser.style("#header", "background-color") not in UNSTYLED
    # changelists.css lays the queue table out as the admin's change lists are.
    assert browser.style("#changelist table thead th", "background-color") not in UNSTYLED
    queues = [
        cell.text
        for cell in browser.driver.find_elements(
            By.CSS_SELECTOR, "#results_list tbody th, #results_list tbody td:first-child"
        )
    ]
    assert any("default" in text for text in queues), queues
    assert_clean(browser)


def test_swagger_ui_lists_every_operation_under_the_csp(browser):
    browser.open("/api/docs/")
    browser.wait_for(lambda: len(browser.driver.find_elements(By.CSS_SELECTOR, ".opblock")) == operation_count())
    assert browser.driver.find_element(By.CSS_SELECTOR, ".info .title").text.startswith("Conveyor API")
    network = browser.network()
    (page,) = [
        event["params"]["response"]
        for event in network
        if event["method"] == "Network.responseReceived" and event["params"]["response"]["url"].endswith("/api/docs/")
    ]
    policy = {key.lower(): value for key, value in page["headers"].items()}["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self' 'nonce-" in policy
    urls = browser.requested_urls(network)
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle." in url for url in urls)
    assert browser.outside(urls) == []  # not even tried
    assert browser.console_errors() == []


def test_redoc_renders_every_operation(browser):
    browser.open("/api/redoc/")
    operations = '[data-section-id*="/operation/"]'
    browser.wait_for(lambda: len(browser.driver.find_elements(By.CSS_SELECTOR, operations)) == operation_count())
    assert "Conveyor API" in browser.driver.find_element(By.CSS_SELECTOR, "h1").text
    network = browser.network()
    assert any("/static/drf_spectacular_sidecar/redoc/" in url for url in browser.requested_urls(network))
    # ReDoc's "API docs by Redocly" footer shows a logo from its CDN, hard-coded; the CSP blocks
    # it (the image then hides itself) and that is the only thing the page tried outside.
    assert browser.reached_outside(network) == []
    assert browser.outside(browser.requested_urls(network)) in ([], [REDOCLY_LOGO])
    assert [error for error in browser.console_errors() if REDOCLY_LOGO not in error] == []


def test_an_event_source_follows_a_job_and_stops_when_it_is_done(browser, live):
    """Signed in with a session cookie (an EventSource cannot send a token), a same-origin page
    follows a job to its end; the reconnect after the stream ends gets 204 and the
    EventSource stops: one open, two requests, nothing more in the next 5 s."""
    browser.sign_in()
    browser.open("/api/docs/")
    body = json.dumps({"task": "demo.sleep", "kwargs": {"seconds": 2, "steps": 4}}).encode()
    submit = urllib.request.Request(
        f"{live.base}/api/v1/jobs/",
        data=body,
        headers={"Authorization": f"Bearer {live.staff_token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(submit, timeout=10) as response:
        job = json.load(response)
    events_path = f"/api/v1/jobs/{job['id']}/events/"
    browser.network()  # forget what came before
    browser.driver.set_script_timeout(60)
    seen = browser.driver.execute_async_script(
        """
        const [url, finish] = [arguments[0], arguments[arguments.length - 1]];
        const seen = {opens: 0, errors: 0, events: []};
        const log = document.createElement("pre");  // what the screenshot shows
        Object.assign(log.style, {position: "fixed", top: "0", left: "0", right: "0", margin: "0",
                                  padding: "1em", background: "#ffd", zIndex: "9"});
        document.body.append(log);
        const note = (line) => { log.textContent += line + "\\n"; };
        const source = new EventSource(url);
        source.onopen = () => { seen.opens++; note("open"); };
        source.onerror = () => { seen.errors++; note("error; readyState " + source.readyState); };
        for (const name of ["state", "progress"]) {
            source.addEventListener(name, (event) => {
                const data = JSON.parse(event.data);
                note(`${name} id=${event.lastEventId} ` + (name === "state" ? data.state : data.message));
                seen.events.push({name, id: Number(event.lastEventId), data});
                if (name === "state" && data.done) {
                    setTimeout(() => { seen.readyState = source.readyState; source.close(); finish(seen); }, 5000);
                }
            });
        }
        """,
        events_path,
    )
    names = [event["name"] for event in seen["events"]]
    assert names[0] == "state" and seen["events"][-1]["data"]["state"] == "succeeded"
    assert "progress" in names
    ids = [event["id"] for event in seen["events"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert seen["opens"] == 1 and seen["readyState"] == 2  # EventSource.CLOSED: it stopped by itself
    network = browser.network()
    statuses = [
        event["params"]["response"]["status"]
        for event in network
        if event["method"] == "Network.responseReceived" and event["params"]["response"]["url"].endswith(events_path)
    ]
    assert statuses == [200, 204]
