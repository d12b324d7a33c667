"""api.serializers.validation.validated: DRF's outcome, from compiled checks or one serializer instance per thread."""

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from api.serializers import validation
from api.serializers.jobs import JobBatchInput, JobSubmitInput
from api.serializers.validation import NotSure, compiled, validated

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
    mine = validation._INSTANCES.by_class[JobSubmitInput][0]
    other: list[Any] = []

    def elsewhere() -> None:
        validated(JobSubmitInput, BODIES[1])
        other.append(validation._INSTANCES.by_class[JobSubmitInput][0])

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()

    validated(JobSubmitInput, BODIES[1])
    assert validation._INSTANCES.by_class[JobSubmitInput][0] is mine
    assert other and other[0] is not mine


# --- the compiled checks ------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
FIELDS = {
    "task": st.sampled_from(["demo.sleep", "no.such.task", "x" * 101, ""]) | JSON,
    "args": st.lists(JSON, max_size=3) | JSON,
    "kwargs": st.dictionaries(st.text(max_size=5), JSON, max_size=3) | JSON,
    "queue": st.sampled_from(["default", "low", "nope"]) | JSON,
    "run_at": st.sampled_from(["2030-01-01T00:00:00Z", "2030-01-01T00:00:00"]) | JSON,
    "delay_seconds": st.integers(-5, 10**9) | JSON,
    "timeout_seconds": st.integers(-1, 10**6) | JSON,
    "max_retries": st.integers(-1, 25) | JSON,
    "retry_intervals": st.lists(st.integers(-1, 10**6), max_size=25) | JSON,
    "depends_on": st.lists(st.uuids().map(str), max_size=2) | JSON,
    "labels": st.dictionaries(st.sampled_from(["team", "bad key", "a__b"]), st.text(max_size=300) | JSON, max_size=3)
    | JSON,
    "typo": JSON,
}
SUBMIT_BODY = st.fixed_dictionaries({}, optional=FIELDS)
# Bodies of the right JSON types, values in and out of bounds: most are answered by the checks.
PLAINISH = st.fixed_dictionaries(
    {"task": st.sampled_from(["demo.sleep", "demo.noop", "no.such.task"])},
    optional={
        "args": st.lists(st.integers() | st.text(max_size=3), max_size=101),
        "kwargs": st.dictionaries(st.text(max_size=5), st.integers(0, 5), max_size=3),
        "queue": st.sampled_from(["default", "low", "high", "nope", ""]),
        "delay_seconds": st.integers(-1, 366 * 24 * 3600 + 1) | st.booleans() | st.just(5.0),
        "timeout_seconds": st.integers(0, 24 * 3600 + 1),
        "max_retries": st.integers(-1, 21) | st.booleans(),
        "retry_intervals": st.lists(st.integers(-1, 24 * 3600 + 1), max_size=21),
        "depends_on": st.just([]),
        "labels": st.dictionaries(
            st.sampled_from(["team", "bad key", "a__b", "x" * 64]), st.text(max_size=257), max_size=21
        ),
    },
)
PLAIN = [
    {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}},
    {"task": "demo.noop"},
    {"task": "demo.sleep", "args": [1], "queue": "low", "labels": {"team": " a "}, "max_retries": 2},
    {"task": "demo.sleep", "delay_seconds": 5, "timeout_seconds": 60, "retry_intervals": [1, 10]},
]


@settings(max_examples=400, deadline=None)
@given(body=PLAINISH | SUBMIT_BODY | JSON)
def test_a_body_the_compiled_checks_answer_is_validated_as_drf_validates_it(body):
    try:
        fast = compiled(JobSubmitInput())(body)
    except NotSure:
        return
    assert fast == _drf(JobSubmitInput, body)


@pytest.mark.parametrize("body", PLAIN)
def test_a_plain_body_is_answered_by_the_compiled_checks_as_drf_answers_it(body):
    assert compiled(JobSubmitInput())(body) == _drf(JobSubmitInput, body)


@settings(max_examples=100, deadline=None)
@given(jobs=st.lists(PLAINISH | SUBMIT_BODY, max_size=3) | JSON)
def test_a_batch_the_compiled_checks_answer_is_validated_as_drf_validates_it(jobs):
    try:
        fast = compiled(JobBatchInput())({"jobs": jobs})
    except NotSure:
        return
    assert fast == _drf(JobBatchInput, {"jobs": jobs})


@pytest.mark.parametrize("body", PLAIN)
def test_a_plain_body_is_answered_without_drf(body, monkeypatch):
    validated(JobSubmitInput, body)  # the thread's instance exists
    monkeypatch.setattr(JobSubmitInput, "run_validation", lambda *a: pytest.fail("DRF was asked"))
    assert validated(JobSubmitInput, body) == validated(JobBatchInput, {"jobs": [body]})["jobs"][0]


@pytest.mark.parametrize(
    "body",
    [
        {"task": "demo.sleep", "run_at": "2030-01-01T00:00:00Z"},
        {"task": "demo.sleep", "args": [None]},
        {"task": "demo.sleep", "max_retries": True},
        {"task": "demo.sleep", "delay_seconds": 5.0},
    ],
)
def test_what_only_drf_can_decide_goes_to_drf(body):
    with pytest.raises(NotSure):
        compiled(JobSubmitInput())(body)
    assert _outcome(lambda: validated(JobSubmitInput, body)) == _outcome(lambda: _drf(JobSubmitInput, body))
