"""The built-in tasks, called directly (progress() is a no-op outside a job)."""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from jobs.registry import get_task
from jobs.tasks import accounts, web
from jobs.tasks import mail as mail_task

pytestmark = pytest.mark.django_db


def pointers(task: str, **kwargs) -> list[str]:
    return [error.pointer for error in get_task(task).bind([], kwargs)[1]]


# --- mail.send -----------------------------------------------------------------------------------


def test_mail_send_to_a_list(settings):
    settings.DEFAULT_FROM_EMAIL = "conveyor@example.com"
    result = mail_task.send(to=["a@example.com", "b@example.com"], subject="Hello", body="Body")
    assert result == {"sent": 1, "to": ["a@example.com", "b@example.com"]}
    (message,) = mail.outbox
    assert message.to == ["a@example.com", "b@example.com"]
    assert (message.subject, message.body, message.from_email) == ("Hello", "Body", "conveyor@example.com")


def test_mail_send_to_one_address():
    assert mail_task.send("a@example.com", "Hi", "") == {"sent": 1, "to": ["a@example.com"]}
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_mail_send_checks_addresses_before_sending():
    # "x@y" passes the schema's screen but is not an address Django accepts.
    assert pointers("mail.send", to="x@y", subject="s", body="") == []
    with pytest.raises(mail_task.InvalidRecipient, match=r"recipient 1 \('x@y'\)"):
        mail_task.send(["a@example.com", "x@y"], "s", "")
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("kwargs", "pointer"),
    [
        ({"to": "x@example.com", "subject": "a\nBcc: evil@example.com", "body": ""}, "/kwargs/subject"),
        ({"to": "x@example.com", "subject": "a\rb", "body": ""}, "/kwargs/subject"),
        ({"to": "x@example.com", "subject": "s" * 999, "body": ""}, "/kwargs/subject"),
        ({"to": "not-an-address", "subject": "s", "body": ""}, "/kwargs/to"),
        ({"to": "a@example.com\nBcc: evil@example.com", "subject": "s", "body": ""}, "/kwargs/to"),
        ({"to": "a" * 250 + "@b.cd", "subject": "s", "body": ""}, "/kwargs/to"),
        ({"to": [], "subject": "s", "body": ""}, "/kwargs/to"),
        ({"to": ["a@example.com"] * 2, "subject": "s", "body": ""}, "/kwargs/to"),
        ({"to": [f"u{i}@example.com" for i in range(51)], "subject": "s", "body": ""}, "/kwargs/to"),
        ({"to": "x@example.com", "subject": "s", "body": "b" * 100_001}, "/kwargs/body"),
        ({"to": "x@example.com", "subject": "s"}, "/kwargs"),
        ({"to": "x@example.com", "subject": "s", "body": "", "cc": "y@example.com"}, "/kwargs"),
    ],
)
def test_mail_send_schema_refuses(kwargs, pointer):
    assert pointer in pointers("mail.send", **kwargs)


def test_mail_send_schema_accepts_up_to_fifty_recipients():
    to = [f"u{i}@example.com" for i in range(50)]
    assert pointers("mail.send", to=to, subject="s" * 998, body="b" * 100_000) == []


def test_mail_send_retries_transient_failures():
    task = get_task("mail.send")
    assert (task.queue, task.max_retries, task.retry_intervals, task.staff_only) == ("default", 3, (10, 60, 300), False)


# --- web.page_length -----------------------------------------------------------------------------


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):
        port = self.server.server_address[1]
        if self.path == "/slow":
            return self._drip()
        routes = {
            "/page": (200, {}, b"x" * 1234),
            "/moved": (302, {"Location": "/page"}, b""),
            "/moved-twice": (301, {"Location": f"http://127.0.0.1:{port}/moved"}, b""),
            "/away": (302, {"Location": f"http://localhost:{port}/page"}, b""),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/big": (200, {}, b"y" * 5000),
            "/loop": (302, {"Location": "/loop"}, b""),
        }
        if self.path == "/stream":
            # No Content-Length: only counting the bytes as they come can catch it.
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"z" * 5000)
            return None
        status, headers, body = routes.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b".")
                time.sleep(0.02)
        except OSError:
            pass  # the client gave up, as it should

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(settings, monkeypatch):
    monkeypatch.setenv("no_proxy", "*")  # a proxy in the environment must not see these requests
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.FETCH_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FETCH_MAX_BYTES = 4096
    settings.FETCH_TIMEOUT_SECONDS = 5
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_page_length(site):
    assert web.page_length(f"{site}/page") == {"url": f"{site}/page", "status": 200, "length": 1234}


