"""simple-history wired to the attribution context: `AuditedHistory()` on every audited model.

Each historical row records who (user + username snapshot), through which channel, request,
job or schedule, from which IP and why — taken from `audit.context`, never from clients.
"""

from functools import cached_property
from typing import Any

from django.db import connections, models, router
from django.utils import timezone
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords

from audit.context import Attribution, current
from audit.sql import context_columns, history_values, insert_audited


class HistoryContext(models.Model):
    """Columns every historical table gets on top of simple-history's own."""

    history_username = models.CharField(max_length=150, blank=True)
    history_channel = models.CharField(max_length=10, default="system")
    history_request_id = models.CharField(max_length=128, blank=True, default="")
    history_job_id = models.UUIDField(null=True, blank=True, db_index=True)
    history_schedule_id = models.UUIDField(null=True, blank=True)
    history_client_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            for name, value in context_columns(current(), getattr(self, "history_user", None)).items():
                setattr(self, name, value)
        super().save(*args, **kwargs)


def bulk_create_audited(
    model: type[models.Model], objs: list[Any], attributions: list[Attribution] | None = None
) -> list[Any]:
    """INSERT `objs` and their "created" history rows, each row attributed as a one-by-one save
    would be: to `attributions` (one per object) or else to the current context. On PostgreSQL
    one statement (audit.sql.insert_audited), elsewhere two bulk INSERTs. Model.save() and
    signals are skipped, as with any bulk_create."""
    contexts = attributions or [current()] * len(objs)
    if len(contexts) != len(objs):
        raise ValueError("one attribution per object")
    now = timezone.now()
    if connections[router.db_for_write(model)].vendor == "postgresql":
        insert_audited(model, objs, contexts, at=now)
        return objs
    return _bulk_create_orm(model, objs, contexts, at=now)


def _bulk_create_orm(model: type[models.Model], objs: list[Any], contexts: list[Attribution], *, at: Any) -> list[Any]:
    history = model.history.model  # type: ignore[attr-defined]
    created = model._default_manager.bulk_create(objs)
    rows = [
        history(
            **{field.attname: getattr(obj, field.attname) for field in history.tracked_fields},
            **history_values(ctx, at=at, history_type="+"),
        )
        for obj, ctx in zip(created, contexts, strict=True)
    ]
    history.objects.bulk_create(rows)
    return created


def _context_user(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    return current().actor


class _HistoryDescriptor(HistoryDescriptor):  # type: ignore[misc]
    """simple-history's `Model.history`, with its manager class built once: the stock descriptor
    builds a new class (`Manager.from_queryset`) on every access, and every audited save
    and every audit read makes one or more."""

    @cached_property
    def _manager_class(self) -> type:
        return self.manager_class.from_queryset(self.queryset_class)  # type: ignore[no-any-return]

    def __get__(self, instance: Any, owner: Any) -> Any:
        return self._manager_class(self.model, instance)


class AuditedHistory(HistoricalRecords):  # type: ignore[misc]
    """HistoricalRecords whose user, reason and context come from the attribution context."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("bases", [HistoryContext])
        kwargs.setdefault("get_user", _context_user)
        super().__init__(**kwargs)

    # A history table has only the indexes its reads need: the three of get_meta_options and the
    # job's (history_job_id). Every index is written on every audited change (bench/analysis.md,
    # P2). Not one per copied field (simple-history indexes each copied foreign key and unique
    # field; nothing looks history up by them), nor the object's id alone: h*_object (id,
    # -history_id) serves every lookup by id, and with both the planner could pick the narrower
    # one for a predecessor probe and read every entry of the object (P7). Not history_user nor
    # history_date alone either: h*_actor and h*_feed lead with them.
    def copy_fields(self, model: Any) -> dict[str, Any]:
        fields: dict[str, Any] = super().copy_fields(model)
        for field in fields.values():
            field.db_index = False
        return fields

    def _get_history_user_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super()._get_history_user_fields()
        fields["history_user"].db_index = False
        return fields

    def get_extra_fields(self, model: Any, fields: Any) -> dict[str, Any]:
        extra: dict[str, Any] = super().get_extra_fields(model, fields)
        extra["history_date"].db_index = False
        return extra

    def finalize(self, sender: Any, **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        stock = sender.__dict__.get(self.manager_name)
        if type(stock) is HistoryDescriptor:
            built_once = _HistoryDescriptor(stock.model, stock.manager_class, stock.queryset_class)
            setattr(sender, self.manager_name, built_once)

    def get_meta_options(self, model: Any) -> dict[str, Any]:
        # simple-history builds the historical model's Meta itself (an abstract base's indexes
        # are not inherited), so the indexes the audit reads need are declared here.
        options: dict[str, Any] = super().get_meta_options(model)
        short = model._meta.model_name[:12]
        options["indexes"] = [
            models.Index(fields=["history_user", "-history_date"], name=f"h{short}_actor"),
            # One object's entries, newest first, and each entry's predecessor.
            models.Index(fields=["id", "-history_id"], name=f"h{short}_object"),
            models.Index(fields=["-history_date", "-history_id"], name=f"h{short}_feed"),
        ]
        return options

    def get_change_reason_for_object(self, instance: Any, history_type: Any, using: Any) -> str | None:
        reason = super().get_change_reason_for_object(instance, history_type, using)
        return reason or current().reason or None
