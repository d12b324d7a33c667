"""Retention: finished jobs, their logs and history, and old audit history, deleted in small batches.

`retention_pass()` deletes at most `batch_size` rows per table per call, each table in its own
short transaction, oldest first, through an index (see docs/operations.md "Retention"):

- finished jobs (succeeded, failed, canceled) that ended more than JOB_RETENTION_DAYS ago, with
  the rows that cascade from them (their log, their dependency links), the links to them set
  to NULL (schedule fires, a schedule's last job, a retry's `retry_of`) and their history rows,
  in one transaction (a job and its trail go together); a queued or running job is never
  deleted, however old, nor one a plug-in model protects (PROTECT, RESTRICT...);
- the history of every other audited model (schedules, users, tokens, sign-in lockouts, plug-in
  models) older than AUDIT_RETENTION_DAYS, except each existing object's latest record, so the
  current state stays explainable;
- idempotency records past their 24 h replay window;
- RQ's hashes of the deleted jobs still in Redis (best effort, after the jobs' transaction).

The deletes are raw (`QuerySet._raw_delete`: one `DELETE ... WHERE pk IN (...)`): no
`post_delete` per object, so simple-history writes no `-` row for a job retention removes (a
plain `QuerySet.delete()` would, because simple-history listens to `post_delete`). The pass is
one audit event of its own: the `retention.pass` log line with its counts.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, router, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from redis.exceptions import RedisError

from audit.registry import audited_labels, audited_model
from core.notices import add_notices
from core.redis import redis_connection
from jobs.engine.entrypoints import JsonJob
from jobs.models import TERMINAL_STATES, IdempotencyRecord, Job
from jobs.services.idempotency import KEY_TTL

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000  # rows per table per pass, unless RETENTION_BATCH_SIZE says otherwise


@contextmanager
def _batch_transaction() -> Iterator[None]:
    """A transaction whose statements each touch at most one batch of rows, by key.

    On PostgreSQL, sequential scans are off inside it (SET LOCAL): for a few thousand keys out
    of a few hundred thousand rows the planner picks a scan of the whole table, which was
    measured slower already at 200,000 jobs and grows with the table, while the index lookups
    grow with the batch only (docs/operations.md, "Retention").
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        yield


def _cutoff(days: int, now: datetime) -> datetime | None:
    """The instant before which records go, or None when `days` is 0 (keep forever)."""
    return now - timedelta(days=days) if days else None


def _raw_delete(queryset: QuerySet[Any]) -> int:
    """DELETE the rows of `queryset` in one statement, without signals or cascades; how many."""
    return int(queryset._raw_delete(router.db_for_write(queryset.model)))


def _delete_oldest(queryset: QuerySet[Any], order: str, batch_size: int, *, dry_run: bool) -> int:
    """Delete the `batch_size` oldest rows of `queryset` by `order` (an indexed column) in one
    short transaction: their keys read through the index, then `DELETE ... WHERE pk IN (keys)`.
    (One `DELETE ... WHERE pk IN (SELECT ... LIMIT n)` was planned on PostgreSQL as a hash join
    against a scan of the whole table.)"""
    oldest = queryset.order_by(order).values_list("pk", flat=True)[:batch_size]
    if dry_run:
        return oldest.count()
    with _batch_transaction():
        keys = list(oldest)
        return _raw_delete(queryset.model._base_manager.filter(pk__in=keys)) if keys else 0


def finished_jobs(cutoff: datetime) -> QuerySet[Job]:
    """Finished jobs that ended before `cutoff` (read through the `job_finished` index)."""
    return Job.objects.filter(state__in=sorted(TERMINAL_STATES), ended_at__lt=cutoff)


def _job_relations(*, blocking: bool = False) -> list[models.ForeignObjectRel]:
    """The relations to Job a raw delete must handle itself (CASCADE: delete the rows, SET_NULL:
    clear the link), hidden ones (related_name="+") and plug-in models' included; with
    `blocking`, the others (PROTECT, RESTRICT, SET_DEFAULT, a constrained DO_NOTHING...):
    a job they reference is kept. History rows (DO_NOTHING, no constraint) are neither."""
    found = []
    for relation in Job._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete) or relation.many_to_many:
            continue  # a field of Job itself, or the M2M (its through rows are a relation too)
        assert isinstance(relation, models.ForeignObjectRel)
        handled = relation.on_delete in (models.CASCADE, models.SET_NULL)
        history = relation.on_delete is models.DO_NOTHING and not getattr(relation.field, "db_constraint", True)
        if not history and handled != blocking:
            found.append(relation)
    return found


def _referenced_by_blocking() -> Q:
    """Jobs a relation retention cannot handle still points at."""
    referenced = Q(pk__in=[])
    for relation in _job_relations(blocking=True):
        pointing = relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")})
        referenced |= Q(Exists(pointing))
    return referenced


def _delete_jobs(cutoff: datetime, batch_size: int, *, dry_run: bool) -> dict[str, int]:
    """One batch of finished jobs with their history, their logs and what points at them, in one
    transaction: the oldest jobs whose history rows add up to at most `batch_size` (one job at
    least), so no table loses more than `batch_size` rows (links aside: one per dependency)."""
    history = Job.history.model  # type: ignore[attr-defined]
    if dry_run:
        eligible = finished_jobs(cutoff)
        return {
            "jobs": eligible[:batch_size].count(),
            "jobs.job history": history.objects.filter(id__in=eligible.values("pk")[:batch_size]).count(),
        }
    counts = {"jobs": 0, "jobs.job history": 0, "job_links": 0}
    with _batch_transaction():
        # SKIP LOCKED (PostgreSQL): a job a request holds right now (a retry of it) waits for
        # the next pass instead of blocking this one.
        candidates = list(
            finished_jobs(cutoff)
            .exclude(_referenced_by_blocking())
            .select_for_update(skip_locked=True)
            .order_by("ended_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        rows = dict(
            history.objects.filter(id__in=candidates)
            .values("id")
            .annotate(n=Count("history_id"))
            .values_list("id", "n")
        )
        ids: list[Any] = []
        total = 0
        for pk in candidates:
            if ids and total + rows.get(pk, 0) > batch_size:
                break
            ids.append(pk)
            total += rows.get(pk, 0)
        if not ids:
            return counts
        for relation in _job_relations():
            related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids})
            if relation.on_delete is models.CASCADE:
                counts["job_links"] += _raw_delete(related)
            else:
                counts["job_links"] += related.update(**{relation.field.name: None})
        # By object id, through the history's (id, -history_id) index.
        counts["jobs.job history"] = _raw_delete(history.objects.filter(id__in=ids))
        counts["jobs"] = _raw_delete(Job.objects.filter(pk__in=ids))
    _forget_in_redis(ids)
    return counts


def _forget_in_redis(ids: list[Any]) -> None:
    """Best effort: drop RQ's hashes of deleted jobs, and announce the deletions (a web process
    forgets what it knew of them, api.pollcache). Most hashes are gone already (a success's at
    once, RQ_RESULT_TTL = 0; failures after RQ_FAILURE_TTL), but a job canceled while it waited is only
    taken out of its queue, and its hash would stay for ever."""
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            pipe.unlink(*(JsonJob.key_for(str(pk)) for pk in ids))
            add_notices(pipe, ids)
            pipe.execute()
    except RedisError as exc:
        logger.warning("retention.redis_failed", extra={"error": str(exc)})


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
