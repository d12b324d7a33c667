"""api.serializers.common.validated: DRF's outcome, from one serializer instance per thread."""

import threading
from typing import Any

import pytest
from rest_framework import serializers

from api.serializers import common
from api.serializers.common import validated
from api.serializers.jobs import JobBatchInput, JobSubmitInput

BODIES: list[Any] = [
    {"task": "demo.sleep", "kwargs": {"seconds": 1}, "labels": {"team": "a"}},
    {"task": "demo.sleep", "delay_seconds": 5, "depends_on": ["9f69a400-62d7-4136-8942-2ea1ebf977bf"]},
    {"task": "demo.sleep", "run_at": "2030-01-01T00:00:00Z", "delay_seconds": 5},  # validate()
    {"task": "demo.sleep", "kwargs": {"seconds": 1}, "typo": 1},  # unknown field
    {"task": "no.such.task"},
    {"task": "demo.sleep", "labels": {"bad key": "x"}, "max_retries": "3"},
    None,  # DRF says "No data provided" for this one
    [],
    "text",
]


def _outcome(check) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    try:
        return "valid", check()
    except serializers.ValidationError as exc:
        return "invalid", exc.detail


def _drf(serializer_class, body) -> Any:  # type: ignore[no-untyped-def]
    serializer = serializer_class(data=body)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@pytest.mark.parametrize("body", BODIES)
def test_the_outcome_is_drfs_own(body):
    for _ in range(2):  # the second time on the instance the first one left behind
        assert _outcome(lambda: validated(JobSubmitInput, body)) == _outcome(lambda: _drf(JobSubmitInput, body))
    batch = {"jobs": [BODIES[0], body]}
    assert _outcome(lambda: validated(JobBatchInput, batch)) == _outcome(lambda: _drf(JobBatchInput, batch))


def test_each_thread_checks_with_its_own_instance_and_keeps_it():
    validated(JobSubmitInput, BODIES[0])
    mine = common._INSTANCES.by_class[JobSubmitInput]
    other: list[Any] = []

    def elsewhere() -> None:
        validated(JobSubmitInput, BODIES[1])
        other.append(common._INSTANCES.by_class[JobSubmitInput])

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()

    validated(JobSubmitInput, BODIES[1])
    assert common._INSTANCES.by_class[JobSubmitInput] is mine
    assert other and other[0] is not mine
