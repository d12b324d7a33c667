"""Deprecated home of the domain errors, kept importable for one release: plug-in tasks written
against `jobs.errors` (docs/your-tasks.md said so until 2026-12) keep working. Import them from
`core.errors`; this module goes in the next release."""

from core.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    RetryLater,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)

__all__ = [
    "Conflict",
    "DomainError",
    "FieldError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "RetryLater",
    "TooManyRequests",
    "Unauthenticated",
    "Unavailable",
    "Unprocessable",
]
