"""Validating a request body against an input serializer, fast when the body is plainly valid.

`validated(serializer_class, data)` gives what DRF's `is_valid` gives. A body is first put to the
serializer compiled into plain checks (`compiled`): the declared fields are read once, and each
body is checked by exact JSON type, the fields' own validators and the serializer's `validate`,
with the field defaults filled in, as DRF would. Whatever the plain checks have no answer for (an
invalid value, a null, a field kind they do not know, such as dates and UUIDs) raises NotSure,
and DRF decides, so every error and every value only DRF knows how to convert is DRF's own. The
serializer stays the one definition (drf-spectacular documents it); tests/api/test_validated.py
holds the two equal on generated bodies. Cost per submit body: bench/analysis.md, P2.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import empty

from api.serializers.common import StrictInput, TaskNameField

Check = Callable[[Any], Any]


class NotSure(Exception):
    """The body holds something only DRF can decide."""


def _unknown(value: Any) -> Any:
    raise NotSure


def _json(value: Any) -> Any:
    return value  # a parsed body holds nothing json.dumps refuses, all DRF's JSONField checks


def _integer(value: Any) -> Any:
    if type(value) is not int:
        raise NotSure
    return value


def _task_name(value: Any) -> Any:
    if type(value) is not str or len(value) > 100:
        raise NotSure
    return value


def _choice(field: serializers.ChoiceField) -> Check:
    choices = field.choice_strings_to_values

    def check(value: Any) -> Any:
        if type(value) is not str or value not in choices:
            raise NotSure
        return choices[value]

    return check


def _char(field: serializers.CharField) -> Check:
    trim, allow_blank = field.trim_whitespace, field.allow_blank

    def check(value: Any) -> Any:
        if type(value) is not str:
            raise NotSure
        value = value.strip() if trim else value
        if not (value or allow_blank):
            raise NotSure
        return value

    return check


def _list(field: serializers.ListField) -> Check:
    child, allow_empty = _field(field.child), field.allow_empty

    def check(value: Any) -> Any:
        if type(value) is not list or not (value or allow_empty):
            raise NotSure
        return [child(item) for item in value]

    return check


def _dict(field: serializers.DictField) -> Check:
    child, allow_empty = _field(field.child), field.allow_empty

    def check(value: Any) -> Any:
        if type(value) is not dict or not (value or allow_empty):
            raise NotSure
        return {key: child(item) for key, item in value.items()}

    return check


def _many(field: serializers.ListSerializer) -> Check:
    child, allow_empty = compiled(field.child), field.allow_empty  # type: ignore[arg-type]
    shortest, longest = field.min_length or 0, field.max_length  # type: ignore[attr-defined]  # DRF sets them in __init__

    def check(value: Any) -> Any:
        if type(value) is not list or not (value or allow_empty) or len(value) < shortest:
            raise NotSure
        if longest is not None and len(value) > longest:
            raise NotSure
        return _validating(field.validate, [child(item) for item in value])

    return check


# The field kinds with plain checks. A subclass takes its base's check only if it converts and
# validates as the base does (LabelsField: a DictField with validators).
_KINDS: dict[type, Callable[[Any], Check]] = {
    TaskNameField: lambda field: _task_name,
    serializers.IntegerField: lambda field: _integer,
    serializers.JSONField: lambda field: _json,
    serializers.ChoiceField: _choice,
    serializers.CharField: _char,
    serializers.ListField: _list,
    serializers.DictField: _dict,
    serializers.ListSerializer: _many,
}


def _kind(field: serializers.Field) -> Callable[[Any], Check]:
    for cls in type(field).__mro__:
        if cls in _KINDS:
            same = all(
                getattr(type(field), name) is getattr(cls, name) for name in ("to_internal_value", "run_validation")
            )
            return _KINDS[cls] if same else (lambda field: _unknown)
    return lambda field: _unknown


def _field(field: serializers.Field) -> Check:
    """A present value's check: not null (allow_null is DRF's to apply), converted, validated."""
    convert, validators = _kind(field)(field), bool(field.validators)

    def check(value: Any) -> Any:
        if value is None:
            raise NotSure
        value = convert(value)
        return _validating(field.run_validators, value) if validators else value

    return check


def _validating(validate: Callable[[Any], Any], value: Any) -> Any:
    try:
        result = validate(value)
    except (serializers.ValidationError, DjangoValidationError):
        raise NotSure from None
    return value if result is None else result


def compiled(serializer: serializers.Serializer) -> Check:
    """The plain checks of `serializer`'s input (see the module's docstring)."""
    if type(serializer).to_internal_value not in (
        StrictInput.to_internal_value,
        serializers.Serializer.to_internal_value,
    ):
        return _unknown
    fields = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if field.source != name or hasattr(serializer, f"validate_{name}"):
            return _unknown  # not a plain check: DRF decides every body
        if getattr(field.default, "requires_context", False):
            return _unknown
        fields.append((name, _field(field), field.required, field.default))
    declared = frozenset(serializer.fields)

    def check(data: Any) -> Any:
        if type(data) is not dict or not data.keys() <= declared:
            raise NotSure
        out: dict[str, Any] = {}
        for name, convert, required, default in fields:
            if name in data:
                out[name] = convert(data[name])
            elif required:
                raise NotSure
            elif default is not empty:
                out[name] = default() if callable(default) else default
        _validating(serializer.run_validators, out)
        return _validating(serializer.validate, out)

    return check


_INSTANCES = threading.local()  # per thread: one instance of each input serializer class, and its checks


def validated(serializer_class: type[serializers.Serializer], data: Any) -> Any:
    """`serializer_class(data=data)`'s validated data, or the ValidationError its
    `is_valid(raise_exception=True)` raises. A plainly valid body is answered by the compiled
    checks; any other is checked by one DRF instance per thread and class (`run_validation` keeps
    nothing on the instance, and a thread checks one body at a time): DRF deep-copies every
    declared field, validators included, for each new instance. A body that fails is checked
    again by a fresh instance, so its errors are exactly DRF's."""
    instances: dict[type, tuple[serializers.Serializer, Check]] = _INSTANCES.__dict__.setdefault("by_class", {})
    if serializer_class not in instances:
        instance = serializer_class()
        instances[serializer_class] = (instance, compiled(instance))
    instance, check = instances[serializer_class]
    try:
        return check(data)
    except NotSure:
        pass
    try:
        return instance.run_validation(data)
    except serializers.ValidationError:
        fresh = serializer_class(data=data)
        fresh.is_valid(raise_exception=True)
        return fresh.validated_data
