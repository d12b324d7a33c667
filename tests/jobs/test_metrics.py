"""jobs.metrics: one observation recorded as observe_many records it."""

from collections import defaultdict

import pytest

from jobs import metrics


class Recorder:
    """Stands in for a pipeline: what each field was incremented by."""

    def __init__(self) -> None:
        self.added: defaultdict[tuple[str, str], float] = defaultdict(float)

    def hincrby(self, key: str, field: str, amount: int) -> None:
        self.added[key, field] += amount

    def hincrbyfloat(self, key: str, field: str, amount: float) -> None:
        self.added[key, field] += amount


@pytest.mark.parametrize("seconds", [0.0, 0.005, 0.0051, 0.25, 30, 1e9])  # on a bound, between, beyond all
def test_one_observation_fills_the_buckets_observe_many_fills(seconds):
    one, many = Recorder(), Recorder()

    metrics.observe(one, "http_duration", ("POST",), seconds, metrics.DURATION_BUCKETS)
    metrics.observe_many(many, "http_duration", ("POST",), [seconds], metrics.DURATION_BUCKETS)

    assert one.added == many.added
    assert one.added["conveyor:metrics:http_duration", "POST|inf"] == 1
