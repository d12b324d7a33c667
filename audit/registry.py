"""The audited models: which models the audit API serves, who may read each one's trail, and
which of its fields are secrets. Conveyor's own models and those of plug-in apps register the
same way; `audit` itself names none of them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import reversion
from django.db.models import Model
from simple_history import register as register_history

from audit.history import AuditedHistory

M = TypeVar("M", bound=type[Model])
# (user, object id) -> whether the user may read that object's audit trail.
ReadRule = Callable[[Any, Any], bool]


def staff_only(user: Any, object_id: Any) -> bool:
    """The default read rule: only staff read a model's audit trail."""
    return bool(user.is_staff)


@dataclass(frozen=True)
class AuditedModel:
    """A model on the audit trail, as the audit API serves it."""

    model: type[Model]
    secret_fields: frozenset[str]
    may_read: ReadRule

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_audited: dict[str, AuditedModel] = {}


def register(model: type[Model], *, secret_fields: Iterable[str] = (), readable_by: ReadRule = staff_only) -> None:
    """Serve `model`'s history (it must already have one) through the audit API; `secret_fields`
    read "***" in every change and snapshot; `readable_by` decides who may read an object's trail."""
    if not hasattr(model, "history"):
        raise TypeError(f"{model._meta.label} has no history: give it `history = AuditedHistory()` or use @audited")
    entry = AuditedModel(model, frozenset(secret_fields), readable_by)
    _audited[entry.label] = entry


def audited(
    *,
    exclude: Iterable[str] = (),
    secret_fields: Iterable[str] = (),
    readable_by: ReadRule = staff_only,
    restore_points: bool = False,
) -> Callable[[M], M]:
    """Class decorator that puts a model on the audit trail in one line: its history (who, when,
    what, through which request or job; `exclude` leaves fields out), optionally reversion
    restore points, and the audit API (`register`)."""

    def decorate(model: M) -> M:
        register_history(model, records_class=AuditedHistory, excluded_fields=list(exclude))
        if restore_points:
            reversion.register(model, exclude=[*exclude, *secret_fields])
        register(model, secret_fields=secret_fields, readable_by=readable_by)
        return model

    return decorate


def audited_model(label: str) -> AuditedModel:
    """The audited model registered as `label` (e.g. 'jobs.schedule'); KeyError if there is none."""
    return _audited[label]


def audited_labels() -> list[str]:
    """Every audited model's label, sorted."""
    return sorted(_audited)