def test_page_length_follows_allowed_redirects(site):
    assert web.page_length(f"{site}/moved") == {"url": f"{site}/page", "status": 200, "length": 1234}
    assert web.page_length(f"{site}/moved-twice")["url"] == f"{site}/page"


def test_page_length_reports_error_pages(site):
    assert web.page_length(f"{site}/missing") == {"url": f"{site}/missing", "status": 404, "length": 8}


def test_page_length_allowlist_is_case_insensitive(site, settings):
    settings.FETCH_ALLOWED_HOSTS = ["LOCALHOST", "127.0.0.1"]
    port = site.rsplit(":", 1)[1]
    assert web.page_length(f"http://LocalHost:{port}/page")["length"] == 1234
    assert web.page_length(f"{site}/away")["url"] == f"http://localhost:{port}/page"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/away", r"host 'localhost' is not in FETCH_ALLOWED_HOSTS"),
        ("/to-file", r"only http and https URLs may be fetched, not 'file'"),
        ("/big", r"larger than 4096 bytes \(Content-Length 5000\)"),
        ("/stream", r"larger than 4096 bytes$"),
        ("/loop", r"more than 5 redirects"),
    ],
)
def test_page_length_refusals(site, path, message):
    with pytest.raises(web.FetchRefused, match=message):
        web.page_length(f"{site}{path}")


def test_page_length_refuses_other_hosts(site, settings):
    settings.FETCH_ALLOWED_HOSTS = ["example.org"]
    with pytest.raises(web.FetchRefused, match=r"host '127\.0\.0\.1' is not in FETCH_ALLOWED_HOSTS"):
        web.page_length(f"{site}/page")


def test_page_length_empty_allowlist_allows_nothing(site, settings):
    settings.FETCH_ALLOWED_HOSTS = []
    with pytest.raises(web.FetchRefused, match="not in FETCH_ALLOWED_HOSTS"):
        web.page_length(f"{site}/page")


@pytest.mark.parametrize(
    "netloc",
    ["evil.example@127.0.0.1:{port}", "127.0.0.1:{port}\\@evil.example", "127.0.0.1%2f@evil.example", "127.0.0.1:x"],
)
def test_page_length_refuses_ambiguous_hosts(site, netloc):
    port = site.rsplit(":", 1)[1]
    with pytest.raises(web.FetchRefused):
        web.page_length(f"http://{netloc.format(port=port)}/page")


def test_page_length_refuses_whitespace(site):
    with pytest.raises(web.FetchRefused, match="whitespace"):
        web.page_length(f"{site}/page\t")


def test_page_length_gives_up_at_the_deadline(site, settings):
    settings.FETCH_TIMEOUT_SECONDS = 0.2
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        web.page_length(f"{site}/slow")
    assert time.monotonic() - started < 1.5  # the drip would take 2 s; the socket timeout never fires


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x", "HTTP://127.0.0.1/", "http://a b/", "127.0.0.1"]
)
def test_page_length_schema_refuses_other_urls(url):
    assert pointers("web.page_length", url=url) == ["/kwargs/url"]


def test_page_length_schema():
    assert pointers("web.page_length", url="https://example.org/a?b=c") == []
    assert pointers("web.page_length", url="https://example.org/" + "a" * 2048) == ["/kwargs/url"]
    assert pointers("web.page_length") == ["/kwargs"]


# --- accounts ------------------------------------------------------------------------------------


def _user(name: str, *, days: int, active: bool = False, logged_in: bool = False, staff: bool = False, **extra):
    joined = timezone.now() - timedelta(days=days)
    return get_user_model().objects.create(
        username=name,
        is_active=active,
        is_staff=staff,
        date_joined=joined,
        last_login=joined + timedelta(hours=1) if logged_in else None,
        **extra,
    )


