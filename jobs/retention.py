"""Retention: finished jobs, their logs and history, and old audit history, deleted in small batches.

`retention_pass()` deletes at most `batch_size` rows per table per call, each table in its own
short transaction, oldest first, through an index (see docs/operations.md "Retention"):

- finished jobs (succeeded, failed, canceled) that ended more than JOB_RETENTION_DAYS ago, with
  the rows that cascade from them (their log, their dependency links) and the links to them
  set to NULL (schedule fires, a schedule's last job, a retry's `retry_of`); a queued or running
  job is never deleted, however old;
- the history rows of jobs that no longer exist, older than JOB_RETENTION_DAYS;
- the history of every other audited model (schedules, users, tokens, sign-in lockouts, plug-in
  models) older than AUDIT_RETENTION_DAYS, except each existing object's latest record, so the
  current state stays explainable;
- idempotency records past their 24 h replay window.

The deletes are raw (`QuerySet._raw_delete`: one `DELETE ... WHERE pk IN (...)`): no
`post_delete` per object, so simple-history writes no `-` row for a job retention removes (a
plain `QuerySet.delete()` would, because simple-history listens to `post_delete`). The pass is
one audit event of its own: the `retention.pass` log line with its counts.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, router, transaction
from django.db.models import Exists, OuterRef, QuerySet

from audit.registry import audited_labels, audited_model
from jobs.idempotency import KEY_TTL
from jobs.models import TERMINAL_STATES, IdempotencyRecord, Job

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000  # rows per table per pass, unless RETENTION_BATCH_SIZE says otherwise


def _cutoff(days: int, now: datetime) -> datetime | None:
    """The instant before which records go, or None when `days` is 0 (keep forever)."""
    return now - timedelta(days=days) if days else None


def _raw_delete(queryset: QuerySet[Any]) -> int:
    """DELETE the rows of `queryset` in one statement, without signals or cascades; how many."""
    return int(queryset._raw_delete(router.db_for_write(queryset.model)))


def _delete_oldest(queryset: QuerySet[Any], order: str, batch_size: int, *, dry_run: bool) -> int:
    """Delete the `batch_size` oldest rows of `queryset` by `order` (an indexed column) in one
    short transaction: `DELETE ... WHERE pk IN (SELECT pk ... ORDER BY order LIMIT n)`."""
    model = queryset.model
    oldest = queryset.order_by(order).values("pk")[:batch_size]
    if dry_run:
        return oldest.count()
    with transaction.atomic():
        return _raw_delete(model._base_manager.filter(pk__in=oldest))


def finished_jobs(cutoff: datetime) -> QuerySet[Job]:
    """Finished jobs that ended before `cutoff` (read through the `job_finished` index)."""
    return Job.objects.filter(state__in=sorted(TERMINAL_STATES), ended_at__lt=cutoff)


def _delete_jobs(cutoff: datetime, batch_size: int, *, dry_run: bool) -> dict[str, int]:
    """One batch of finished jobs, with what points at them, in one transaction."""
    counts = {"jobs": 0, "job_links": 0}
    if dry_run:
        counts["jobs"] = finished_jobs(cutoff)[:batch_size].count()
        return counts
    with transaction.atomic():
        # SKIP LOCKED (PostgreSQL): a job a request holds right now (a retry of it) waits for
        # the next pass instead of blocking this one.
        ids = list(
            finished_jobs(cutoff)
            .select_for_update(skip_locked=True)
            .order_by("ended_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return counts
        # Every relation to Job, the hidden ones (related_name="+") and plug-in models' included:
        # a raw delete does not cascade, so each is handled here as its on_delete says.
        for relation in Job._meta.get_fields(include_hidden=True):
            if not (relation.auto_created and not relation.concrete) or relation.many_to_many:
                continue  # a field of Job itself, or the M2M (its through rows are a relation below)
            assert isinstance(relation, models.ForeignObjectRel)
            related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids})
            if relation.on_delete is models.CASCADE:
                counts["job_links"] += _raw_delete(related)
            elif relation.on_delete is models.SET_NULL:
                counts["job_links"] += related.update(**{relation.field.name: None})
            elif relation.on_delete is not models.DO_NOTHING:  # DO_NOTHING: history rows, no constraint
                raise TypeError(f"retention cannot delete jobs referenced by {relation.related_model._meta.label}")
        counts["jobs"] = _raw_delete(Job.objects.filter(pk__in=ids))
    return counts


def _history_of_gone_jobs(cutoff: datetime, *, dry_run: bool) -> QuerySet[Any]:
    """History rows older than `cutoff` of jobs that are gone (or, in a dry run, would be)."""
    history = Job.history.model  # type: ignore[attr-defined]
    kept = Job.objects.filter(pk=OuterRef("id"))
    if dry_run:
        kept = kept.exclude(pk__in=finished_jobs(cutoff).values("pk"))
    return history.objects.filter(history_date__lt=cutoff).exclude(Exists(kept))


def _trimmable_history(model: type[models.Model], cutoff: datetime) -> QuerySet[Any]:
    """History rows of `model` older than `cutoff`, but never an existing object's latest one."""
    history = model.history.model  # type: ignore[attr-defined]
    pk = model._meta.pk.attname  # type: ignore[union-attr]
    newer = history.objects.filter(**{pk: OuterRef(pk)}, history_id__gt=OuterRef("history_id"))
    exists = model._base_manager.filter(pk=OuterRef(pk))
    return history.objects.filter(history_date__lt=cutoff).filter(Exists(newer) | ~Exists(exists))


def retention_pass(*, now: datetime, batch_size: int | None = None, dry_run: bool = False) -> dict[str, int]:
    """Delete one batch (at most `batch_size` rows per table) of what retention removes; return
    the rows deleted per table. With `dry_run`, count what this pass would delete instead."""
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    counts: dict[str, int] = {}
    job_cutoff = _cutoff(settings.JOB_RETENTION_DAYS, now)
    if job_cutoff is not None:
        counts.update(_delete_jobs(job_cutoff, batch_size, dry_run=dry_run))
        # Ran after the jobs: this pass's deleted jobs' history goes too, up to the batch.
        counts["jobs.job history"] = _delete_oldest(
            _history_of_gone_jobs(job_cutoff, dry_run=dry_run), "history_date", batch_size, dry_run=dry_run
        )
    audit_cutoff = _cutoff(settings.AUDIT_RETENTION_DAYS, now)
    if audit_cutoff is not None:
        for label in audited_labels():
            if label != Job._meta.label_lower:
                trimmable = _trimmable_history(audited_model(label).model, audit_cutoff)
                counts[f"{label} history"] = _delete_oldest(trimmable, "history_date", batch_size, dry_run=dry_run)
    # Idempotency records are useless past their replay window, whatever the retention settings.
    expired = IdempotencyRecord.objects.filter(created_at__lt=now - KEY_TTL)
    counts["idempotency records"] = _delete_oldest(expired, "created_at", batch_size, dry_run=dry_run)
    if not dry_run and any(counts.values()):
        logger.info("retention.pass", extra={"deleted": counts, "batch_size": batch_size})
    return counts
