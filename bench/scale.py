"""`python -m bench.scale [--smoke] [--jobs N] [--history N]`: P9, what data costs the hot paths.

Two scratch databases side by side (`<prefix>_scale`, loaded, and `<prefix>_scale_small`, the
baseline), each migrated and served by its own `python -m config.web --workers 2` with its own
Redis db:

1. The loaded one gets `--jobs` finished jobs (default 2,000,000) and `--history` job history
   rows (default 10,000,000) in plain SQL (`INSERT ... SELECT generate_series`, secondary
   indexes dropped during the load and built again after, then ANALYZE): 10 users (the bench's
   superuser and plain client among them, a tenth of the jobs each), five tasks, three queues,
   90 % succeeded / 7 % failed / 3 % canceled, created evenly over 60 days, each job's history
   rows attributed to its submitter (the first by the API, the others by the job).
2. In turns on both (each going first in turn): P1 (submit, 8 connections), P3 (the 304 poll of
   a job as its plain-user submitter, 8 connections) and the job list's first page
   (`GET /api/v1/jobs/`, one connection) as the plain user and as staff: each figure on the
   loaded database against the baseline of the same run. Target: p99 within 1.2x. The baseline
   holds 1,000 jobs the same way, not none: an empty database's job list is an empty page, and
   serializing a full page of 50 jobs is most of what a list costs.
3. Retention: `manage.py conveyor_retention` (passes at the default batch, each followed by the
   command's pause as long as it took) with a
   JOB_RETENTION_DAYS that expires the oldest jobs holding `--retention-rows` rows (jobs + their
   history; default 1,000,000), while P1 runs on the loaded database again and again; P1's p99
   during the drain against P1's p99 on the same database just before. Target: within 2x.

Both databases are dropped at the end, whatever happened. Results go to
var/bench/scale-<timestamp>.json; a full run renders docs/benchmarks-scale.md, which
docs/benchmarks.md links. `--smoke` (CI, `make bench-smoke`) runs it all tiny and exits non-zero
if a figure is missing; it checks the harness, not the targets.
"""

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import psycopg

from bench import services as sv
from bench.harness import CONNECTIONS, Api, describe
from bench.harness import FULL as BENCH_PLAN
from bench.markdown import figure, table
from bench.report import validate
from bench.scenarios.p1_submit import BODY as P1_BODY
from bench.stats import Target, row, stat

DATA_DB = f"{sv.DB_PREFIX}_scale"
SMALL_DB = f"{sv.DB_PREFIX}_scale_small"
DATA_REDIS, SMALL_REDIS = 13, 12
DOC = sv.ROOT / "docs" / "benchmarks-scale.md"
DAYS = 60  # the loaded jobs were created evenly over this many days, up to now
USERS = 10  # who submitted them: the bench's two users and eight others
TASKS = ["mail.send", "web.page_length", "demo.sleep", "demo.noop", "accounts.check_engagement"]
QUEUES = ["default", "default", "high", "low", "default"]
LOADED_TABLES = ("jobs_job", "jobs_historicaljob")
BASELINE_LABEL = "1,000-job database"
P99 = Target(ratio_at_most=1.2)  # of each kind of request, against the baseline database
RETENTION_P99 = Target(ratio_at_most=2)  # of P1 while retention drains, against P1 without it


@dataclass(frozen=True)
class ScalePlan:
    name: str
    jobs: int
    history: int
    baseline_jobs: int  # the baseline database's jobs (5 history rows each): every list page full
    retention_rows: int
    runs: int
    warmup: float
    p1_duration: float
    p3_duration: float
    list_requests: int
    retention_cap_s: float  # the drain is stopped after this, and what it deleted reported
    budget_s: float  # smoke mode fails above this


FULL = ScalePlan(
    name="full",
    jobs=2_000_000,
    history=10_000_000,
    baseline_jobs=1_000,
    retention_rows=1_000_000,
    runs=3,
    warmup=1.0,
    p1_duration=6.0,
    p3_duration=4.0,
    list_requests=200,
    retention_cap_s=600,
    budget_s=3600,
)
SMOKE = replace(
    FULL,
    name="smoke",
    jobs=2_000,
    history=10_000,
    retention_rows=1_000,
    runs=1,
    warmup=0.2,
    p1_duration=0.8,
    p3_duration=0.5,
    list_requests=10,
    retention_cap_s=60,
    budget_s=120,
)


# --- the load -----------------------------------------------------------------------------------


