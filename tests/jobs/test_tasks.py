"""The built-in tasks, called directly (progress() is a no-op outside a job)."""

import threading
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


def test_mail_send(settings):
    settings.DEFAULT_FROM_EMAIL = "conveyor@example.com"
    result = mail_task.send(to=["a@example.com", "b@example.com"], subject="Hello", body="Body")
    assert result == {"sent": 1, "to": ["a@example.com", "b@example.com"]}
    (message,) = mail.outbox
    assert message.to == ["a@example.com", "b@example.com"] and message.subject == "Hello"
    assert message.from_email == "conveyor@example.com"


@pytest.mark.parametrize(
    ("kwargs", "pointer"),
    [
        ({"to": "x@example.com", "subject": "a\nBcc: evil@example.com", "body": ""}, "/kwargs/subject"),
        ({"to": "not-an-address", "subject": "s", "body": ""}, "/kwargs/to"),
        ({"to": [], "subject": "s", "body": ""}, "/kwargs/to"),
        ({"to": "x@example.com", "subject": "s"}, "/kwargs"),
    ],
)
def test_mail_send_schema(kwargs, pointer):
    assert pointer in pointers("mail.send", **kwargs)


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):
        port = self.server.server_address[1]
        routes = {
            "/page": (200, {}, b"x" * 1234),
            "/moved": (302, {"Location": "/page"}, b""),
            "/away": (302, {"Location": f"http://localhost:{port}/page"}, b""),
            "/big": (200, {}, b"y" * 5000),
            "/loop": (302, {"Location": "/loop"}, b""),
        }
        status, headers, body = routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.FETCH_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FETCH_MAX_BYTES = 4096
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_page_length(site):
    assert web.page_length(f"{site}/page") == {"url": f"{site}/page", "status": 200, "length": 1234}


def test_page_length_follows_allowed_redirects(site):
    assert web.page_length(f"{site}/moved")["url"] == f"{site}/page"


@pytest.mark.parametrize(
    ("path", "message"),
    [("/away", r"'localhost' is not in FETCH_ALLOWED_HOSTS"), ("/big", "larger than 4096"), ("/loop", "redirects")],
)
def test_page_length_refusals(site, path, message):
    with pytest.raises(web.FetchRefused, match=message):
        web.page_length(f"{site}{path}")


def test_page_length_refuses_other_hosts(site, settings):
    settings.FETCH_ALLOWED_HOSTS = ["example.org"]
    with pytest.raises(web.FetchRefused, match=r"127\.0\.0\.1"):
        web.page_length(f"{site}/page")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x"])
def test_page_length_schema_refuses_other_schemes(url):
    assert pointers("web.page_length", url=url) == ["/kwargs/url"]


def _user(name: str, *, days: int, active: bool = False, logged_in: bool = False, staff: bool = False):
    joined = timezone.now() - timedelta(days=days)
    return get_user_model().objects.create(
        username=name,
        is_active=active,
        is_staff=staff,
        date_joined=joined,
        last_login=joined + timedelta(hours=1) if logged_in else None,
    )


def test_purge_unactivated_deletes_only_old_never_activated_accounts():
    _user("ghost", days=40)
    kept = [
        _user("recent", days=5),
        _user("came-once", days=40, logged_in=True),
        _user("old-staff", days=40, staff=True),
        _user("active", days=40, active=True),
    ]
    assert accounts.purge_unactivated(older_than_days=30) == {"deleted": 1, "usernames": ["ghost"]}
    assert sorted(get_user_model().objects.values_list("username", flat=True)) == sorted(u.username for u in kept)


def test_purge_schema():
    assert pointers("accounts.purge_unactivated", older_than_days=0) == ["/kwargs/older_than_days"]
    assert get_task("accounts.purge_unactivated").staff_only


def test_check_engagement(settings):
    settings.ADMINS = ["ops@example.com"]
    engaged = _user("back", days=3, active=True, logged_in=True)
    idle = _user("idle", days=3, active=True)
    assert accounts.check_engagement(user_id=engaged.pk)["status"] == "engaged"
    assert mail.outbox == []
    assert accounts.check_engagement(user_id=idle.pk) == {"user_id": idle.pk, "status": "inactive", "notified": 1}
    (message,) = mail.outbox
    assert message.to == ["ops@example.com"] and "idle" in message.subject
    assert accounts.check_engagement(user_id=999_999) == {"user_id": 999_999, "status": "missing"}