def test_purge_unactivated_deletes_only_old_never_activated_accounts():
    _user("ghost", days=40)
    _user("ghost-2", days=31)
    kept = [
        _user("recent", days=5),
        _user("came-once", days=40, logged_in=True),
        _user("old-staff", days=40, staff=True),
        _user("old-superuser", days=40, is_superuser=True),
        _user("active", days=40, active=True),
    ]
    assert accounts.purge_unactivated(older_than_days=30) == {"deleted": 2, "usernames": ["ghost", "ghost-2"]}
    assert sorted(get_user_model().objects.values_list("username", flat=True)) == sorted(u.username for u in kept)
    assert accounts.purge_unactivated(older_than_days=30) == {"deleted": 0, "usernames": []}


def test_purge_unactivated_deletes_one_by_one_and_reports_progress(monkeypatch):
    for name in ("g1", "g2", "g3"):
        _user(name, days=10)
    deleted: list[str] = []
    monkeypatch.setattr(get_user_model(), "delete", lambda self, *a, **kw: deleted.append(self.username))
    ticks: list[tuple[int, int]] = []
    monkeypatch.setattr(accounts, "progress", lambda current, total, message="": ticks.append((current, total)))
    monkeypatch.setattr(accounts, "MAX_NAMES", 2)
    assert accounts.purge_unactivated(older_than_days=1) == {"deleted": 3, "usernames": ["g1", "g2"]}
    assert deleted == ["g1", "g2", "g3"]
    assert ticks == [(1, 3), (2, 3), (3, 3)]


def test_purge_schema_and_policy():
    assert pointers("accounts.purge_unactivated", older_than_days=0) == ["/kwargs/older_than_days"]
    assert pointers("accounts.purge_unactivated", older_than_days=3651) == ["/kwargs/older_than_days"]
    assert pointers("accounts.purge_unactivated", older_than_days="30") == ["/kwargs/older_than_days"]
    assert pointers("accounts.purge_unactivated", older_than_days=3650) == []
    task = get_task("accounts.purge_unactivated")
    assert (task.staff_only, task.queue) == (True, "low")


def test_check_engagement(settings):
    settings.ADMINS = ["ops@example.com"]
    engaged = _user("back", days=3, active=True, logged_in=True)
    idle = _user("idle", days=3, active=True)
    assert accounts.check_engagement(user_id=engaged.pk) == {
        "user_id": engaged.pk,
        "status": "engaged",
        "last_login": engaged.last_login.isoformat(),
    }
    assert mail.outbox == []
    assert accounts.check_engagement(user_id=idle.pk) == {"user_id": idle.pk, "status": "inactive", "notified": 1}
    (message,) = mail.outbox
    assert message.to == ["ops@example.com"]
    assert message.subject == "User idle has not come back since joining"
    assert accounts.check_engagement(user_id=999_999) == {"user_id": 999_999, "status": "missing"}
    assert len(mail.outbox) == 1


def test_check_engagement_login_at_joining_is_not_engagement(settings):
    settings.ADMINS = ["ops@example.com", "oncall@example.com"]
    user = _user("once", days=3)
    user.last_login = user.date_joined
    user.save()
    assert accounts.check_engagement(user.pk)["notified"] == 2
    assert mail.outbox[0].to == ["ops@example.com", "oncall@example.com"]


def test_check_engagement_without_admins_sends_nothing(settings):
    settings.ADMINS = []
    idle = _user("idle", days=3)
    assert accounts.check_engagement(idle.pk) == {"user_id": idle.pk, "status": "inactive", "notified": 0}
    assert mail.outbox == []


def test_check_engagement_keeps_line_breaks_out_of_the_subject(settings):
    settings.ADMINS = ["ops@example.com"]
    odd = _user("odd\nBcc: x@example.com", days=3)
    assert accounts.check_engagement(odd.pk)["notified"] == 1
    assert mail.outbox[0].subject == "User odd Bcc: x@example.com has not come back since joining"


def test_check_engagement_schema_and_policy():
    assert pointers("accounts.check_engagement", user_id=0) == ["/kwargs/user_id"]
    assert pointers("accounts.check_engagement", user_id=1.5) == ["/kwargs/user_id"]
    assert get_task("accounts.check_engagement").staff_only
