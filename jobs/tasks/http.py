"""The HTTP task: a signed JSON request to an operator-configured target (docs/http-tasks.md).

Clients name a target (settings.HTTP_TASK_TARGETS) and a path; the target's base URL, signing
secret and headers stay in settings. Every request carries `Conveyor-Signature: t=<unix>,v1=<hex>`
(HMAC-SHA256 of `<t>.<body>`), `Conveyor-Job-Id` and `Idempotency-Key` (the job id, the same on
every retry). Only public addresses are called unless HTTP_TASK_ALLOW_PRIVATE; the connection
goes to the address that was checked; redirects are never followed.
"""

import hashlib
import hmac
import http.client
import json
import logging
import re
import socket
import time
import uuid
from typing import Any

from django.conf import settings

from jobs.outbound import Refused, chunks, resolve, screen_url
from jobs.registry import task
from jobs.runtime import PermanentFailure, current_job_id

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Conveyor-Signature"
JOB_ID_HEADER = "Conveyor-Job-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "Conveyor-HTTP-Task/1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_HEADERS = 20
HEADER_VALUE_MAX = 1024
PATH_MAX = 2048
ERROR_BODY_CHARS = 500
# Configured header values shorter than this (a version number, "1") are not secrets worth
# blanking out of every recorded answer.
SCRUB_MIN_LENGTH = 8
# Answers another attempt may change: the job's retry policy applies. Any other non-2xx fails it.
RETRY_STATUSES = frozenset({408, 429})
# Never from a client or a target's configuration: hop-by-hop headers, what the connection and
# the body decide, and what Conveyor sets itself.
FORBIDDEN_HEADERS = (
    *["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer"],
    *["transfer-encoding", "upgrade", "host", "content-length", "content-type", "expect"],
    *(name.lower() for name in (SIGNATURE_HEADER, JOB_ID_HEADER, IDEMPOTENCY_HEADER)),
)
# Never from a client: a credential in a job's arguments would be kept, shown and audited.
# Targets carry their credentials in their configured headers instead.
CREDENTIAL_WORDS = ("auth", "cookie", "token", "secret", "password", "session", "api-key", "apikey", "signature")
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
# A path under the target's base URL: no fragment, no backslash, no whitespace, no segment of
# dots (percent-encoded or not) that would climb out of the base path.
PATH_PATTERN = r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$"
DOT_SEGMENT_PATTERN = r"(^|/)(\.|%2[eE])+(/|\?|$)"


def _any_case(word: str) -> str:
    """`word` as a case-insensitive pattern that any JSON Schema (ECMA 262) validator reads."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else "\\." if c == "." else c for c in word)


FORBIDDEN_NAME_PATTERN = (
    f"^(?:{'|'.join(_any_case(name) for name in FORBIDDEN_HEADERS)})$|"
    f"^{_any_case('proxy-')}|^{_any_case('sec-')}|"
    f"{'|'.join(_any_case(word) for word in CREDENTIAL_WORDS)}"
)
_FORBIDDEN_NAME = re.compile(FORBIDDEN_NAME_PATTERN)


class HttpTaskRefused(PermanentFailure):
    """Conveyor will not send this request (unknown target, refused address or header, body too large)."""


class HttpTaskRejected(PermanentFailure):
    """The target answered with a redirect or a 4xx that another attempt would not change."""


class HttpTaskServerError(Exception):
    """The target answered 5xx, 408 or 429: the job's retry policy applies."""


