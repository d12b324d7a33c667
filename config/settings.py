"""Django settings for Conveyor; every environment variable is read here, once."""

import importlib.util
import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.csp import inline_block_hashes
from core.redis import connection_config


def _env_limit(name: str, default: int) -> int:
    """Read a non-negative whole number (0 = no limit), or raise ImproperlyConfigured."""
    try:
        value = int(env.str(name, default=str(default)))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (0 = no limit)") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be 0 (no limit) or more, not {value}")
    return value


def _env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """Read one of `choices`, or raise ImproperlyConfigured naming them."""
    value = env.str(name, default=default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # local state (SQLite, embedded Redis); git-ignored, made on first use
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

ENVIRONMENT = _env_choice("CONVEYOR_ENV", ("development", "production"), default="development")
DEVELOPMENT = ENVIRONMENT == "development"
DEBUG = env.bool("DEBUG", default=False)

# Production has no default secret: starting without SECRET_KEY outside development fails.
if DEVELOPMENT:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-insecure-key-do-not-deploy")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEVELOPMENT else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["Location", "ETag", "Retry-After", "X-Request-ID", "Idempotent-Replayed"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "x-csrftoken",
    "x-request-id",
    "idempotency-key",
    "if-none-match",
    "last-event-id",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc assets, served from /static/ (no CDN)
    "simple_history",
    "reversion",
    "audit",
    "accounts",
    "jobs",  # before django_rq: its `rqworker` command is the one that runs
    "django_rq",
    "api",
    "console",
]
# Plug-in apps: the deployer's own Django apps, pip-installed into the same environment (or
# image). Their tasks register at start-up in every process, their migrations run with the
# rest, their admin and URLs (under /apps/<label>/) are served. See docs/your-tasks.md.
CONVEYOR_APPS = env.list("CONVEYOR_APPS", default=[])
for _app in CONVEYOR_APPS:
    try:
        _found = importlib.util.find_spec(_app) is not None
    except ModuleNotFoundError:
        _found = False
    if not _found:
        raise ImproperlyConfigured(
            f"CONVEYOR_APPS names {_app!r}, which is not installed in this environment: "
            "pip install its package into Conveyor's environment (or image), or remove it"
        )
INSTALLED_APPS += CONVEYOR_APPS

MIDDLEWARE = [
    "audit.middleware.RequestContextMiddleware",
    "api.middleware.HttpMetricsMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ from STATIC_ROOT in every mode (make run, the image, compose); see below.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",  # {{ csp_nonce }} for inline scripts
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'conveyor.sqlite3'}"),
}
# The process role, set by its launcher: manage.py for `rqworker` and `conveyor_scheduler`,
# config.web for the web server; anything else (migrate, a shell, the tests) is "web". The worker
# and scheduler are single-threaded: each keeps one persistent connection (a fork worker's work
# horse opens its own). A pool would not help them, and its threads and idle sockets must not
# cross the fork of a work horse.
CONVEYOR_PROCESS = _env_choice("CONVEYOR_PROCESS", ("web", "worker", "scheduler"), default="web")
SINGLE_THREADED_PROCESS = CONVEYOR_PROCESS != "web"
if SINGLE_THREADED_PROCESS:
    DATABASES["default"]["CONN_MAX_AGE"] = None
    # The scheduler checks its connection before each tick. A worker does not before each job
    # (a round trip per job): the job's first statement, a read, is repeated once on a new
    # connection if the old one died while the worker waited (jobs.engine.outage.on_a_live_connection).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = CONVEYOR_PROCESS == "scheduler"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A bounded psycopg pool per web process. Under ASGI every concurrent request runs its sync
    # part in its own thread, so persistent per-thread connections (CONN_MAX_AGE) would grow with
    # the number of open long-polls until PostgreSQL refuses clients; a pool caps them.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": 20,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement on its connection after it ran there `prepare_threshold` times.
    # Django binds its own queries on the client, which never prepares: only the hot paths' fixed
    # statements are (core/db.py). Off behind a pooler that loses prepared statements (PgBouncer
    # before 1.21 in transaction mode; docs/operations.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", 5 if env.bool("DB_PREPARED_STATEMENTS", default=True) else None
    )
# Threads per web process for plain requests (config/asgi.py); each may hold a pooled connection.
WEB_THREADS = env.int("WEB_THREADS", default=10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not :memory:) test database, so worker processes started by tests can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # WAL + a busy timeout let the web, worker and scheduler processes share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

