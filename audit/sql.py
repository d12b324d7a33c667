"""Audited writes as single SQL statements on PostgreSQL: a row and its history row together.

The building blocks come first (which columns a model's history copies, which it adds, the
values of the attribution columns); every audited SQL statement is built from them, so its
history rows are the ones simple-history's ORM path writes, column for column
(tests/audit/test_sql.py holds the two equal).
"""

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model

from audit.context import Attribution


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


def _array(field: Field, connection: Any) -> str:  # type: ignore[type-arg]
    return f"%s::{field.db_type(connection)}[]"


def _names(fields: list[Any], quote: Any, prefix: str = "") -> str:
    return ", ".join(prefix + quote(field.column) for field in fields)


@cache
def _insert_statement(model: type[Model], alias: str) -> str:
    """INSERT rows given as one array per column, and a "created" history row for each, joined
    to its own attribution by primary key: one statement for one row or a thousand."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields, copied, own = list(model._meta.concrete_fields), tracked_fields(model), history_own_fields(model)
    pk = model._meta.pk
    table, history_table = model._meta.db_table, model.history.model._meta.db_table  # type: ignore[attr-defined]
    rows = ", ".join(_array(field, connection) for field in fields)
    attributions = ", ".join(_array(field, connection) for field in [pk, *own])
    # Only names from the models' metadata, quoted, are formatted in; every value is a parameter.
    return (
        f"WITH j AS (INSERT INTO {quote(table)} ({_names(fields, quote)}) SELECT * FROM UNNEST({rows}) "  # noqa: S608
        f"RETURNING {_names(copied, quote)}) "
        f"INSERT INTO {quote(history_table)} ({_names(copied, quote)}, {_names(own, quote)}) "
        f"SELECT {_names(copied, quote, 'j.')}, {_names(own, quote, 'h.')} "
        f"FROM j JOIN UNNEST({attributions}) AS h(pk, {_names(own, quote)}) ON h.pk = j.{quote(pk.column)}"  # type: ignore[union-attr]
    )


def insert_audited(model: type[Model], objs: list[Any], attributions: list[Attribution], *, at: datetime) -> None:
    """INSERT `objs` and their "created" history rows (the i-th attributed to `attributions[i]`,
    dated `at`) in one statement, values prepared as the ORM's bulk_create prepares them."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    columns = [
        [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs]
        for field in model._meta.concrete_fields
    ]
    own = history_own_fields(model)
    rows = [history_values(ctx, at=at, history_type="+") for ctx in attributions]
    pk = model._meta.pk
    columns.append([pk.get_db_prep_save(obj.pk, connection) for obj in objs])  # type: ignore[union-attr]
    columns += [[field.get_db_prep_save(row[field.attname], connection) for row in rows] for field in own]
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(model, alias), columns)
    for obj in objs:
        obj._state.adding, obj._state.db = False, alias
