"""A live Conveyor for the client tests (tests.contract.fuzz.live_service; the example plug-in
app is installed because the test settings put it in CONVEYOR_APPS, which the service's
processes inherit), the remote task backend pointed at it, and an HTTP transport that records
exchanges and can lose a response."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conveyor_client.api_client import AuthenticatedClient
from conveyor_client.django import RemoteBackend
from django.tasks import task_backends

from tests.contract.fuzz import live_service

ALIAS = "remote"


class Recorder(httpx.BaseTransport):
    """Sends requests for real and keeps (request, response) pairs; with `lose_first_post`, the
    first POST reaches the service and is processed, but its response never reaches the client."""

    def __init__(self, *, lose_first_post: bool = False) -> None:
        self.inner = httpx.HTTPTransport()
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []
        self.lose_first_post = lose_first_post

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.exchanges.append((request, response))
        if self.lose_first_post and request.method == "POST":
            self.lose_first_post = False
            raise httpx.ReadError("connection reset before the response arrived", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[str, str]]:
    """(base URL, a plain user's token) of a live service, shared by the module's tests."""
    with live_service() as (base, tokens):
        yield base, tokens["plain"]


@pytest.fixture
def typed(live: tuple[str, str]) -> AuthenticatedClient:
    """The generated client, as the same user as the backend."""
    base, token = live
    return AuthenticatedClient(base_url=base, token=token)


@pytest.fixture
def remote(live: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., RemoteBackend]]:
    """Configure TASKS["remote"] as a project would (URL, TOKEN, ...; keyword arguments override
    OPTIONS) and return django.tasks' instance of it. Only the "remote" alias is added, so the
    in-process "default" backend of the other tests is left as it is."""
    base, token = live
    made: list[RemoteBackend] = []

    def configure(**options: Any) -> RemoteBackend:
        params = {"BACKEND": "conveyor_client.django.RemoteBackend", "QUEUES": ["default", "high", "low"]}
        monkeypatch.setitem(
            task_backends.settings, ALIAS, {**params, "OPTIONS": {"URL": base, "TOKEN": token, **options}}
        )
        if made:
            del task_backends[ALIAS]  # django.tasks made one from the previous settings
        backend = task_backends[ALIAS]
        assert isinstance(backend, RemoteBackend)
        made.append(backend)
        return backend

    yield configure
    for backend in made:
        backend.close()
    if made:
        del task_backends[ALIAS]
