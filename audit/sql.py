"""Audited writes as single SQL statements on PostgreSQL: a row and its history row together.

The building blocks come first (which columns a model's history copies, which it adds, the
values of the attribution columns); every audited SQL statement is built from them, so its
history rows are the ones simple-history's ORM path writes, column for column
(tests/audit/test_sql.py holds the two equal).
"""

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from django.db import connections, router
from django.db.models import DateField, Field, Model
from django.utils import timezone

from audit.context import Attribution, current
from core.db import prepared_cursor


def tracked_fields(model: type[Model]) -> list[Field]:  # type: ignore[type-arg]
    """The model's fields its history copies, in the history model's order."""
    return list(model.history.model.tracked_fields)  # type: ignore[attr-defined]


def history_own_fields(model: type[Model]) -> list[Field]:  # type: ignore[type-arg]
    """The history model's columns beyond the copied ones (when, who, why, through what),
    its auto-incremented key left out."""
    history = model.history.model  # type: ignore[attr-defined]
    copied = {field.attname for field in history.tracked_fields}
    return [f for f in history._meta.concrete_fields if f.attname not in copied and not f.primary_key]


def context_columns(ctx: Attribution, actor: Any) -> dict[str, Any]:
    """The attribution columns every history row carries (see audit.history.HistoryContext)."""
    return {
        "history_username": actor.get_username() if actor is not None else "",
        "history_channel": ctx.channel,
        "history_request_id": ctx.request_id or "",
        "history_job_id": ctx.job_id,
        "history_schedule_id": ctx.schedule_id,
        "history_client_ip": ctx.client_ip,
    }


def history_values(ctx: Attribution, *, at: datetime, history_type: str) -> dict[str, Any]:
    """The values of `history_own_fields` for a history row written under `ctx` at `at`."""
    actor = ctx.actor
    return {
        "history_date": at,
        "history_user_id": actor.pk if actor is not None else None,
        "history_change_reason": ctx.reason or None,
        "history_type": history_type,
        **context_columns(ctx, actor),
    }


def _names(fields: list[Any], quote: Any, prefix: str = "") -> str:
    return ", ".join(prefix + quote(field.column) for field in fields)


@cache
def _insert_statement(model: type[Model], alias: str) -> str:
    """INSERT rows and a "created" history row for each, joined to its own attribution by
    primary key: one statement with four parameters for one row or a thousand. Each table's rows
    come as a JSON object of the values they all share and a JSON array of what is each row's
    own (`_split`); PostgreSQL converts each value to its column's type
    (jsonb_populate_recordset on the tables' own row types, the shared record as its base)."""
    quote = connections[alias].ops.quote_name
    fields, copied, own = list(model._meta.concrete_fields), tracked_fields(model), history_own_fields(model)
    table, history_table = model._meta.db_table, model.history.model._meta.db_table  # type: ignore[attr-defined]
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr,arg-type]

    def rows(table: str) -> str:
        return f"jsonb_populate_recordset(jsonb_populate_record(NULL::{quote(table)}, %s::jsonb), %s::jsonb)"

    # Only names from the models' metadata, quoted, are formatted in; the rows are parameters.
    return (
        f"WITH j AS (INSERT INTO {quote(table)} ({_names(fields, quote)}) "  # noqa: S608
        f"SELECT {_names(fields, quote)} FROM {rows(table)} "
        f"RETURNING {_names(copied, quote)}) "
        f"INSERT INTO {quote(history_table)} ({_names(copied, quote)}, {_names(own, quote)}) "
        f"SELECT {_names(copied, quote, 'j.')}, {_names(own, quote, 'h.')} FROM j "
        f"JOIN {rows(history_table)} AS h ON h.{pk} = j.{pk}"
    )


@cache
def _insert_columns(model: type[Model]) -> tuple[list[tuple[str, str]], list[Any]]:
    """The model's columns as bulk_create takes their values: (column, attribute) of those whose
    `pre_save` only reads the attribute, and the fields whose `pre_save` computes it
    (auto_now_add). A batch skips 25,000 calls of the first kind (bench/analysis.md, P2)."""
    computed = [f for f in model._meta.concrete_fields if _computes(f)]
    return [(str(f.column), f.attname) for f in model._meta.concrete_fields if f not in computed], computed


def _computes(field: Field) -> bool:  # type: ignore[type-arg]
    if isinstance(field, DateField):  # DateField.pre_save only reads the attribute unless one of these
        return bool(field.auto_now or field.auto_now_add)
    return type(field).pre_save is not Field.pre_save


def _as_json(rows: Any) -> str:
    """Rows as a JSON array: dates, UUIDs and addresses as text (orjson, ~6x faster than the
    json module; it refuses integers beyond 64 bits, which a JSON field may hold)."""
    try:
        return orjson.dumps(rows, default=str).decode()
    except orjson.JSONEncodeError:
        return json.dumps(rows, default=str)


def _split(rows: list[dict[Any, Any]]) -> tuple[dict[Any, Any], list[dict[Any, Any]]]:
    """`rows` as the values every row holds (the very same object, so the same JSON) and each
    row's others. A batch's rows mostly share their values (its task, owner, state, times,
    attribution): sent once, PostgreSQL parses a fifth of the JSON (bench/analysis.md, P2).
    Equal is not enough: 1 and 1.0, or True and 1, are equal in Python and not in JSON."""
    first = rows[0]
    shared = {key: value for key, value in first.items() if all(row[key] is value for row in rows)}
    return shared, [{key: value for key, value in row.items() if key not in shared} for row in rows]