def secondary_indexes(conn: psycopg.Connection[Any], table: str) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of `table` that no constraint owns."""
    rows = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        (table,),
    ).fetchall()
    return [(str(name), str(definition)) for name, definition in rows]


# Job g of N was created at now - DAYS + DAYS * g / N (the heap in creation order, as
# in life), ran 50 ms later for 0.1-2 s.
JOBS_SQL = (
    "INSERT INTO jobs_job (id, task, args, kwargs, queue, state, labels, timeout_seconds, max_retries, "
    "retry_intervals, attempt, created_at, enqueued_at, started_at, ended_at, dispatched, worker, "
    "result, error, version, submitted_by_id) "
    "SELECT gen_random_uuid(), (%(tasks)s::text[])[1 + g %% 5], '[]', "
    """jsonb_build_object('n', g %% 1000), (%(queues)s::text[])[1 + g %% 5], """
    "CASE WHEN g %% 100 < 90 THEN 'succeeded' WHEN g %% 100 < 97 THEN 'failed' ELSE 'canceled' END, "
    """CASE WHEN g %% 4 = 0 THEN '{"team": "ops"}'::jsonb ELSE '{}'::jsonb END, 300, 0, '[]', 1, """
    "c, c, c + interval '50 ms', c + interval '50 ms' + (g %% 20 + 1) * interval '100 ms', true, "
    """'worker-' || (g %% 4), CASE WHEN g %% 100 < 90 THEN '{"ok": true}'::jsonb END, """
    """CASE WHEN g %% 100 >= 90 AND g %% 100 < 97 THEN """
    """'{"type": "RuntimeError", "message": "failed"}'::jsonb END, 4, """
    "(%(users)s::int[])[1 + g %% %(nusers)s] "
    "FROM (SELECT g, now() - %(days)s * interval '1 day' + %(days)s * interval '1 day' * g / %(jobs)s "
    "AS c FROM generate_series(1, %(jobs)s) g) s"
)

# Row 1 of a job: created by its submitter through the API; the others: by the job
# (running, then its end state on the last).
HISTORY_SQL = (
    "INSERT INTO jobs_historicaljob (history_username, history_channel, history_request_id, "
    "history_job_id, id, task, args, kwargs, queue, state, labels, timeout_seconds, max_retries, "
    "retry_intervals, attempt, run_at, created_at, started_at, ended_at, worker, result, error, "
    "history_date, history_type, history_user_id, submitted_by_id) "
    "SELECT u.username, CASE WHEN k = 1 THEN 'api' ELSE 'job' END, "
    "CASE WHEN k = 1 THEN md5(j.id::text) ELSE '' END, CASE WHEN k > 1 THEN j.id END, "
    "j.id, j.task, j.args, j.kwargs, j.queue, "
    "CASE WHEN k = 1 THEN 'queued' WHEN k < %(per)s THEN 'running' ELSE j.state END, "
    "j.labels, j.timeout_seconds, j.max_retries, j.retry_intervals, j.attempt, j.run_at, j.created_at, "
    "CASE WHEN k > 1 THEN j.started_at END, CASE WHEN k = %(per)s THEN j.ended_at END, j.worker, "
    "CASE WHEN k = %(per)s THEN j.result END, CASE WHEN k = %(per)s THEN j.error END, "
    "j.created_at + k * interval '10 ms', CASE WHEN k = 1 THEN '+' ELSE '~' END, "
    "j.submitted_by_id, j.submitted_by_id "
    # In the jobs' heap order (their creation order), k inner: history ids follow dates
    # as in life, without sorting millions of rows.
    "FROM jobs_job j JOIN auth_user u ON u.id = j.submitted_by_id "
    "CROSS JOIN generate_series(1, %(per)s) k"
)


def load(db: str, jobs: int, history: int) -> dict[str, Any]:
    """Fill `db` (migrated, with the bench's users) with finished jobs and their history."""
    per_job = max(1, history // max(1, jobs))
    timings: dict[str, float] = {}
    with sv.pg_connect(db) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        users = [int(r[0]) for r in conn.execute("SELECT id FROM auth_user ORDER BY id").fetchall()]
        if len(users) < 2:
            raise RuntimeError("the loaded database has no users")
        indexes = [index for table in LOADED_TABLES for index in secondary_indexes(conn, table)]
        for name, _definition in indexes:
            conn.execute(f"DROP INDEX {name}")
        started = time.monotonic()
        conn.execute(
            JOBS_SQL,
            {"tasks": TASKS, "queues": QUEUES, "users": users, "nusers": len(users), "days": DAYS, "jobs": jobs},
        )
        timings["jobs_s"] = time.monotonic() - started
        started = time.monotonic()
        conn.execute(HISTORY_SQL, {"per": per_job})
        timings["history_s"] = time.monotonic() - started
        started = time.monotonic()
        for _name, definition in indexes:
            conn.execute(definition)
        timings["indexes_s"] = time.monotonic() - started
        started = time.monotonic()
        for table in LOADED_TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
        timings["analyze_s"] = time.monotonic() - started
        counts = {table: table_rows(conn, table) for table in LOADED_TABLES}
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return {
        "rows": counts,
        "history_per_job": per_job,
        "seconds": {key: round(value, 1) for key, value in timings.items()},
        "database_gib": round(int(size[0]) / 2**30, 2) if size else None,
    }


def rows_deleted(conn: psycopg.Connection[Any]) -> int:
    """Rows ever deleted from the loaded tables (PostgreSQL's statistics: counts P1's inserts out)."""
    found = conn.execute(
        "SELECT coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables WHERE relname = ANY(%s)", (list(LOADED_TABLES),)
    ).fetchone()
    return int(found[0]) if found else 0


def table_rows(conn: psycopg.Connection[Any], table: str) -> int:
    found = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(found[0]) if found else 0


# --- the run ------------------------------------------------------------------------------------


class Scale:
    def __init__(self, plan: ScalePlan) -> None:
        self.plan = plan
        self.started = time.monotonic()
        self.services: list[sv.Service] = []
        self.sites: dict[str, dict[str, Any]] = {}
        self.results: dict[str, Any] = {"scenarios": {}}

    def env(self, db: str, redis_db: int, **extra: str) -> dict[str, str]:
        # A small pool per web process: the PostgreSQL server is shared (max_connections 100).
        return sv.app_env(DATABASE_URL=sv.pg_url(db), REDIS_URL=sv.redis_url(redis_db), DB_POOL_MAX_SIZE="4", **extra)

    def prepare(self) -> None:
        """Both databases created and migrated, each with the bench's superuser, its plain
        client and eight other users, and a token for each of the two."""
        sv.check_stores()
        for db in (DATA_DB, SMALL_DB):
            sv.ensure_database(db, fresh=True)
        for redis_db in (DATA_REDIS, SMALL_REDIS):
            sv.flush_redis(redis_db)
        sites = {"data": (DATA_DB, DATA_REDIS), "small": (SMALL_DB, SMALL_REDIS)}
        migrations = [
            sv.Service(f"migrate-{name}", [sv.PYTHON, "manage.py", "migrate", "--noinput"], self.env(db, redis_db))
            for name, (db, redis_db) in sites.items()
        ]
        for migration in migrations:
            code = migration.wait(300)
            migration.stop()
            if code != 0:
                raise RuntimeError(f"{migration.name} failed:\n{migration.log_tail()}")
        for name, (db, redis_db) in sites.items():
            env = self.env(db, redis_db)
            with sv.pg_connect(db) as conn:
                for index, username in enumerate([sv.BENCH_USER, sv.BENCH_CLIENT, *(f"scale-{i}" for i in range(8))]):
                    conn.execute(
                        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, "
                        "is_staff, is_active, date_joined) VALUES ('!', %s, %s, '', '', '', %s, true, now())",
                        (index == 0, username, index == 0),
                    )
            tokens = {
                user: sv.manage(["create_token", user, "--name", "bench"], env=env).strip().splitlines()[-1]
                for user in (sv.BENCH_USER, sv.BENCH_CLIENT)
            }
            staff, client = tokens[sv.BENCH_USER], tokens[sv.BENCH_CLIENT]
            self.sites[name] = {"db": db, "redis": redis_db, "env": env, "staff": staff, "client": client}

    def serve(self) -> None:
        for name, site in self.sites.items():
            service, port = sv.start_web(f"web-scale-{name}", "config.asgi:application", site["env"], "/healthz")
            self.services.append(service)
            site.update(service=service, port=port)
            api = Api(port, site["client"])
            try:  # the job P3 polls: the plain client's own, waiting an hour
                job, _ = api.call("POST", "/api/v1/jobs/", {**P1_BODY, "delay_seconds": 3600})
                _, headers = api.call("GET", f"/api/v1/jobs/{job['id']}/")
            finally:
                api.close()
            site["job"], site["etag"] = job["id"], headers.get("ETag") or headers.get("etag")

    def spec(self, site: dict[str, Any], token: str, request: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}", **request.pop("headers", {})}
        requests = [{**request, "headers": headers}]
        return {"host": "127.0.0.1", "port": site["port"], "connections": CONNECTIONS, "requests": requests, **kwargs}

    def load_run(self, site: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        """One load-generator run, once more if over 2 % of its requests failed (the shared
        PostgreSQL refuses connections when other users fill it)."""
        for attempt in range(2):
            result = sv.loadgen(spec)
            total = sum(result.get("statuses", {}).values())
            if result.get("requests") and result.get("errors", 0) <= 0.02 * total:
                return result
            if attempt:
                raise RuntimeError(f"{result.get('errors')} of {total} requests failed: {result.get('error_samples')}")
        raise AssertionError("unreachable")

    def p1(self, site: dict[str, Any]) -> dict[str, Any]:
        # Nothing drains the submits: each run starts from an empty queue, far below its cap
        # (QUEUE_MAX_DEPTH; the retention phase's runs went past it at 12:32 on 2026-12-04).
        sv.flush_redis(site["redis"])
        plan = self.plan
        request = {"method": "POST", "path": "/api/v1/jobs/", "body": json.dumps(P1_BODY)}
        spec = self.spec(site, site["staff"], request, warmup=plan.warmup, duration=plan.p1_duration, expect=[202])
        return self.load_run(site, spec)

    def kinds(self, site: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """What each turn measures on `site`, as load-generator specs."""
        plan = self.plan
        poll = {"method": "GET", "path": f"/api/v1/jobs/{site['job']}/", "headers": {"If-None-Match": site["etag"]}}
        listing = {"method": "GET", "path": "/api/v1/jobs/"}
        one_by_one = {"connections": 1, "duration": 120, "max_requests": plan.list_requests, "timeout": 60}
        return {
            "p3_304": self.spec(site, site["client"], poll, warmup=0.5, duration=plan.p3_duration, expect=[304]),
            "list_user": self.spec(site, site["client"], dict(listing), **one_by_one),
            "list_staff": self.spec(site, site["staff"], dict(listing), **one_by_one),
        }

    def measure(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Every kind on both sites, in turns; the site going first changes every round."""
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in self.sites}
        names = list(self.sites)
        for index in range(self.plan.runs):
            for name in names[index % 2 :] + names[: index % 2]:
                site = self.sites[name]
                runs[name].setdefault("p1", []).append(self.p1(site))
                for kind, spec in self.kinds(site).items():
                    if kind.startswith("list"):
                        sv.loadgen({**spec, "max_requests": 3})  # this site's caches warm again
                    runs[name].setdefault(kind, []).append(self.load_run(site, spec))
        return runs

    def retention(self, without: list[dict[str, Any]]) -> dict[str, Any]:
        """Drain the oldest jobs holding ~retention_rows rows while P1 runs on the loaded site."""
        plan, site = self.plan, self.sites["data"]
        with sv.pg_connect(site["db"]) as conn:
            total = sum(table_rows(conn, table) for table in LOADED_TABLES)
            deleted_before = rows_deleted(conn)
        # Jobs are spread evenly over DAYS: keeping the newest (1 - share) of them keeps
        # everything but ~retention_rows rows. Whole days (the setting's unit), at least one.
        share = min(1.0, plan.retention_rows / max(1, total))
        days = max(1, int(DAYS * (1 - share)))
        env = {**site["env"], "JOB_RETENTION_DAYS": str(days)}
        argv = [sv.PYTHON, "manage.py", "conveyor_retention"]
        drain = sv.Service("retention-scale", argv, env, stdout=subprocess.PIPE)
        self.services.append(drain)
        during: list[dict[str, Any]] = []
        started = time.monotonic()
        try:
            while drain.alive() and time.monotonic() - started < plan.retention_cap_s:
                during.append(self.p1(site))
            finished = not drain.alive()
            seconds = time.monotonic() - started
            if not finished:
                drain.stop()
            out = drain.proc.stdout.read().decode() if drain.proc.stdout else ""
        finally:
            drain.stop()
            self.services.remove(drain)
        deleted: dict[str, int] = json.loads(out.strip().splitlines()[-1]) if finished and out.strip() else {}
        time.sleep(1.5)  # a backend reports its statistics within a second (and at exit)
        with sv.pg_connect(site["db"]) as conn:
            removed = rows_deleted(conn) - deleted_before
        p99_with, p99_without = stat([r["p99_ms"] for r in during]), stat([r["p99_ms"] for r in without])
        return {
            "rows": [
                row(
                    "P1 p99 while retention drains",
                    p99_with,
                    baseline=p99_without,
                    baseline_label="P1 on the loaded database, no retention",
                    unit="ms",
                    target=RETENTION_P99,
                ),
                row(
                    "P1 requests/s while retention drains",
                    stat([r["rps"] for r in during]),
                    baseline=stat([r["rps"] for r in without]),
                    baseline_label="no retention",
                ),
                row("rows retention deleted (jobs + their history)", stat([removed])),
                row("retention drain time" + ("" if finished else " (stopped at the cap)"), stat([seconds]), unit="s"),
            ],
            "job_retention_days": days,
            "deleted": deleted,
            "drained": finished,
            "p1_runs_during": len(during),
            "runs": {"during": during},
        }

    def p9(self) -> dict[str, Any]:
        load_info = load(DATA_DB, self.plan.jobs, self.plan.history)
        load_info["baseline"] = load(SMALL_DB, self.plan.baseline_jobs, 5 * self.plan.baseline_jobs)["rows"]
        print(f"scale: loaded {json.dumps(load_info)}", flush=True)
        self.serve()
        runs = self.measure()

        def pick(name: str, kind: str, key: str) -> dict[str, Any]:
            return stat([r[key] for r in runs[name][kind]])

        rows = []
        labels = {
            "p1": "P1 submit",
            "p3_304": "P3 304 poll",
            "list_user": "job list, first page, plain user",
            "list_staff": "job list, first page, staff",
        }
        for kind, label in labels.items():
            rows.append(
                row(
                    f"{label}: p99",
                    pick("data", kind, "p99_ms"),
                    baseline=pick("small", kind, "p99_ms"),
                    baseline_label=BASELINE_LABEL,
                    unit="ms",
                    target=P99,
                )
            )
            rows.append(
                row(
                    f"{label}: requests/s",
                    pick("data", kind, "rps"),
                    baseline=pick("small", kind, "rps"),
                    baseline_label=BASELINE_LABEL,
                )
            )
        retention = self.retention(runs["data"]["p1"])
        return {"rows": rows + retention.pop("rows"), "load": load_info, "retention": retention, "runs": runs}

    def stop_all(self) -> None:
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception as exc:  # keep stopping the others
                print(f"scale: could not stop {service.name}: {exc}", flush=True)
        self.services.clear()

    def drop(self) -> None:
        for db in (DATA_DB, SMALL_DB):
            try:
                with psycopg.connect(sv.PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            except psycopg.Error as exc:
                print(f"scale: could not drop {db}: {exc}", flush=True)
        for redis_db in (DATA_REDIS, SMALL_REDIS):
            try:
                sv.flush_redis(redis_db)
            except Exception as exc:
                print(f"scale: could not flush Redis db {redis_db}: {exc}", flush=True)

    def run(self) -> dict[str, Any]:
        meta = describe(BENCH_PLAN, [])  # the machine, the versions, the commit
        meta.update(
            mode=self.plan.name,
            plan=asdict(self.plan),
            command=" ".join([".venv/bin/python -m bench.scale", *sys.argv[1:]]),
        )
        self.results["meta"] = meta
        entry: dict[str, Any] = {"status": "ok"}
        try:
            self.prepare()
            entry.update(self.p9())
        except Exception as exc:
            import traceback

            entry = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
            print(f"scale: FAILED: {entry['error']}", flush=True)
        finally:
            self.stop_all()
            self.drop()
        self.results["scenarios"]["P9"] = entry
        meta["duration_s"] = round(time.monotonic() - self.started, 1)
        return self.results


# --- the page -----------------------------------------------------------------------------------


def what_runs() -> list[str]:
    """The module docstring's description of the run, as Markdown: its intro, then its list."""
    body = (__doc__ or "").split("\n\n", 1)[1].split("\n\nBoth databases")[0]
    items: list[list[str]] = [[]]
    for line in body.splitlines():
        if re.match(r"\d+\. ", line):
            items.append([])
        items[-1].append(line.strip())
    intro, *steps = (" ".join(item) for item in items)
    return [f"**What runs.** {intro}", "", *steps]


def render(results: dict[str, Any], results_path: str) -> str:
    """docs/benchmarks-scale.md from a results file."""
    meta, entry = results["meta"], results["scenarios"]["P9"]
    machine, plan = meta["machine"], meta["plan"]
    out = [
        "# Benchmarks: cost as data grows (P9)",
        "",
        f"Generated by `make bench-scale` (`{meta['command']}`) from `{results_path}`; do not edit by hand "
        "(`bench/analysis.md` says what limits these figures). Linked from [benchmarks.md](benchmarks.md).",
        "",
        f"Run of {meta['started_at']} on commit `{meta['git']['commit']}`"
        + (" (with uncommitted changes)" if meta["git"].get("tracked_changes") else "")
        + f", {meta['duration_s']:.0f} s, on {machine['nproc']} x {machine['cpu']} (shared: load average "
        f"{machine['loadavg_start'][0]:.1f} at the start), PostgreSQL {machine['postgresql']}, Redis "
        f"{machine['redis']}. Figures are the median of {plan['runs']} runs (min\u2013max in brackets), the "
        "loaded and the baseline database taking turns going first.",
        "",
        *what_runs(),
        "",
    ]
    if entry.get("status") != "ok":
        return "\n".join([*out, f"**{entry.get('status')}**: {entry.get('error')}", ""])
    loaded = entry["load"]
    seconds = loaded["seconds"]
    retention = entry["retention"]
    deleted = ", ".join(f"{count:,} {table}" for table, count in retention["deleted"].items() if count)
    out += [
        f"**Loaded**: {loaded['rows']['jobs_job']:,} jobs and {loaded['rows']['jobs_historicaljob']:,} history "
        f"rows ({loaded['history_per_job']} per job), {loaded['database_gib']} GiB, in "
        f"{sum(seconds.values()):.0f} s (jobs {seconds['jobs_s']:.0f} s, history {seconds['history_s']:.0f} s, "
        f"indexes {seconds['indexes_s']:.0f} s, VACUUM ANALYZE {seconds['analyze_s']:.0f} s). **Retention**: "
        f"`JOB_RETENTION_DAYS={retention['job_retention_days']}`, {retention['p1_runs_during']} P1 runs during "
        f"the drain; it deleted {deleted or 'what the rows below count'}.",
        "",
        *table(entry["rows"]),
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="everything tiny (CI): checks the harness")
    parser.add_argument("--jobs", type=int, help=f"finished jobs to load (default {FULL.jobs:,})")
    parser.add_argument("--history", type=int, help=f"job history rows to load (default {FULL.history:,})")
    parser.add_argument("--retention-rows", type=int, help=f"rows retention expires (default {FULL.retention_rows:,})")
    parser.add_argument("--no-docs", action="store_true", help="do not render docs/benchmarks-scale.md")
    parser.add_argument("--render", metavar="RESULTS_JSON", help="only re-render docs/benchmarks-scale.md from a file")
    args = parser.parse_args(argv)
    if args.render:
        source = sv.ROOT / args.render
        DOC.write_text(render(json.loads(source.read_text()), results_path=str(source.relative_to(sv.ROOT))))
        print(f"scale: rendered {DOC.relative_to(sv.ROOT)} from {source.relative_to(sv.ROOT)}")
        return 0
    plan = SMOKE if args.smoke else FULL
    sizes = {"jobs": args.jobs, "history": args.history, "retention_rows": args.retention_rows}
    plan = replace(plan, **{key: value for key, value in sizes.items() if value is not None})
    sv.VAR.mkdir(parents=True, exist_ok=True)
    results = Scale(plan).run()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = sv.VAR / f"scale-{stamp}{'-smoke' if args.smoke else ''}.json"
    path.write_text(json.dumps(results, indent=1, default=str))
    problems = validate(json.loads(path.read_text()), expected={"P9"})
    print(f"scale: results in {path.relative_to(sv.ROOT)} ({results['meta']['duration_s']} s)")
    for item in results["scenarios"]["P9"].get("rows", []):
        value, baseline = figure(item["value"], item["unit"]), figure(item["baseline"], item["unit"])
        print(f"scale: {item['metric']}: {value} vs {baseline} -> {item['ratio']}")
    if not args.smoke and not args.no_docs:
        DOC.write_text(render(results, results_path=str(path.relative_to(sv.ROOT))))
        print(f"scale: rendered {DOC.relative_to(sv.ROOT)}")
    if args.smoke and results["meta"]["duration_s"] > plan.budget_s:
        problems.append(f"smoke run too slow ({results['meta']['duration_s']} s > {plan.budget_s} s)")
    for problem in problems:
        print(f"scale: PROBLEM: {problem}")
    print("scale: " + ("FAILED" if problems else "OK"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
