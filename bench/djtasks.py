"""Bench steps that need Conveyor's Django models, run inside `manage.py shell -c`.

    BENCH_TASK='{"name": "audit_costs", ...}' python manage.py shell -c \
        "from bench.djtasks import main; main()"

Each step prints one line `BENCH_RESULT <json>` on stdout (bench.services.django_task reads it).
"""

import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from audit.context import attribute
from audit.revisions import restore_point
from jobs.models import Job, JobState, Schedule

RESULT_PREFIX = "BENCH_RESULT "


def _user(username: str) -> User:
    return get_user_model().objects.get(username=username)  # type: ignore[return-value]


def _historical_job(job: Job, *, user: User | None, when: Any, kind: str = "~", **changes: Any) -> Any:
    """An unsaved HistoricalJob row copying `job`, for bulk_create (no save(), no signals)."""
    model = Job.history.model  # type: ignore[attr-defined]
    values = {f.attname: getattr(job, f.attname) for f in model.tracked_fields}
    values.update(changes)
    return model(
        **values,
        history_date=when,
        history_type=kind,
        history_user=user,
        history_username=user.get_username() if user else "",
        history_channel="api",
        history_request_id=uuid.uuid4().hex,
        history_change_reason="bench",
    )


def client_token(*, username: str) -> dict[str, Any]:
    """A token of a plain (non-staff) user, made if missing: the client that polls its own jobs."""
    from accounts.services import token_create

    user, _ = get_user_model().objects.get_or_create(username=username)
    with attribute(channel="system", reason="bench client"):
        _, secret = token_create(user=user, name="bench")
    return {"token": secret}


def make_history(*, job_id: str, entries: int, username: str, chunk: int = 5000) -> dict[str, Any]:
    """Give job `job_id` `entries` more history entries (alternating states), with bulk_create."""
    user = _user(username)
    job = Job.objects.get(pk=job_id)
    model = Job.history.model  # type: ignore[attr-defined]
    start = timezone.now() - timedelta(seconds=entries)
    started = time.perf_counter()
    states = [JobState.QUEUED, JobState.RUNNING, JobState.FAILED, JobState.SCHEDULED]
    for offset in range(0, entries, chunk):
        rows = [
            _historical_job(job, user=user, when=start + timedelta(seconds=i), state=states[i % 4], attempt=i // 4 % 20)
            for i in range(offset, min(entries, offset + chunk))
        ]
        model.objects.bulk_create(rows, batch_size=chunk)
    with connection.cursor() as cursor:  # as after any bulk load; autovacuum would do it later
        cursor.execute(f"ANALYZE {model._meta.db_table}")
    seconds = time.perf_counter() - started
    return {"job_id": job_id, "entries": model.objects.filter(id=job_id).count(), "seconds": round(seconds, 2)}


def _copy_in_sql(model: Any, first_id: int, seeded: int, count: int) -> None:
    """Add `count` copies of the `seeded` history rows from `first_id` on, with other object ids
    and earlier dates, in INSERT ... SELECT statements of up to 20 copies of each."""
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if f.column != "history_id"]
    replaced = {
        "id": "md5(src.id::text || ':' || g)::uuid",
        "history_date": "src.history_date - make_interval(secs => g * 37)",
    }
    select = ", ".join(replaced.get(c, f"src.{c}") for c in columns)
    remaining, generation = count, 1
    with connection.cursor() as cursor:
        while remaining > 0:
            per_generation = min(remaining, seeded * 20)
            gens = -(-per_generation // seeded)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"SELECT {select} FROM {table} src "
                "CROSS JOIN generate_series(%s, %s) g "
                "WHERE src.history_id >= %s AND src.history_id < %s LIMIT %s",
                [generation, generation + gens - 1, first_id, first_id + seeded, per_generation],
            )
            remaining -= per_generation
            generation += gens