# Static files (the admin's, django-rq's, Swagger UI's and ReDoc's) are served by the app itself
# through WhiteNoise, from STATIC_ROOT, with the same storage in development, tests and
# production: `manage.py collectstatic` must have run (make run, make test and the image's build
# do it), else a page that links a static file fails with "Missing staticfiles manifest entry".
# Hashed names are cached forever by browsers; gzip copies are served to clients that take them.
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Redis and RQ -----------------------------------------------------------------------------
# Without REDIS_URL, `make run` and the test suite start a private redis-server (config.redis_server)
# listening on this unix socket.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
# Sentinel and TLS (core.redis, docs/operations.md#redis-sentinel-and-tls): with
# REDIS_SENTINELS, REDIS_URL gives only the scheme, credentials and database of the master.
REDIS_SENTINELS = env.list("REDIS_SENTINELS", default=[])
REDIS_SENTINEL_MASTER = env.str("REDIS_SENTINEL_MASTER", default="mymaster")
REDIS_SENTINEL_PASSWORD = env.str("REDIS_SENTINEL_PASSWORD", default="")
REDIS_CA_CERTS = env.str("REDIS_CA_CERTS", default="")
REDIS_SSL_CERT_REQS = env.str("REDIS_SSL_CERT_REQS", default="required")
EMBEDDED_REDIS = not env.str("REDIS_URL", default="") and not REDIS_SENTINELS
REDIS_URL = env.str("REDIS_URL", default="") or (
    "redis://" if REDIS_SENTINELS else f"unix://{EMBEDDED_REDIS_SOCKET}?db=0"
)


QUEUE_NAMES = env.list("CONVEYOR_QUEUES", default=["high", "default", "low"])
# Every process connects through django-rq's get_redis_connection() with this entry: the
# worker (rqworker) directly, the web process and the scheduler via jobs.engine.dispatch.
RQ_QUEUES = {
    name: {
        **connection_config(
            REDIS_URL,
            sentinels=REDIS_SENTINELS,
            master=REDIS_SENTINEL_MASTER,
            sentinel_password=REDIS_SENTINEL_PASSWORD,
            ca_certs=REDIS_CA_CERTS,
            cert_reqs=REDIS_SSL_CERT_REQS,
        ),
        "SERIALIZER": "rq.serializers.JSONSerializer",
    }
    for name in QUEUE_NAMES
}
# Back-pressure (jobs.services.admission): per-user limits on submits (staff are exempt; 0 = no limit), and
# a cap on each RQ queue's length past which submits to it are refused (0 = no cap), so a flood
# answers 429/503 instead of filling Redis until `noeviction` fails every write.
SUBMIT_RATE_PER_MINUTE = _env_limit("SUBMIT_RATE_PER_MINUTE", 3000)
MAX_WAITING_JOBS_PER_USER = _env_limit("MAX_WAITING_JOBS_PER_USER", 10000)
QUEUE_MAX_DEPTH = _env_limit("QUEUE_MAX_DEPTH", 50000)
# Per-queue caps that replace QUEUE_MAX_DEPTH for the queues they name, e.g. `low=200000,high=5000`.
QUEUE_MAX_DEPTHS = {name: QUEUE_MAX_DEPTH for name in QUEUE_NAMES} | {
    name: int(depth) for name, depth in env.dict("QUEUE_MAX_DEPTHS", default={}).items()
}
if unknown := set(QUEUE_MAX_DEPTHS) - set(QUEUE_NAMES):
    raise ImproperlyConfigured(f"QUEUE_MAX_DEPTHS names unknown queues: {sorted(unknown)}")
# How often a fork worker heartbeats while its job runs; 3 missed beats = the worker is gone.
WORKER_MONITORING_INTERVAL = env.int("WORKER_MONITORING_INTERVAL", default=5)
# A run that ends within this many milliseconds is recorded as one change (queued -> succeeded
# or failed); one still going then is marked running first (jobs.engine.running_timer, jobs.engine.worker).
WORKER_RUNNING_AFTER_MS = env.int("WORKER_RUNNING_AFTER_MS", default=20)
# The scheduler's reconcile pass: how often it runs, and how old a push or a start must be
# before it touches the job (jobs.operations.reconcile).
RECONCILE_EVERY_SECONDS = env.float("RECONCILE_EVERY_SECONDS", default=5.0)
RECONCILE_GRACE_SECONDS = env.float("RECONCILE_GRACE_SECONDS", default=15.0)
WORKER_CLASSES = {"fork": "jobs.engine.worker.ForkWorker", "simple": "jobs.engine.worker.SimpleWorker"}
RQ = {
    "JOB_CLASS": "jobs.engine.entrypoints.JsonJob",
    "QUEUE_CLASS": "jobs.engine.entrypoints.ConveyorQueue",
    "WORKER_CLASS": WORKER_CLASSES[_env_choice("CONVEYOR_WORKER", tuple(WORKER_CLASSES), default="fork")],
}

