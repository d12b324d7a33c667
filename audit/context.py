"""The attribution context: who is acting, through which channel, request or job, and why.

One context feeds every writer of audit data (Auditable, simple-history, reversion, logs).
Requests set it in middleware, workers per job, management commands as `system`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

CHANNELS = ("api", "admin", "job", "schedule", "system")


@dataclass(frozen=True)
class Attribution:
    """Who/why/via for the work in progress. `actor` is resolved lazily for requests."""

    channel: str = "system"
    request_id: str | None = None
    job_id: str | None = None
    schedule_id: str | None = None
    reason: str = ""
    client_ip: str | None = None
    user: AbstractBaseUser | None = None
    request: HttpRequest | None = None

    @property
    def actor(self) -> AbstractBaseUser | None:
        """The authenticated user behind this work, if any."""
        if self.user is not None:
            return self.user
        request_user = getattr(self.request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            return request_user  # type: ignore[no-any-return]
        return None


_current: ContextVar[Attribution] = ContextVar("attribution", default=Attribution())  # noqa: B039


def current() -> Attribution:
    """Return the attribution in force for the running code."""
    return _current.get()


@contextmanager
def attribute(**changes: Any) -> Iterator[Attribution]:
    """Run a block with some attribution fields replaced; restores the previous ones after."""
    token = _current.set(replace(_current.get(), **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@contextmanager
def restored(ctx: Attribution) -> Iterator[Attribution]:
    """Run a block under `ctx`, an attribution taken with `current()` in another thread."""
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


class LogContextFilter(logging.Filter):
    """Adds request_id, job_id and channel to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _current.get()
        request = getattr(record, "request", None)  # Django's own request logging passes it
        record.request_id = getattr(request, "request_id", None) or ctx.request_id
        record.job_id = getattr(record, "job_id", None) or ctx.job_id
        record.channel = ctx.channel
        return True
