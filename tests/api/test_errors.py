"""Every error is problem+json with a request id; bad bodies are refused cleanly."""

import pytest
from django.db import InterfaceError, OperationalError

from accounts.services import token_create
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_404_problem(api):
    body = assert_problem(api.get("/api/v1/no-such-thing/"), 404)
    assert body["title"] == "Not Found"


def test_malformed_uuid_in_path_is_404(api):
    assert_problem(api.delete("/api/v1/auth/tokens/not-a-uuid/"), 404)


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_the_database_unreachable_is_a_503_problem_with_retry_after(api, monkeypatch, error):
    """As during a PostgreSQL restart (tests/cluster found 500s there): 503, never 500."""

    def unreachable(*args, **kwargs):
        raise error("terminating connection due to administrator command")

    monkeypatch.setattr("api.views.jobs.job_list", unreachable)
    api.raise_request_exception = False
    response = api.get("/api/v1/jobs/")
    body = assert_problem(response, 503)
    assert body["type"].endswith(":unavailable") and response["Retry-After"] == "5"


def test_other_server_errors_stay_500(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("api.views.jobs.job_list", broken)
    api.raise_request_exception = False
    assert_problem(api.get("/api/v1/jobs/"), 500)


def test_method_not_allowed_is_problem(api):
    assert_problem(api.put("/api/v1/me/", {}, format="json"), 405)


def test_request_id_is_echoed_or_generated(api):
    given = api.get("/api/v1/me/", HTTP_X_REQUEST_ID="trace-123")
    assert given["X-Request-ID"] == "trace-123"
    generated = api.get("/api/v1/me/", HTTP_X_REQUEST_ID="bad id with spaces")
    assert generated["X-Request-ID"] != "bad id with spaces" and len(generated["X-Request-ID"]) == 32


def test_non_json_body_is_415(api):
    response = api.post("/api/v1/auth/tokens/", "name=x", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415)


@pytest.mark.parametrize(
    "raw",
    [b'{"name": NaN}', b'{"name": "x"', b'{"name": "\xff"}', b"[" * 40 + b"]" * 40, b"[" * 100_000],
    ids=["nan", "truncated", "invalid-utf8", "too-deep", "recursion-bomb"],
)
def test_malformed_json_is_400(api, raw):
    assert_problem(api.post("/api/v1/auth/tokens/", raw, content_type="application/json"), 400)


def test_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = b'{"name": "' + b"x" * 2000 + b'"}'
    problem = assert_problem(api.post("/api/v1/auth/tokens/", raw, content_type="application/json"), 413)
    assert problem["type"] == "urn:conveyor:problem:too_large"  # as docs/errors.md says


@pytest.mark.parametrize("path", ["/api/v1/jobs/", "/api/v1/schedules/", "/api/v1/auth/tokens/"])
@pytest.mark.parametrize("cursor", ["%%%", "!!", "bm90IGEgY3Vyc29y", "eD0x", ""])
def test_a_cursor_the_server_did_not_write_is_400(api, path, cursor):
    """`%%%` and `!!` are not base64; the others decode to text that holds no cursor field."""
    problem = assert_problem(api.get(path, {"cursor": cursor}), 400)
    assert [error["pointer"] for error in problem["errors"]] == ["/cursor"]


def test_a_cursor_the_server_wrote_is_followed(api, user):
    for index in range(3):
        token_create(user=user, name=f"t{index}")
    first = api.get("/api/v1/auth/tokens/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    assert len(first["results"]) == 2 and second["results"]
    assert not {t["id"] for t in first["results"]} & {t["id"] for t in second["results"]}


def test_an_accept_the_api_cannot_satisfy_is_a_406_problem(api):
    problem = assert_problem(api.get("/api/v1/me/", HTTP_ACCEPT="text/html"), 406)
    assert problem["type"] == "urn:conveyor:problem:not_acceptable"


def _emitted_codes() -> set[str]:
    """Every problem code api/errors.py can emit: the domain errors', the DRF exceptions' it
    converts, and its own (Django's handlers, 413)."""
    from rest_framework import exceptions

    from jobs import errors

    domain = {
        cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)
    }
    drf = {
        cls.default_code
        for cls in (
            exceptions.ParseError,
            exceptions.AuthenticationFailed,
            exceptions.NotAuthenticated,
            exceptions.PermissionDenied,
            exceptions.NotFound,
            exceptions.MethodNotAllowed,
            exceptions.NotAcceptable,
            exceptions.UnsupportedMediaType,
            exceptions.Throttled,
        )
    }
    own = {"bad_request", "forbidden", "not_found", "server_error", "csrf_failed", "too_large"}
    return (domain - {"error"}) | drf | own


def test_docs_list_every_problem_code_the_api_emits():
    from pathlib import Path

    listed = Path(__file__).resolve().parents[2].joinpath("docs", "errors.md").read_text()
    assert sorted(code for code in _emitted_codes() if f"`{code}`" not in listed) == []


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/api/v1/jobs/", {"GET", "POST"}),
        ("put", "/api/v1/me/", {"GET"}),
        ("get", "/api/v1/jobs/batch/", {"POST"}),
    ],
)
def test_a_method_the_path_does_not_allow_is_a_405_problem_with_allow(api, method, path, allowed):
    response = getattr(api, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:conveyor:problem:method_not_allowed"
    assert allowed <= {m.strip() for m in response["Allow"].split(",")}
