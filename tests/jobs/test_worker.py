"""Conveyor's worker classes against a real Redis."""

import pytest
from redis.client import Pipeline

from core.redis import redis_connection
from jobs.dispatch import queue
from jobs.worker import ALIVE_KEY, ForkWorker, SimpleWorker

pytestmark = pytest.mark.usefixtures("redis")


@pytest.mark.parametrize("worker_class", [SimpleWorker, ForkWorker])
def test_a_heartbeat_is_one_round_trip_and_vouches_for_the_worker(worker_class, monkeypatch):
    connection = redis_connection()
    worker = worker_class([queue("default")], connection=connection)
    round_trips = []
    send = connection.execute_command
    monkeypatch.setattr(connection, "execute_command", lambda *a, **k: round_trips.append(a[0]) or send(*a, **k))
    executed = []
    run = Pipeline.execute
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **k: executed.append(len(self)) or run(self, *a, **k))

    worker.heartbeat()

    assert round_trips == [] and executed == [4]  # RQ's three commands and the alive key, together
    assert connection.hget(worker.key, "last_heartbeat")
    assert 0 < connection.ttl(ALIVE_KEY.format(worker.name)) <= worker.alive_ttl(None)