# Django's task API: `@django.tasks.task` functions are Conveyor tasks, `.enqueue()` submits a job.
TASKS = {"default": {"BACKEND": "jobs.backend.ConveyorBackend", "QUEUES": QUEUE_NAMES}}

# --- Retention (jobs.operations.retention, docs/operations.md) -----------------------------------------------


def env_days(name: str, default: int) -> int:
    """Read a whole number of days >= 0; empty or 0 means keep forever (0)."""
    raw = env.str(name, default=str(default)).strip()
    if not raw:
        return 0
    try:
        days = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number of days (0 or empty: keep forever)") from None
    if not 0 <= days <= 36500:
        raise ImproperlyConfigured(f"{name} must be between 0 and 36500 days, not {days}")
    return days


# Finished jobs (and their logs and history) older than this are deleted; 0 = keep them forever.
JOB_RETENTION_DAYS = env_days("JOB_RETENTION_DAYS", 30)
# History of schedules, users, tokens, lockouts (never an object's latest record); 0 = forever.
AUDIT_RETENTION_DAYS = env_days("AUDIT_RETENTION_DAYS", 365)

# --- Schedules ----------------------------------------------------------------------------------
# The shortest interval an `interval` schedule may have.
SCHEDULE_MIN_INTERVAL_SECONDS = env.int("SCHEDULE_MIN_INTERVAL_SECONDS", default=5)

# --- Built-in tasks -----------------------------------------------------------------------------
# web.page_length fetches only from these hosts (exact names; redirects are re-checked).
FETCH_ALLOWED_HOSTS = env.list("FETCH_ALLOWED_HOSTS", default=[])
FETCH_MAX_BYTES = env.int("FETCH_MAX_BYTES", default=10 * 1024 * 1024)
FETCH_TIMEOUT_SECONDS = env.float("FETCH_TIMEOUT_SECONDS", default=10.0)
# http.request (docs/http-tasks.md) calls only these targets: a JSON object mapping a target
# name to {"base_url": "https://host[:port][/path]", "secret": "<signing key, 32+ chars>",
# "headers": {"Name": "value"}?}. Clients name a target and a path; the base URL, secret and
# headers stay here and never reach a job's arguments, result, logs or audit trail.
HTTP_TASK_TARGET_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
HTTP_TASK_SECRET_MIN_LENGTH = 32


def http_task_targets(raw: str) -> dict[str, dict[str, Any]]:
    """Parse HTTP_TASK_TARGETS, or raise ImproperlyConfigured (never quoting a value: they are secret).

    Header names and values are checked by the task itself (jobs.tasks.http), with the rules
    it applies to a client's headers.
    """
    try:
        targets = json.loads(raw or "{}")
    except ValueError:
        raise ImproperlyConfigured("HTTP_TASK_TARGETS must be a JSON object") from None
    if not isinstance(targets, dict):
        raise ImproperlyConfigured("HTTP_TASK_TARGETS must be a JSON object")
    parsed = {}
    for name, target in targets.items():
        if not HTTP_TASK_TARGET_NAME.fullmatch(name):
            raise ImproperlyConfigured("HTTP_TASK_TARGETS names must be 1-64 of a-z 0-9 _ . - (lowercase)")
        where = f"HTTP_TASK_TARGETS[{name!r}]"
        if not isinstance(target, dict) or not {"base_url", "secret"} <= set(target) <= {
            "base_url",
            "secret",
            "headers",
        }:
            raise ImproperlyConfigured(f"{where} must be an object with base_url, secret and optional headers")
        base_url, secret, headers = target["base_url"], target["secret"], target.get("headers", {})
        parts = urlsplit(base_url) if isinstance(base_url, str) else None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.username is not None
            or parts.query
            or parts.fragment
        ):
            raise ImproperlyConfigured(f"{where}.base_url must be an http(s) URL without userinfo, query or fragment")
        if not isinstance(secret, str) or len(secret) < HTTP_TASK_SECRET_MIN_LENGTH:
            raise ImproperlyConfigured(f"{where}.secret must be a string of {HTTP_TASK_SECRET_MIN_LENGTH}+ characters")
        if not isinstance(headers, dict) or not all(isinstance(value, str) for value in headers.values()):
            raise ImproperlyConfigured(f"{where}.headers must be an object of string values")
        parsed[name] = {"base_url": base_url.rstrip("/"), "secret": secret, "headers": headers}
    return parsed