def insert_audited(model: type[Model], objs: list[Any], attributions: list[Attribution], *, at: datetime) -> None:
    """INSERT `objs` and their "created" history rows (the i-th attributed to `attributions[i]`,
    dated `at`) in one statement. Values are taken as the ORM's bulk_create takes them
    (`pre_save`: auto_now_add) and sent as JSON: dates, UUIDs and addresses as text, JSON
    fields as their JSON (None is SQL NULL, as the ORM stores it)."""
    if not objs:
        return
    alias = router.db_for_write(model)
    own = history_own_fields(model)
    pk = model._meta.pk.column  # type: ignore[union-attr]
    plain, computed = _insert_columns(model)
    rows = [
        {column: getattr(obj, attname) for column, attname in plain}
        | {field.column: field.pre_save(obj, True) for field in computed}
        for obj in objs
    ]
    # The attribution columns once per context: rows attributed alike share their values (`_split`).
    attributed = {}
    for ctx in attributions:
        if id(ctx) not in attributed:
            values = history_values(ctx, at=at, history_type="+")
            attributed[id(ctx)] = {field.column: values[field.attname] for field in own}
    history = [{pk: row[pk], **attributed[id(ctx)]} for row, ctx in zip(rows, attributions, strict=True)]
    params = [_as_json(part) for table_rows in (rows, history) for part in _split(table_rows)]
    with prepared_cursor(alias) as cursor:
        cursor.execute(_insert_statement(model, alias), params)
    for obj in objs:
        obj._state.adding, obj._state.db = False, alias


def supported() -> bool:
    """Whether the default database runs the statements below (PostgreSQL); else the callers
    keep their ORM path."""
    return connections["default"].vendor == "postgresql"


@cache
def _transition_statement(
    model: type[Model],
    alias: str,
    assigned: tuple[str, ...],
    raw: tuple[str, ...],
    matched: tuple[str, ...],
    extra: str,
) -> str:
    """UPDATE one row if its state is allowed (and its `matched` columns equal), RETURNING it,
    and INSERT its "~" history row from what it returned: one statement."""
    quote = connections[alias].ops.quote_name
    meta = model._meta
    copied, own = tracked_fields(model), history_own_fields(model)
    history_table = model.history.model._meta.db_table  # type: ignore[attr-defined]
    sets = [f"{quote(column)} = %s" for column in assigned] + list(raw)
    where = "".join(f" AND {quote(column)} = %s" for column in matched)
    # Only names from the models' metadata, quoted, are formatted in; every value is a parameter.
    return (
        f"WITH changed AS (UPDATE {quote(meta.db_table)} SET {', '.join(sets)} "  # noqa: S608
        f"WHERE {quote(str(meta.pk.column))} = %s AND {quote('state')} = ANY(%s){where} "  # type: ignore[union-attr]
        f"RETURNING {_names(list(meta.concrete_fields), quote)}), "
        f"audited AS (INSERT INTO {quote(history_table)} ({_names(copied, quote)}, {_names(own, quote)}) "
        f"SELECT {_names(copied, quote)}, {', '.join(['%s'] * len(own))} FROM changed) "
        f"SELECT *, {extra} FROM changed"
    )


def transition_audited(
    model: type[Model],
    pk: Any,
    allowed: Iterable[str],
    values: dict[str, Any],
    *,
    raw: tuple[str, ...] = (),
    reason: str | None = None,
    extra: str = "NULL",
    match: dict[str, Any] | None = None,
) -> tuple[Any, Any] | None:
    """If the row `pk` of `model` (which has a `state` column) is in one of the `allowed` states
    (and has the `match` values, by field name), set `values` (by field name) and the `raw` SQL
    assignments and write its "~" history row, attributed to the current context (`reason`
    replacing its reason), in one statement; return the changed instance and the value of the
    SQL expression `extra` over the changed row (`changed`), or None if nothing matched."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = {field.name: field for field in model._meta.concrete_fields}
    match = match or {}
    ctx = current() if reason is None else replace(current(), reason=reason)
    own = history_values(ctx, at=timezone.now(), history_type="~")
    params = [
        *(fields[name].get_db_prep_save(value, connection) for name, value in values.items()),
        pk,
        list(allowed),
        *(fields[name].get_db_prep_value(value, connection) for name, value in match.items()),
        *(own[field.attname] for field in history_own_fields(model)),
    ]
    assigned = tuple(str(fields[name].column) for name in values)
    matched = tuple(str(fields[name].column) for name in match)
    with prepared_cursor(alias) as cursor:
        cursor.execute(_transition_statement(model, alias, assigned, raw, matched, extra), params)
        row = cursor.fetchone()
    if row is None:
        return None
    return from_row(model, alias, row), row[len(model._meta.concrete_fields)]


def from_row(model: type[Model], alias: str, row: Any) -> Any:
    """The instance of `model` whose concrete fields' columns, in order, begin `row`, each value
    converted as the ORM converts it (the backend's converters, then the field's)."""
    connection = connections[alias]
    loaded = []
    for (column, converters), value in zip(_converters(model, alias), row, strict=False):
        for converter in converters:
            value = converter(value, column, connection)
        loaded.append(value)
    return model.from_db(alias, [field.attname for field in model._meta.concrete_fields], loaded)


@cache
def _converters(model: type[Model], alias: str) -> list[tuple[Any, list[Any]]]:
    """Each concrete field's column and the converters the ORM applies to its values."""
    connection = connections[alias]
    columns = [field.get_col(model._meta.db_table) for field in model._meta.concrete_fields]
    return [
        (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)) for column in columns
    ]
