"""The exceptions the handwritten parts of conveyor_client raise, built from Conveyor's RFC 9457
problem responses. No message ever contains the request's credentials."""

from typing import Any


class ConveyorError(Exception):
    """A request Conveyor did not accept; `status` and `problem` (the problem+json body, or {})
    say why, `request_id` finds it in the service's logs."""

    def __init__(self, message: str, *, status: int | None = None, problem: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem or {}
        self.request_id: str | None = self.problem.get("request_id")

    @classmethod
    def from_problem(cls, status: int, problem: dict[str, Any]) -> "ConveyorError":
        """The error for a problem+json response: its title and detail, then one line per pointer."""
        title = problem.get("title") or f"HTTP {status}"
        detail = problem.get("detail")
        lines = [f"{title}: {detail}" if detail and detail != title else str(title)]
        lines += [f"  {error.get('pointer', '')}: {error.get('detail', '')}" for error in problem.get("errors") or []]
        return cls("\n".join(lines), status=status, problem=problem)


class Rejected(ConveyorError, ValueError):
    """400: the service refused the request (unknown task or queue, arguments failing the task's
    JSON Schema...); `errors` lists `{pointer, detail, code}`, pointers into the request body
    (`/args/0`, `/kwargs/signup_id`)."""

    @property
    def errors(self) -> list[dict[str, str]]:
        return list(self.problem.get("errors") or [])

    @property
    def pointers(self) -> list[str]:
        return [error.get("pointer", "") for error in self.errors]


class AuthError(ConveyorError):
    """401 (no valid token: missing, wrong, expired or revoked) or 403 (the token's user may not
    do this, e.g. a staff-only task)."""


class Unavailable(ConveyorError):
    """The service could not be reached or kept failing (connection errors, timeouts, 5xx, a
    request with the same Idempotency-Key still in flight) after every retry."""