def _env_number(name: str, default: float, low: float, high: float) -> Any:
    """Read a number (int or float, as `default` is), or raise ImproperlyConfigured outside [low, high]."""
    try:
        value = type(default)(env.str(name, default=str(default)))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number") from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be between {low:g} and {high:g}, not {value:g}")
    return value


def _env_strict_bool(name: str, *, default: bool) -> bool:
    """Read true/false (1/0, yes/no, on/off); django-environ reads any other word as false."""
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes", "on")


# The scheduler's retention pass: seconds between passes, rows deleted per table per pass.
RETENTION_EVERY_SECONDS = _env_number("RETENTION_EVERY_SECONDS", 60.0, 0.1, 86400)
RETENTION_BATCH_SIZE = _env_number("RETENTION_BATCH_SIZE", 1000, 1, 100_000)
HTTP_TASK_TARGETS = http_task_targets(env.str("HTTP_TASK_TARGETS", default="{}"))
# Allow targets that resolve to private, loopback, link-local or reserved addresses (for a
# receiver on the same network; tests use it for 127.0.0.1). Off: only public addresses.
HTTP_TASK_ALLOW_PRIVATE = _env_strict_bool("HTTP_TASK_ALLOW_PRIVATE", default=False)
# One request's time budget (connect, send, answer, body), within the job's own timeout.
HTTP_TASK_TIMEOUT_SECONDS = _env_number("HTTP_TASK_TIMEOUT_SECONDS", 30.0, 0.1, 3600)
# Largest JSON request body sent, in bytes (the job's arguments carry it).
HTTP_TASK_MAX_REQUEST_BYTES = _env_number("HTTP_TASK_MAX_REQUEST_BYTES", 65536, 0, 262144)
# Response bytes read and kept in the job's result; at most 48 KiB, so the result stays under
# the 64 KiB a job's result may have (jobs.engine.lifecycle.RESULT_MAX_BYTES).
HTTP_TASK_MAX_RESPONSE_BYTES = _env_number("HTTP_TASK_MAX_RESPONSE_BYTES", 16384, 0, 49152)
# Django 6.1's MAILERS. Default: print mail to the console. For SMTP set
# EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the EMAIL_* options.
EMAIL_BACKEND_PATH = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=25),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=False),
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="conveyor@localhost")
# Addresses that receive staff notifications (comma-separated, e.g. ops@example.com).
ADMINS = env.list("ADMINS", default=[])

# --- REST framework and OpenAPI -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Conveyor API",
    "DESCRIPTION": "Background jobs, schedules and their audit trail over HTTP.\n\n"
    "Every error is `application/problem+json` (RFC 9457). A method that a path does not list is a "
    "405 `method_not_allowed` problem with an `Allow` header naming the methods it does.",
    "VERSION": "1.0.0",
    # 3.1: "object or null" is `oneOf: [$ref, {type: null}]`, which strict validators read right
    # (3.0's `nullable` beside `allOf`/`oneOf` means nothing to them). docs/architecture.md#the-openapi-file
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["drf_spectacular.hooks.preprocess_exclude_path_format"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.postprocess_any_value",
        "api.schema.postprocess_parameter_enums",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # /api/docs/ and /api/redoc/ load Swagger UI and ReDoc from the app (drf-spectacular-sidecar),
    # never from a CDN: they work offline and under the Content-Security-Policy below.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TAGS": [
        {"name": "auth", "description": "API tokens"},
        {"name": "me", "description": "The calling user"},
        {"name": "tasks", "description": "Registered tasks and their argument schemas"},
        {"name": "jobs", "description": "Submit, poll, cancel and retry jobs"},
        {"name": "schedules", "description": "One-off, interval and cron schedules, their history and versions"},
        {"name": "audit", "description": "The audit feed (staff)"},
        {"name": "queues", "description": "Queue counts (staff)"},
        {"name": "workers", "description": "Live workers (staff)"},
        {"name": "metrics", "description": "Prometheus metrics"},
    ],
    "ENUM_NAME_OVERRIDES": {
        "JobStateEnum": "jobs.models.JobState",
        "ScheduleKindEnum": "jobs.models.ScheduleKind",
        "ScheduleStateEnum": "jobs.models.ScheduleState",
        "ScheduleAtKindEnum": ["at"],
        "ScheduleIntervalKindEnum": ["interval"],
        "ScheduleCronKindEnum": ["cron"],
        "AuditActionEnum": ["changed", "created", "deleted"],
    },
}

# Request bodies above this size are refused with 413 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_BODY_BYTES", default=1_048_576)

