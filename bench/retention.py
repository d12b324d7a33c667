"""`python -m bench.retention [--jobs N] [--batch B]`: time the retention pass on PostgreSQL.

Loads N finished jobs ended 60 days ago (each with its "created" and "succeeded" history rows
and a log), plus N/20 recent finished and N/20 old queued jobs retention must keep, into a
scratch database (`bench_retention`, created and dropped here), then times one pass of batch B,
the full drain (passes until nothing is left, as the scheduler would run them one per
RETENTION_EVERY_SECONDS) and prints what each statement of the first pass reads (EXPLAIN). Targets: one pass well
under a second at B=5,000 (the scheduler's tick is late by one pass); every read through an
index (no Seq Scan on jobs_job or jobs_historicaljob). Figures go into docs/operations.md.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime

import psycopg

ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
DB = f"{os.environ.get('BENCH_DB_PREFIX', 'bench')}_retention"  # see bench.services.DB_PREFIX

JOB_COLUMNS = (
    "id, task, args, kwargs, queue, state, labels, timeout_seconds, max_retries, retry_intervals, attempt, "
    "created_at, started_at, ended_at, dispatched, worker, version"
)
HISTORY_COLUMNS = (
    "history_username, history_channel, history_request_id, id, task, args, kwargs, queue, state, labels, "
    "timeout_seconds, max_retries, retry_intervals, attempt, created_at, started_at, ended_at, worker, "
    "history_date, history_type"
)


def load(cur: psycopg.Cursor, n: int) -> None:
    """N old finished jobs, N/20 recent finished ones, N/20 old queued ones, each with 2 history rows."""
    for count, state, age in (
        (n, "succeeded", "60 days"),
        (n // 20, "succeeded", "1 day"),
        (n // 20, "queued", "60 days"),
    ):
        ended = f"now() - interval '{age}'" if state == "succeeded" else "NULL"
        cur.execute(
            f"INSERT INTO jobs_job ({JOB_COLUMNS}) SELECT gen_random_uuid(), 'demo.sleep', '[]', '{{}}', "
            f"'default', '{state}', '{{}}', 60, 0, '[]', 1, now() - interval '{age}', {ended}, {ended}, true, '', 2 "
            f"FROM generate_series(1, {count})"
        )
    for history_type, state in (("+", "'queued'"), ("~", "state")):
        cur.execute(
            f"INSERT INTO jobs_historicaljob ({HISTORY_COLUMNS}) SELECT 'bench', 'api', '', id, task, args, kwargs, "
            f"queue, {state}, labels, timeout_seconds, max_retries, retry_intervals, attempt, created_at, "
            f"started_at, ended_at, worker, coalesce(ended_at, created_at), '{history_type}' FROM jobs_job"
        )
    cur.execute("INSERT INTO jobs_joblog (job_id, lines, truncated) SELECT id, '[\"done\"]', false FROM jobs_job")
    # Audit history: N/100 users (half of them deleted since) with 10 records each, 400 days old.
    users = n // 100
    cur.execute(
        "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, "
        f"is_active, date_joined) SELECT i, '', false, 'u' || i, '', '', '', false, true, now() "
        f"FROM generate_series(1, {users // 2}) i"
    )
    cur.execute(
        "INSERT INTO accounts_historicaluser (id, password, is_superuser, username, first_name, last_name, email, "
        "is_staff, is_active, date_joined, history_username, history_channel, history_request_id, history_date, "
        "history_type) SELECT i, '', false, 'u' || i, '', '', '', false, true, now(), '', 'api', '', "
        f"now() - interval '400 days' + r * interval '1 minute', '~' FROM generate_series(1, {users}) i, "
        "generate_series(1, 10) r"
    )
    cur.execute("ANALYZE")


def first_pass(now: datetime, batch: int) -> tuple[dict[str, int], float, list[tuple[str, str]]]:
    """One retention pass, timed; what it deleted, and what each of its statements reads.

    It runs inside an outer transaction so each of its statements can be EXPLAINed afterwards
    as it ran (with the pass's SET LOCAL), then committed."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from jobs.operations.retention import retention_pass

    with transaction.atomic(), CaptureQueriesContext(connection) as ran:
        started = time.perf_counter()
        first = retention_pass(now=now, batch_size=batch)
        seconds = time.perf_counter() - started
        plans = []
        for query in ran.captured_queries:
            if query["sql"].startswith(("SELECT", "DELETE", "UPDATE")):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN " + query["sql"])
                    scans = [row[0].strip() for row in cursor.fetchall() if " on " in row[0]]
                plans.append((query["sql"][:90], " / ".join(scan[: scan.find("(")].strip("-> ") for scan in scans)))
    return first, seconds, plans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retention", description=__doc__)
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args(argv)

    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    try:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ["LOG_LEVEL"] = "WARNING"
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from jobs.models import Job
        from jobs.operations.retention import retention_pass

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        with connection.cursor() as cur:
            load(cur.cursor, args.jobs)  # type: ignore[attr-defined]
        load_s = time.perf_counter() - started
        now = timezone.now()
        user_rows = get_user_model().history.model.objects.count()  # type: ignore[attr-defined]
        history = Job.history.model  # type: ignore[attr-defined]
        drain_started = time.perf_counter()
        first, first_s, plans = first_pass(now, args.batch)
        passes = [first_s]
        while True:
            started = time.perf_counter()
            counts = retention_pass(now=now, batch_size=args.batch)
            passes.append(time.perf_counter() - started)
            if not any(counts.values()):
                break
        drain_s = time.perf_counter() - drain_started
        kept = {
            "jobs": Job.objects.count(),
            "history": history.objects.count(),
            "user history": get_user_model().history.model.objects.count(),  # type: ignore[attr-defined]
        }
        report = {
            "jobs": args.jobs,
            "history_rows": 2 * args.jobs,
            "user_history_rows": user_rows,
            "batch": args.batch,
            "load_s": round(load_s, 1),
            "first_pass_s": round(passes[0], 3),
            "first_pass_deleted": first,
            "pass_median_s": round(statistics.median(passes), 3),
            "pass_max_s": round(max(passes), 3),
            "passes": len(passes),
            "drain_s": round(drain_s, 1),
            "kept": kept,
        }
        print(json.dumps(report, indent=1))
        print("--- the first pass's statements and what they read (EXPLAIN)")
        for statement, reads in plans:
            print(f"{statement}...\n    {reads}")
        connection.close()
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
