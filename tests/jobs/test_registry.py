"""The registry's check of task arguments: the compiled schema's yes, the exact validator's no."""

from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.registry import Task, all_tasks, get_task

# JSON values as clients send them; strings printable ASCII, where both regex dialects
# (Python's, ECMA 262's) agree.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)


def test_a_valid_call_is_answered_by_the_compiled_schema_alone():
    task = get_task("demo.sleep")
    with mock.patch.object(type(task.validator), "iter_errors", side_effect=AssertionError("not asked")):
        assert task.bind([0.5], {"steps": 2}) == ({"seconds": 0.5, "steps": 2}, [])


def test_a_refused_call_is_explained_by_the_exact_validator():
    task = get_task("demo.sleep")
    _, errors = task.bind([], {"seconds": "soon", "steps": 0})
    assert [(e.pointer, e.code) for e in errors] == [("/kwargs/seconds", "type"), ("/kwargs/steps", "minimum")]
    assert errors[0].detail == "'soon' is not of type 'number'"


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        # Formats are annotations for both: a value its pattern allows is taken, however odd.
        ("web.page_length", {"url": "http://%zz"}),
        ("mail.send", {"to": "a@b..c", "subject": "s", "body": "b"}),
        ("mail.send", {"to": ["a.@b"], "subject": "s", "body": "b"}),
    ],
)
def test_both_validators_take_a_value_only_its_format_would_refuse(name, kwargs):
    task = get_task(name)
    assert not list(task.validator.iter_errors(kwargs))
    assert task.compiled.is_valid(kwargs)


@pytest.mark.parametrize("name", sorted(task.name for task in all_tasks()))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_both_validators_agree_on_every_task_schema(name, data):
    task = get_task(name)
    names = [*sorted(task.parameters.get("properties", {})), "other"]
    kwargs = data.draw(st.dictionaries(st.sampled_from(names), JSON, max_size=len(names)))
    exact = not list(task.validator.iter_errors(kwargs))
    assert task.compiled.is_valid(kwargs) == exact, kwargs


def test_a_schema_only_the_exact_validator_takes_is_checked_by_it_alone():
    parameters = {"type": "object", "properties": {"a": {"$ref": "#/$defs/later"}}}  # resolved on use, if ever
    task = Task(name="t", func=lambda a=None: a, description="", parameters=parameters)
    assert task.compiled is None
    assert task.bind([], {}) == ({}, [])