class HttpTaskUnreachable(Exception):
    """The request did not get an answer (DNS, connection, TLS, timeout): the retry policy applies."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Return the Conveyor-Signature header value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes | str, tolerance: int = 300, *, now: float | None = None
) -> bool:
    """Whether `header` (Conveyor-Signature) signs `body` with `secret`, at most `tolerance` s from now.

    For receivers: pass the raw request body, before any JSON parsing. Standard library only,
    so it can be copied into a receiver as it is. A `tolerance` of 0 skips the age check.
    """
    raw = body.encode() if isinstance(body, str) else body
    timestamp: str | None = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            if timestamp is not None:
                return False
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not re.fullmatch(r"[0-9]{1,12}", timestamp) or not signatures:
        return False
    if tolerance and abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest().encode()
    return any(hmac.compare_digest(expected, signature.encode("utf-8", "replace")) for signature in signatures)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses checked beforehand, never to a fresh lookup of the host name."""

    addresses: list[str]

    def connect(self) -> None:
        error: OSError | None = None
        for address in self.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                error = exc
                continue
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return
        raise error or OSError("no address to connect to")


class _PinnedHTTPSConnection(http.client.HTTPSConnection, _PinnedHTTPConnection):
    """TLS over a pinned connection: HTTPSConnection.connect wraps what _PinnedHTTPConnection opened,
    verifying the certificate for the host name (SNI), not the address."""


def _check_headers(headers: dict[str, str], *, client: bool) -> None:
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name) or not HEADER_VALUE.fullmatch(value) or len(value) > HEADER_VALUE_MAX:
            raise HttpTaskRefused(f"header {name[:64]!r} is not a plain header name with a printable value")
        lowered = name.lower()
        if lowered in FORBIDDEN_HEADERS or lowered.startswith(("proxy-", "sec-")):
            raise HttpTaskRefused(f"header {name!r} may not be set")
        if client and _FORBIDDEN_NAME.search(name):
            raise HttpTaskRefused(f"header {name!r} may not be set by a client (credentials belong in the target)")


def _scrub(text: str, secrets: list[str]) -> str:
    """`text` with every configured secret value replaced by ***, should a target echo one back."""
    for secret in secrets:
        if len(secret) >= SCRUB_MIN_LENGTH:
            text = text.replace(secret, "***")
    return text


