"""The Redis connection settings of every process (web, worker, scheduler), in django-rq's format.

`connection_config()` turns REDIS_URL plus the Sentinel and TLS settings into one RQ_QUEUES
entry; django-rq's `get_redis_connection()` turns that entry into a client. The worker
(`manage.py rqworker`, through django-rq), the scheduler and the web process
(`redis_connection()` below) all connect that way, so one configuration applies to all.

- Plain or TLS: REDIS_URL `redis://`, `rediss://` (TLS) or `unix://`. With TLS,
  REDIS_CA_CERTS names the CA bundle that signed the server's certificate and
  REDIS_SSL_CERT_REQS is `required` (default), `optional` or `none`. They travel in the URL's
  query, which redis-py reads (django-rq passes nothing else for a URL).
- Sentinel: REDIS_SENTINELS `host:port,host:port` and REDIS_SENTINEL_MASTER (the monitored
  name). REDIS_URL then gives only the scheme (`rediss` = TLS to the master and sentinels), the
  credentials and the database; its host is ignored. REDIS_SENTINEL_PASSWORD is the sentinels'
  own password, if they have one.
"""

import functools
import socket
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from django.core.exceptions import ImproperlyConfigured
from redis import Redis

# Every client: fail fast when Redis is unreachable, notice a dead connection before using it.
TIMEOUTS: dict[str, Any] = {"socket_connect_timeout": 2, "socket_timeout": 10, "health_check_interval": 30}
# A connection that waits in a blocking call (a worker's BLPOP: RQ raises its socket_timeout to
# ~7 minutes) learns that the path to Redis is gone only from TCP: probes after 5 s idle, 2 s
# apart, 3 unanswered (11 s), or 10 s of unacknowledged data, and the worker then reconnects.
# redis-py's default (30 s idle, 5 s x 3) kept a worker partitioned from Redis for 30 s on a
# connection whose answer TCP retransmitted only ~20 s after the partition healed
# (docs/robustness.md, "a worker host cut off from Redis"). Options a URL cannot carry: they
# apply to Sentinel configurations (and their sentinels).
KEEPALIVE: dict[str, Any] = {
    "socket_keepalive": True,
    "socket_keepalive_options": {
        option: value
        for name, value in (("TCP_KEEPIDLE", 5), ("TCP_KEEPINTVL", 2), ("TCP_KEEPCNT", 3), ("TCP_USER_TIMEOUT", 10_000))
        if (option := getattr(socket, name, None)) is not None
    },
}
CERT_REQS = ("required", "optional", "none")


def connection_config(
    url: str,
    *,
    sentinels: list[str] | None = None,
    master: str = "mymaster",
    sentinel_password: str = "",
    ca_certs: str = "",
    cert_reqs: str = "required",
) -> dict[str, Any]:
    """Return the RQ_QUEUES connection entry for these settings, or raise ImproperlyConfigured."""
    if cert_reqs not in CERT_REQS:
        raise ImproperlyConfigured(f"REDIS_SSL_CERT_REQS must be one of {', '.join(CERT_REQS)}, not {cert_reqs!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// (TLS) or unix://")
    tls = {"ssl_cert_reqs": cert_reqs, **({"ssl_ca_certs": ca_certs} if ca_certs else {})}
    if parts.scheme != "rediss":
        tls = {}
    if not sentinels:
        query = dict(parse_qsl(parts.query))
        query = {**{name: str(value) for name, value in {**TIMEOUTS, **tls}.items()}, **query}
        return {"URL": _with_query(url, query), "SSL_CERT_REQS": cert_reqs}
    addresses = []
    for sentinel in sentinels:
        host, _, port = sentinel.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"REDIS_SENTINELS entries are host:port, not {sentinel!r}")
        addresses.append((host.strip("[]"), int(port)))
    if parts.scheme == "unix":
        raise ImproperlyConfigured("with REDIS_SENTINELS, REDIS_URL must be redis:// or rediss://")
    db = parts.path.strip("/") or dict(parse_qsl(parts.query)).get("db", "0")
    ssl = {"ssl": True, **tls} if tls else {}
    connect = {name: value for name, value in TIMEOUTS.items() if name != "socket_timeout"}
    return {
        "SENTINELS": addresses,
        "MASTER_NAME": master,
        "DB": int(db),
        "USERNAME": unquote(parts.username) if parts.username else None,
        "PASSWORD": unquote(parts.password) if parts.password else None,
        "SOCKET_TIMEOUT": TIMEOUTS["socket_timeout"],
        "CONNECTION_KWARGS": {**connect, **KEEPALIVE, **ssl},
        "SENTINEL_KWARGS": {
            **TIMEOUTS,
            **KEEPALIVE,
            **ssl,
            **({"password": sentinel_password} if sentinel_password else {}),
        },
    }


def current() -> dict[str, Any]:
    """The connection entry for django.conf.settings as they are now (tests change REDIS_URL)."""
    from django.conf import settings

    return connection_config(
        settings.REDIS_URL,
        sentinels=settings.REDIS_SENTINELS,
        master=settings.REDIS_SENTINEL_MASTER,
        sentinel_password=settings.REDIS_SENTINEL_PASSWORD,
        ca_certs=settings.REDIS_CA_CERTS,
        cert_reqs=settings.REDIS_SSL_CERT_REQS,
    )


@functools.cache
def redis_connection() -> Redis:
    """Return this process's Redis client (one connection pool, reused by every request), made
    by django-rq from the same settings as the worker's (REDIS_URL, Sentinel, TLS)."""
    from django_rq.connection_utils import get_redis_connection

    return get_redis_connection(current())


def async_client(config: dict[str, Any], **kwargs: Any) -> Any:
    """An asyncio client for `config` (an entry from `connection_config`), built as django-rq
    builds the sync one: for the web process's notice listener."""
    from redis import asyncio as aioredis
    from redis.asyncio.sentinel import Sentinel

    if "URL" in config:
        # The URL's own options win over keyword arguments in redis-py: drop those given here.
        url = config["URL"]
        query = {name: value for name, value in parse_qsl(urlsplit(url).query) if name not in kwargs}
        return aioredis.Redis.from_url(_with_query(url, query), **kwargs)
    connection = {
        "db": config["DB"],
        "username": config["USERNAME"],
        "password": config["PASSWORD"],
        "socket_timeout": config["SOCKET_TIMEOUT"],
        **config["CONNECTION_KWARGS"],
        **kwargs,
    }
    sentinel = Sentinel(config["SENTINELS"], sentinel_kwargs=config["SENTINEL_KWARGS"], **connection)
    return sentinel.master_for(config["MASTER_NAME"])


def _with_query(url: str, query: dict[str, str]) -> str:
    """`url` with its query replaced (by hand: urlunsplit turns `unix:///path` into `unix:/path`)."""
    return url.partition("?")[0] + ("?" + urlencode(query) if query else "")
