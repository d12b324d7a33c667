"""Reads of the audit trail: one object's history, and the feed over every audited model."""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from audit.registry import audited_model

MASK = "***"  # what a secret field reads in changes and snapshots
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def _snapshot(record: Any, secret_fields: frozenset[str]) -> dict[str, Any]:
    return {
        field.name: MASK if field.name in secret_fields else _plain(getattr(record, field.attname))
        for field in record.tracked_fields
    }


@dataclass
class Entry:
    """One audit entry, ready for the output serializer."""

    record: Any
    previous: Any | None
    model: str
    secret_fields: frozenset[str] = frozenset()
    # Snapshots by history_id, shared by the entries of one page: a record is often the
    # previous record of the next entry too.
    snapshots: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def action(self) -> str:
        return ACTIONS[self.record.history_type]

    def _snapshot_of(self, record: Any) -> dict[str, Any]:
        if record.history_id not in self.snapshots:
            self.snapshots[record.history_id] = _snapshot(record, self.secret_fields)
        return self.snapshots[record.history_id]

    @property
    def snapshot(self) -> dict[str, Any]:
        return self._snapshot_of(self.record)

    @cached_property
    def changes(self) -> list[dict[str, Any]]:
        new = self.snapshot
        if self.action == "deleted":
            return [{"field": name, "old": value, "new": None} for name, value in new.items()]
        old = self._snapshot_of(self.previous) if self.previous is not None else {}
        return [
            {"field": name, "old": old.get(name), "new": value}
            for name, value in new.items()
            if name not in old or old[name] != value
        ]


def audited_object(*, user: Any, label: str, object_id: str) -> tuple[type[Model], Any]:
    """The model and primary key of one audited object whose trail `user` may read; raise
    Http404 for an unknown model, a malformed id or an object the user may not read alike."""
    try:
        audited = audited_model(label)
        pk = audited.model._meta.pk.to_python(object_id)  # type: ignore[union-attr]
    except (KeyError, ValidationError, ValueError):
        raise Http404("no such audited object") from None
    if pk is None or not audited.may_read(user, pk):
        raise Http404("no such audited object")
    return audited.model, pk


def history_of(model: type[Model], object_id: object, *, as_of: dt.datetime | None = None) -> QuerySet[Any]:
    """The historical records of one object, newest first; only those at or before `as_of`."""
    records = model.history.filter(id=object_id)  # type: ignore[attr-defined]
    if as_of is not None:
        records = records.filter(history_date__lte=as_of)
    return records.order_by("-history_id")  # type: ignore[no-any-return]


def _previous_ids(history: type[Model], history_ids: list[int]) -> dict[int, int | None]:
    """history_id -> the history_id of the same object's previous record (None for its first),
    one index probe each. In plain SQL: the ORM's Subquery + OuterRef form of it costs more to
    compile than to run, on every audit page (figures: bench/analysis.md)."""
    if not history_ids:
        return {}
    table, quote = history._meta.db_table, connection.ops.quote_name
    # Only names from the model's own metadata go into the SQL; every value is a parameter.
    sql = (
        f"SELECT h.history_id, (SELECT p.history_id FROM {quote(table)} p"  # noqa: S608
        " WHERE p.id = h.id AND p.history_id < h.history_id ORDER BY p.history_id DESC LIMIT 1)"
        f" FROM {quote(table)} h WHERE h.history_id IN ({', '.join(['%s'] * len(history_ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, history_ids)
        return dict(cursor.fetchall())


def entries(records: Iterable[Any], model: type[Model]) -> list[Entry]:
    """Pair each record with its predecessor (at most two queries, whatever the page size)."""
    page = list(records)
    if not page:
        return []
    history = model.history.model  # type: ignore[attr-defined]
    links = _previous_ids(history, [r.history_id for r in page])
    # In one object's history the previous record is mostly the next one on the page.
    previous = {r.history_id: r for r in page}
    previous |= history.objects.in_bulk([pid for pid in links.values() if pid is not None and pid not in previous])
    label = model._meta.label_lower
    secrets = audited_model(label).secret_fields
    snapshots: dict[int, dict[str, Any]] = {}
    return [Entry(r, previous.get(links.get(r.history_id)), label, secrets, snapshots) for r in page]


def _older_than(before: tuple[dt.datetime, str, int], label: str) -> Q:
    """The records of model `label` whose feed position (history_date, label, history_id) is
    before `before` in the feed's newest-first order."""
    at, other, history_id = before
    if label < other:
        return Q(history_date__lte=at)
    if label > other:
        return Q(history_date__lt=at)
    return Q(history_date__lt=at) | Q(history_date=at, history_id__lt=history_id)


def audit_feed(
    *,
    models: list[str],
    object_id: str | None = None,
    actor: int | None = None,
    job: uuid.UUID | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before: tuple[dt.datetime, str, int] | None = None,
    limit: int = 50,
) -> list[Entry]:
    """The newest `limit` entries over the given audited models matching every filter, strictly
    older than the `before` position (history_date, model label, history_id) when given."""
    merged = []
    for label in models:
        model = audited_model(label).model
        records = model.history.all()  # type: ignore[attr-defined]
        if object_id:
            try:
                records = records.filter(id=model._meta.pk.to_python(object_id))  # type: ignore[union-attr]
            except (ValidationError, ValueError):
                continue  # not an id this model can have

        if actor is not None:
            records = records.filter(history_user_id=actor)
        if job is not None:
            records = records.filter(history_job_id=job)
        if action is not None:
            records = records.filter(history_type={v: k for k, v in ACTIONS.items()}[action])
        if since is not None:
            records = records.filter(history_date__gte=since)
        if until is not None:
            records = records.filter(history_date__lte=until)
        if before is not None:
            records = records.filter(_older_than(before, label))
        page = records.order_by("-history_date", "-history_id")[:limit]
        merged += [((r.history_date, label, r.history_id), r, model) for r in page]
    merged.sort(key=lambda item: item[0], reverse=True)
    chosen = merged[:limit]
    result: list[Entry] = []
    for label in models:
        model = audited_model(label).model
        result += entries([r for key, r, m in chosen if key[1] == label], model)
    position = {(key[1], key[2]): index for index, (key, _, _) in enumerate(chosen)}
    result.sort(key=lambda e: position[(e.model, e.record.history_id)])
    return result
