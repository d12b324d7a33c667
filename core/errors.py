"""The domain errors services raise; api/errors.py turns them into problem+json."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field, located by a JSON Pointer into the request body."""

    pointer: str
    detail: str
    code: str = "invalid"


class DomainError(Exception):
    """Base for errors a caller can act on; `status` is the HTTP status it maps to."""

    status = 400
    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(DomainError):
    """The input is wrong; `errors` says where."""

    status = 400
    code = "invalid"

    def __init__(
        self, detail: str, *, pointer: str | None = None, code: str = "invalid", errors: list[FieldError] | None = None
    ) -> None:
        super().__init__(detail)
        self.errors = errors or ([FieldError(pointer, detail, code)] if pointer is not None else [])


class NotFound(DomainError):
    """The object does not exist, or the caller may not see it."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request clashes with the object's current state."""

    status = 409
    code = "conflict"


class Unprocessable(DomainError):
    """The request is well formed but cannot be honoured as sent (e.g. an idempotency key reused)."""

    status = 422
    code = "unprocessable"


class Unauthenticated(DomainError):
    """The credentials given are wrong (one message whether the account exists or not)."""

    status = 401
    code = "unauthenticated"


class RetryLater(DomainError):
    """Base for refusals that pass with time: the caller should wait `retry_after` seconds."""

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        if code is not None:
            self.code = code


class TooManyRequests(RetryLater):
    """The caller is over a limit of its own (sign-in lockout, submit rate, waiting jobs)."""

    status = 429
    code = "throttled"


class Unavailable(RetryLater):
    """The service cannot take this now (a full queue, no worker listening), whoever asks."""

    status = 503
    code = "unavailable"