# --- API tokens ---------------------------------------------------------------------------------
TOKEN_DEFAULT_TTL_DAYS = env.int("TOKEN_DEFAULT_TTL_DAYS", default=90)
# Seconds a web process reuses a token it looked up (accounts.tokencache; 0 turns it off).
# Revocations and user changes reach every process at once; this bounds only what sends no notice.
TOKEN_CACHE_SECONDS = env.float("TOKEN_CACHE_SECONDS", default=10.0)

# --- Operations ---------------------------------------------------------------------------------
# A bearer token Prometheus may use for /metrics (besides staff API tokens); unset = staff only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Each process sums its HTTP request and job start/end metrics and adds them to Redis every this
# many seconds (and at exit) instead of once per request or job (jobs.metrics.SUMS); 0 adds them
# at once. HTTP_METRICS_FLUSH_SECONDS, its name before job metrics were summed too, still works.
METRICS_FLUSH_SECONDS = env.float("METRICS_FLUSH_SECONDS", default=env.float("HTTP_METRICS_FLUSH_SECONDS", default=1.0))

# --- Security -----------------------------------------------------------------------------------
# Browser sessions (the console, SPAs): cookies are Secure outside development. SameSite=Lax
# suits the console and SPAs on the same site; an SPA on another site needs "None" (and so
# Secure, HTTPS), plus its origin in CORS_ALLOWED_ORIGINS and CSRF_TRUSTED_ORIGINS.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEVELOPMENT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEVELOPMENT)
SESSION_COOKIE_SAMESITE = _env_choice("SESSION_COOKIE_SAMESITE", ("Lax", "Strict", "None"), default="Lax")
CSRF_COOKIE_SAMESITE = _env_choice("CSRF_COOKIE_SAMESITE", ("Lax", "Strict", "None"), default="Lax")
for _name in ("SESSION_COOKIE", "CSRF_COOKIE"):
    if globals()[f"{_name}_SAMESITE"] == "None" and not globals()[f"{_name}_SECURE"]:
        raise ImproperlyConfigured(f"{_name}_SAMESITE=None needs {_name}_SECURE=true (browsers drop it otherwise)")
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
# Password sign-in (session login, HTTP Basic, admin) is throttled per account and per client
# address (accounts.signin): this many failures lock it for SIGNIN_LOCKOUT_SECONDS.
AUTHENTICATION_BACKENDS = ["accounts.signin.ThrottledModelBackend"]
SIGNIN_MAX_FAILURES_PER_ACCOUNT = env.int("SIGNIN_MAX_FAILURES_PER_ACCOUNT", default=5)
SIGNIN_MAX_FAILURES_PER_ADDRESS = env.int("SIGNIN_MAX_FAILURES_PER_ADDRESS", default=20)
SIGNIN_LOCKOUT_SECONDS = env.int("SIGNIN_LOCKOUT_SECONDS", default=900)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "api.errors.csrf_failure"
# Content-Security-Policy on every response (Django's ContentSecurityPolicyMiddleware): scripts,
# styles, images, fonts and fetches come from this origin only, so a page cannot load or send
# anything to another host. Inline scripts and styles need the request's nonce (Django's admin,
# the API docs' templates) or are django-rq's fixed blocks, allowed by hash (config.csp).
# `data:` images are the icons inside Swagger UI's and the admin's CSS; ReDoc runs its search
# index in a `blob:` worker it builds itself.
_RQ_INLINE = inline_block_hashes("django_rq")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE, *_RQ_INLINE["script"]],
    "style-src": [CSP.SELF, CSP.NONCE, *_RQ_INLINE["style"]],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# The client IP recorded for audit comes from X-Forwarded-For only when a trusted proxy says so.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Logging ------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in logging.getLevelNamesMapping():
    raise ImproperlyConfigured(f"LOG_LEVEL must be one of {sorted(logging.getLevelNamesMapping())}, not {LOG_LEVEL!r}")
_LOG_LEVEL_NUMBER = logging.getLevelNamesMapping()[LOG_LEVEL]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "audit.context.LogContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "message": "event"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"], "level": LOG_LEVEL},
    },
    # LOG_LEVEL filters what the process prints, at its handler; in a worker the loggers pass INFO
    # on, so a job's own log lines (jobs.engine.joblogs) are kept whatever the process prints. A
    # web process runs no jobs: its loggers make no record that LOG_LEVEL would drop.
    "root": {
        "handlers": ["console"],
        "level": LOG_LEVEL if CONVEYOR_PROCESS == "web" else min(_LOG_LEVEL_NUMBER, logging.INFO),
    },
    "loggers": {
        "django.server": {"level": "WARNING"},
        "rq.worker": {"level": LOG_LEVEL},
    },
}
