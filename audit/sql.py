"""Audited writes in one SQL statement on PostgreSQL: the row's change and its history row
together, in a CTE, with SQL built once per model from its and its history model's fields.

The history row is what simple-history's save would write: the tracked columns read back from
the changed row, the date, type, user, change reason and the attribution context columns.
Callers keep the ORM path for other databases (`supported()`).
"""

import functools
from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.utils import timezone

from audit.context import current
from audit.history import context_columns


def supported() -> bool:
    """Whether this database runs these statements (PostgreSQL); else use the ORM path."""
    return connection.vendor == "postgresql"


def tracked_columns(model: type[models.Model]) -> list[str]:
    """The columns a history row copies from its object's row."""
    return [field.column for field in model.history.model.tracked_fields]  # type: ignore[attr-defined]


def history_columns() -> list[str]:
    """The history columns a write fills beside the tracked ones, in `history_values` order."""
    context = list(context_columns(current(), None))
    return ["history_date", "history_change_reason", "history_type", "history_user_id", *context]


def history_values(history_type: str, reason: str | None = None) -> list[Any]:
    """The values of `history_columns`, from the attribution context in force."""
    ctx = current()
    actor = ctx.actor
    change_reason = reason if reason is not None else (ctx.reason or None)
    context = list(context_columns(ctx, actor).values())
    return [timezone.now(), change_reason, history_type, actor.pk if actor is not None else None, *context]


def _quote(name: str | None) -> str:
    return connection.ops.quote_name(str(name))


@functools.cache
def _transition_sql(
    model: type[models.Model], assigned: tuple[str, ...], raw: tuple[str, ...], matched: tuple[str, ...], extra: str
) -> str:
    meta = model._meta
    history = model.history.model  # type: ignore[attr-defined]
    returned = [str(field.column) for field in meta.concrete_fields]
    pk = str(meta.pk.column)  # type: ignore[union-attr]
    sets = [f"{_quote(column)} = %s" for column in assigned] + list(raw)
    tracked = tracked_columns(model)
    written = [*tracked, *history_columns()]
    placeholders = ", ".join(["%s"] * (len(written) - len(tracked)))
    # Identifiers come from model metadata, quoted; every value is a parameter.
    return (
        f"WITH changed AS (UPDATE {_quote(meta.db_table)} SET {', '.join(sets)} "  # noqa: S608
        f"WHERE {_quote(pk)} = %s AND {_quote('state')} = ANY(%s){''.join(f' AND {_quote(c)} = %s' for c in matched)} "
        f"RETURNING {', '.join(_quote(column) for column in returned)}), "
        f"audited AS (INSERT INTO {_quote(history._meta.db_table)} ({', '.join(map(_quote, written))}) "
        f"SELECT {', '.join(_quote(column) for column in tracked)}, {placeholders} FROM changed) "
        f"SELECT *, {extra} FROM changed"
    )


def transition_audited(
    model: type[models.Model],
    pk: Any,
    allowed: Iterable[str],
    values: dict[str, Any],
    *,
    raw: tuple[str, ...] = (),
    reason: str | None = None,
    extra: str = "NULL",
    match: dict[str, Any] | None = None,
) -> tuple[Any, Any] | None:
    """If the row `pk` of `model` (which has a `state` column) is in one of the `allowed`
    states, set `values` (by field name) and the `raw` SQL assignments and write its "~" history
    row, in one statement; return the changed instance and the value of the SQL expression
    `extra` over the changed row (`changed`), or None if the row was not in an allowed state
    (or does not have the `match` values, by field name)."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    assigned = tuple(fields[name].column for name in values)
    params = [fields[name].get_db_prep_save(value, connection) for name, value in values.items()]
    match = match or {}
    matched = tuple(fields[name].column for name in match)
    conditions = [fields[name].get_db_prep_value(value, connection) for name, value in match.items()]
    sql = _transition_sql(model, assigned, raw, matched, extra)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, pk, list(allowed), *conditions, *history_values("~", reason)])
        row = cursor.fetchone()
    if row is None:
        return None
    concrete = model._meta.concrete_fields
    names = [field.attname for field in concrete]
    loaded = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(concrete, row, strict=False)
    ]
    return model.from_db(connection.alias, names, loaded), row[len(concrete)]
