"""Connections to Redis and the RQ queues, shared per process."""

import functools

import django_rq
from django.conf import settings
from redis import Redis
from rq import Queue


@functools.cache
def redis_connection() -> Redis:
    """Return this process's Redis client (one connection pool, reused by every request)."""
    return Redis.from_url(settings.REDIS_URL, health_check_interval=30)


@functools.cache
def queue(name: str) -> Queue:
    """Return the JSON-serialized RQ queue `name` on the shared connection."""
    return django_rq.get_queue(name, connection=redis_connection())