def _recorded_body(
    data: bytes, content_type: str, charset: str, limit: int, secrets: list[str]
) -> tuple[Any, str, bool]:
    """Return (body, format, cut): JSON if it is JSON and whole, else text; JSON-encoded within `limit`."""
    try:
        text = data.decode(charset, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    text = _scrub(text, secrets)
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        else:
            if len(json.dumps(parsed)) <= limit:
                return parsed, "json", False
    cut = False
    # The result is measured JSON-encoded (escapes included). Each character cut shortens the
    # encoding by at least one, so cutting the excess makes it fit in one pass.
    while (excess := len(json.dumps(text)) - limit) > 0:
        text = text[: len(text) - excess]
        cut = True
    return text, "text", cut


@task(
    "http.request",
    parameters={
        "properties": {
            "target": {
                "type": "string",
                "pattern": f"^{settings.HTTP_TASK_TARGET_NAME.pattern}$",
                "description": "A target configured by the operator (HTTP_TASK_TARGETS).",
            },
            "path": {
                "type": "string",
                "maxLength": PATH_MAX,
                "pattern": PATH_PATTERN,
                "not": {"pattern": DOT_SEGMENT_PATTERN},
                "default": "/",
                "description": "Path (and query) under the target's base URL; starts with /.",
            },
            "method": {"enum": list(METHODS), "default": "POST"},
            "headers": {
                "type": "object",
                "maxProperties": MAX_HEADERS,
                "propertyNames": {"pattern": f"^{HEADER_NAME.pattern}$", "not": {"pattern": FORBIDDEN_NAME_PATTERN}},
                "additionalProperties": {
                    "type": "string",
                    "maxLength": HEADER_VALUE_MAX,
                    "pattern": "^[\\t\\x20-\\x7e]*$",
                },
                "description": "Extra headers. Hop-by-hop, Host, Content-*, Conveyor's own and credential-like "
                "names (Authorization, Cookie, *token*, *secret*, *auth*...) are refused.",
            },
            "body": {"description": "JSON sent as the request body (Content-Type: application/json); omit for none."},
        },
        "required": ["target"],
        # A GET carries no body.
        "if": {"properties": {"method": {"const": "GET"}}, "required": ["method"]},
        "then": {"not": {"required": ["body"]}},
    },
    timeout_seconds=120,
    max_retries=3,
    retry_intervals=(10, 60, 300),
)
def request(
    target: str, path: str = "/", method: str = "POST", headers: dict[str, str] | None = None, body: Any = None
) -> dict[str, Any]:
    """Send a signed JSON request to a configured target; record status, timing and the response."""
    config = settings.HTTP_TASK_TARGETS.get(target)
    if config is None:
        raise HttpTaskRefused(f"no HTTP target named {target!r}")
    secrets = [config["secret"], *config["headers"].values()]
    _check_headers(config["headers"], client=False)
    _check_headers(headers or {}, client=True)
    payload = b"" if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    if len(payload) > settings.HTTP_TASK_MAX_REQUEST_BYTES:
        raise HttpTaskRefused(f"the body is {len(payload)} bytes; the limit is {settings.HTTP_TASK_MAX_REQUEST_BYTES}")
    try:
        parts = screen_url(config["base_url"] + path)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        addresses = resolve(host, port, allow_private=settings.HTTP_TASK_ALLOW_PRIVATE)
    except Refused as exc:
        raise HttpTaskRefused(f"{target}: {exc}") from None
    except OSError as exc:
        raise HttpTaskUnreachable(f"{target}: {exc}") from None

    job_id = current_job_id() or str(uuid.uuid4())
    sent = {
        **config["headers"],
        **(headers or {}),
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(config["secret"], payload, int(time.time())),
        JOB_ID_HEADER: job_id,
        IDEMPOTENCY_HEADER: job_id,
    }
    if body is not None:
        sent["Content-Type"] = "application/json"
    timeout = settings.HTTP_TASK_TIMEOUT_SECONDS
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, parts.port, timeout=timeout)
    connection.addresses = addresses
    target_path = parts.path + (f"?{parts.query}" if parts.query else "")
    limit = settings.HTTP_TASK_MAX_RESPONSE_BYTES
    logger.info("http.request %s %s %s", method, target, path)
    started = time.monotonic()
    try:
        connection.request(method, target_path, body=payload if body is not None else None, headers=sent)
        response = connection.getresponse()
        data = bytearray()
        truncated = False
        for chunk in chunks(response, started + timeout, timeout):
            data += chunk
            if len(data) > limit:  # the rest is neither read nor kept
                truncated = True
                del data[limit:]
                break
        status = response.status
        content_type = response.headers.get_content_type()
        charset = response.headers.get_content_charset() or "utf-8"
    except (OSError, http.client.HTTPException) as exc:
        # Exception texts may quote the request; only their kind and a scrubbed message are kept.
        message = _scrub(str(exc), [*secrets, config["base_url"]])[:300]
        raise HttpTaskUnreachable(f"{method} {target} {path}: {type(exc).__name__}: {message}") from None
    finally:
        connection.close()
    elapsed_ms = round(1000 * (time.monotonic() - started))
    recorded, body_format, cut = _recorded_body(bytes(data), content_type, charset, limit, secrets)
    logger.info("http.response %s %s %s -> %d in %d ms", method, target, path, status, elapsed_ms)
    result = {
        "target": target,
        "method": method,
        "path": path,
        "status": status,
        "elapsed_ms": elapsed_ms,
        "content_type": content_type[:200],
        "body": recorded,
        "body_format": body_format,
        "body_truncated": truncated or cut,
    }
    if 200 <= status < 300:
        return result
    answer = f"{method} {target} {path} answered {status}"
    snippet = (recorded if isinstance(recorded, str) else json.dumps(recorded))[:ERROR_BODY_CHARS]
    if status >= 500 or status in RETRY_STATUSES:
        raise HttpTaskServerError(f"{answer}: {snippet}")
    if 300 <= status < 400:
        raise HttpTaskRejected(f"{answer}: redirects are not followed")
    raise HttpTaskRejected(f"{answer}: {snippet}")