def make_feed(*, rows: int, users: int, username: str, seed_rows: int = 10_000, chunk: int = 5000) -> dict[str, Any]:
    """Fill the job history table up to `rows` entries spread over `users` actors; return the id
    of the actor `username`, whose entries are 1/`users` of them.

    The first `seed_rows` are made with bulk_create (in chunks); the rest are copies of those
    with other object ids and dates, made in SQL (INSERT ... SELECT), because bulk_create is too
    slow for a million (bench/analysis.md, P7).
    """
    model = Job.history.model  # type: ignore[attr-defined]
    actors = [_user(username)]
    actors += [get_user_model().objects.get_or_create(username=f"bench-actor-{i}")[0] for i in range(1, users)]
    existing = model.objects.count()
    wanted = max(0, rows - existing)
    seeded = min(wanted, seed_rows)
    template = Job(
        task="demo.sleep",
        kwargs={"seconds": 0, "steps": 1},
        queue="default",
        state=JobState.QUEUED,
        timeout_seconds=300,
        created_at=timezone.now(),
    )
    states = [JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED]
    start = timezone.now() - timedelta(days=30)
    step = timedelta(days=30) / max(1, seeded)
    started = time.perf_counter()
    job_ids = [uuid.uuid4() for _ in range(max(1, seeded // 3))]
    first_id = None
    for offset in range(0, seeded, chunk):
        batch = [
            _historical_job(
                template,
                user=actors[i % users],
                when=start + step * i,
                kind="+" if i % 3 == 0 else "~",
                id=job_ids[(i // 3) % len(job_ids)],
                state=states[i % 3],
                submitted_by_id=actors[i % users].pk,
            )
            for i in range(offset, min(seeded, offset + chunk))
        ]
        made = model.objects.bulk_create(batch, batch_size=chunk)
        if first_id is None and made:
            first_id = made[0].history_id
    bulk_seconds = time.perf_counter() - started
    copies = 0
    if seeded and first_id is not None and wanted > seeded:
        copies = wanted - seeded
        _copy_in_sql(model, first_id, seeded, copies)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {
        "rows": model.objects.count(),
        "bulk_created": seeded,
        "copied_in_sql": copies,
        "bulk_seconds": round(bulk_seconds, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "actor_id": actors[0].pk,
    }


def _timed(operation: Callable[[int], None], count: int) -> dict[str, float]:
    samples = []
    for index in range(count):
        started = time.perf_counter()
        operation(index)
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {
        "median_us": round(statistics.median(samples) * 1e6, 1),
        "p90_us": round(samples[int(0.9 * (len(samples) - 1))] * 1e6, 1),
        "n": len(samples),
    }


def job_save(job: Job, history: bool) -> Callable[[int], None]:
    """A save of `job` in its own transaction, with or without its history row."""

    def save(index: int) -> None:
        job.labels = {"n": str(index)}
        if not history:
            job.skip_history_when_saving = True  # type: ignore[attr-defined]
        with transaction.atomic():
            job.save()
        if not history:
            del job.skip_history_when_saving  # type: ignore[attr-defined]

    return save


def schedule_save(schedule: Schedule, history: bool, revision: bool) -> Callable[[int], None]:
    """A save of `schedule` in its own transaction, with or without its history row and a
    reversion restore point."""

    def save(index: int) -> None:
        schedule.description = f"revision {index} {history} {revision}"
        if not history:
            schedule.skip_history_when_saving = True  # type: ignore[attr-defined]
        if revision:
            with restore_point("bench"):
                schedule.save()
        else:
            with transaction.atomic():
                schedule.save()
        if not history:
            del schedule.skip_history_when_saving  # type: ignore[attr-defined]

    return save


def audit_costs(*, saves: int, username: str) -> dict[str, Any]:
    """Median cost of one save (each in its own transaction, so its commit counts) of a Job
    without and with simple-history, and of a Schedule without audit, with simple-history,
    with a reversion restore point on top, and through `schedule_update` (validation, plan,
    both audit records and re-arming in rq-scheduler after commit)."""
    from jobs.services.schedules import schedule_create, schedule_update

    user = _user(username)
    results: dict[str, Any] = {}
    with attribute(channel="system", user=user, reason="bench audit costs"):
        job = Job.objects.create(
            task="demo.sleep",
            kwargs={"seconds": 0, "steps": 1},
            queue="default",
            state=JobState.SCHEDULED,
            timeout_seconds=300,
            run_at=timezone.now() + timedelta(days=365),
            submitted_by=user,
        )

        # A yearly cron (far from now) so the bench's schedules never fire.
        schedule = schedule_create(
            config={
                "name": f"bench-audit-{uuid.uuid4().hex[:12]}",
                "task": "demo.sleep",
                "kwargs": {"seconds": 0, "steps": 1},
                "kind": "cron",
                "cron": "0 0 1 1 *",
                "timezone": "UTC",
            },
            actor=user,
        )

        def via_service(index: int) -> None:
            schedule_update(schedule=schedule, changes={"description": f"service {index}"}, actor=user)

        for _ in range(2):  # warm up connections and caches
            job_save(job, True)(0)
            schedule_save(schedule, True, True)(0)
        results["job_plain"] = _timed(job_save(job, False), saves)
        results["job_history"] = _timed(job_save(job, True), saves)
        results["schedule_plain"] = _timed(schedule_save(schedule, False, False), saves)
        results["schedule_history"] = _timed(schedule_save(schedule, True, False), saves)
        results["schedule_revision"] = _timed(schedule_save(schedule, False, True), saves)
        results["schedule_history_revision"] = _timed(schedule_save(schedule, True, True), saves)
        results["schedule_update_service"] = _timed(via_service, saves)
    return results


def lifecycle_floor(*, jobs: int, rounds: int) -> dict[str, Any]:
    """What the database work of a short job costs in plain SQL over the raw psycopg connection,
    no ORM, as the workers do it now (docs/architecture.md, the worker): the claim's read of the
    row with its submitter's username, then the run recorded queued -> succeeded in one
    statement that updates the row if it is still queued and copies it into its history table
    (autocommit: one round trip each). The fork worker makes both on its own persistent
    connection, so a work horse opens none. The floor of a durable, audited run on this
    PostgreSQL, whatever the Python above it. The rows are made for it and deleted after; the
    median per job of each of `rounds` rounds."""
    history = Job.history.model  # type: ignore[attr-defined]
    table, history_table = Job._meta.db_table, history._meta.db_table
    user_table = get_user_model()._meta.db_table
    tracked = [field.column for field in history.tracked_fields]
    context = ["history_date", "history_type", "history_channel", "history_username", "history_request_id"]
    # Only names from the models' metadata go into the SQL; every value is a parameter.
    read = f"SELECT j.*, u.username FROM {table} j LEFT JOIN {user_table} u ON u.id = j.submitted_by_id WHERE j.id = %s"
    end = (
        f"WITH changed AS (UPDATE {table} SET state = %s, started_at = now(), ended_at = now(), "
        f"attempt = attempt + 1, worker = %s, result = %s, version = version + 1 "
        f"WHERE id = %s AND state = %s RETURNING *) "
        f"INSERT INTO {history_table} ({', '.join(tracked + context)}) "
        f"SELECT {', '.join(tracked)}, now(), '~', 'job', '', '' FROM changed"
    )
    rows = Job.objects.bulk_create(
        Job(task="demo.noop", queue="default", state=JobState.QUEUED, timeout_seconds=300) for _ in range(jobs)
    )
    ids = [row.pk for row in rows]
    connection.ensure_connection()
    raw = connection.connection  # in autocommit, as Django keeps it

    def lifecycle(index: int) -> None:
        raw.execute(read, [ids[index]]).fetchone()
        raw.execute(end, [JobState.SUCCEEDED.value, "bench-floor", "null", ids[index], JobState.QUEUED.value])

    per_job_ms = []
    try:
        for _ in range(rounds):
            Job.objects.filter(pk__in=ids).update(state=JobState.QUEUED)
            per_job_ms.append(round(_timed(lifecycle, jobs)["median_us"] / 1000, 3))
    finally:
        history.objects.filter(id__in=ids).delete()
        Job.objects.filter(pk__in=ids).delete()
    return {"per_job_ms": per_job_ms, "jobs": jobs}


def create_schedules(*, username: str, cron: int, interval: int, every: int, prefix: str) -> dict[str, Any]:
    """Create `cron` `* * * * *` schedules and `interval` every-`every`-seconds schedules
    through the service (validated, audited and armed as the API would)."""
    from jobs.services.schedules import schedule_create

    user = _user(username)
    started = time.perf_counter()
    base: dict[str, Any] = {"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}
    configs: list[dict[str, Any]] = [
        *({"name": f"{prefix}-interval-{i}", "kind": "interval", "every_seconds": every} for i in range(interval)),
        *({"name": f"{prefix}-cron-{i}", "kind": "cron", "cron": "* * * * *", "timezone": "UTC"} for i in range(cron)),
    ]
    with attribute(channel="system", user=user, reason="bench schedules"):
        for config in configs:
            schedule_create(config={**base, **config}, actor=user)
    return {"created": cron + interval, "seconds": round(time.perf_counter() - started, 2)}


def disable_schedules(*, prefix: str) -> dict[str, Any]:
    """Stop the bench's schedules from firing again (a plain UPDATE: the bench is over)."""
    count = Schedule.objects.filter(name__startswith=prefix).update(enabled=False, next_run_at=None)
    return {"disabled": count}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "client_token": client_token,
    "make_history": make_history,
    "make_feed": make_feed,
    "audit_costs": audit_costs,
    "lifecycle_floor": lifecycle_floor,
    "create_schedules": create_schedules,
    "disable_schedules": disable_schedules,
}


def main() -> None:
    spec = json.loads(os.environ["BENCH_TASK"])
    name = spec.pop("name")
    result = TASKS[name](**spec)
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)
