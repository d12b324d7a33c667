"""Health (liveness) and readiness probes; no authentication."""

import logging

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from redis.exceptions import RedisError

from core.redis import redis_connection

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up."""
    return JsonResponse({"status": "ok"})


def _database() -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return True


def _redis() -> bool:
    return bool(redis_connection().ping())


def _migrations() -> bool:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database, Redis and migrations are all fine, else 503 naming what failed."""
    checks = {}
    for name, check in (("database", _database), ("redis", _redis), ("migrations", _migrations)):
        try:
            checks[name] = "ok" if check() else "failing"
        except (RedisError, OSError, Exception) as exc:  # noqa: BLE001 - a probe reports, it never raises
            logger.warning("readyz.check_failed", extra={"check": name, "error": str(exc)})
            checks[name] = "failing"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ok else "failing", "checks": checks}, status=200 if ok else 503)
