"""Checking a results file and rendering docs/benchmarks.md from it."""

from pathlib import Path
from typing import Any

ANALYSIS = Path(__file__).resolve().parent / "analysis.md"

SCENARIOS: dict[str, tuple[str, str]] = {
    "P1": (
        "P1 — submit one job",
        '`POST /api/v1/jobs/` with `{"task": "demo.sleep", "kwargs": {"seconds": 0, "steps": 1}}` over '
        "8 keep-alive connections (closed loop), against (1) a hand-written Django view (`bench/baseline/`: no "
        "auth, inserts one row, `django_rq.enqueue`) on its own database (`<prefix>_baseline`) and Redis db 14, "
        "served two ways: as most teams deploy Django, `gunicorn -w 2 -k gthread --threads 4 "
        "bench.baseline.wsgi:application`, and the way Conveyor is served "
        "(`python -m config.web --app bench.baseline.asgi:application --workers 2`: Django's WSGI handler on "
        "a pool of threads behind uvicorn); both with persistent connections (`CONN_MAX_AGE` 60). The faster "
        "of the two in the run is the baseline. (2) Celery + Flower: one Flower process "
        "(`celery -A bench.celeryapp flower --basic-auth=...`) answering `POST /api/task/async-apply/bench.noop` "
        "with the same kwargs, which publishes to a Redis broker (db 12; no result backend, no Celery worker). "
        "The four take turns going first. CPU rows: CPU time of each part divided by the requests served "
        "(PostgreSQL counts every database on the server, other tenants included).",
    ),
    "P2": (
        "P2 — batch submit",
        "`POST /api/v1/jobs/batch/` with 1,000 jobs, one request at a time, against raw RQ "
        "`Queue.enqueue_many` of 1,000 prepared no-op jobs (JSON serializer) on Redis db 15.",
    ),
    "P3": (
        "P3 — read a job's status",
        "`GET /api/v1/jobs/{id}/` answered 200 and with `If-None-Match` answered 304, 8 connections, "
        "against the trivial authenticated endpoint `GET /api/v1/me/`, all three as the job's submitter, "
        "a plain (non-staff) user: the client that polls its own job.",
    ),
    "P4": (
        "P4 — worker throughput",
        "No-op jobs (`demo.noop`) submitted through the batch endpoint, then drained by "
        "`manage.py rqworker --burst high default low` with `CONVEYOR_WORKER=fork|simple`; against stock "
        "RQ `Worker`/`SimpleWorker` (JSON serializer) in burst mode on the same number of no-op jobs "
        "(`bench.baseline.tasks.noop`). jobs/s = jobs / (last RQ `ended_at` - first RQ `started_at`), "
        "read from the RQ job hashes for both. The floor of the design: the two audited transitions of a "
        "job (a transaction each that locks the row, updates it and copies it into its history table) in "
        "plain SQL over psycopg, no ORM (`bench.djtasks.lifecycle_floor`); the highest ratio this design "
        "allows is stock RQ's time per job over that time plus the floor (plus, for the fork worker, the "
        "new PostgreSQL connection each work horse opens, measured above).",
    ),
    "P5": (
        "P5 — submit → running with an idle worker",
        "250 `demo.noop` jobs, one at a time through the API; `started_at - created_at` of the row. Stock RQ: "
        "`started_at - enqueued_at` of a no-op job with an idle stock worker.",
    ),
    "P6": (
        "P6 — schedules",
        "1,000 active cron schedules `* * * * *` and 100 interval schedules (every 5 s), created through "
        "the schedule service with one `manage.py conveyor_scheduler` running (no worker: fired jobs only "
        "queue). Lateness = `ScheduleFire.fired_at - fire_at` over the whole-minute slots after creation "
        "(3 minutes; the issue asks 5 — cut to keep `make bench` under 15 minutes) and the interval fires "
        "of the same window. The fire row is written inside the fire's transaction; the job reaches RQ "
        "after the commit, so the row 'job pushed to RQ' (the job's `enqueued_at - fire_at`) is when it "
        "could start.",
    ),
    "P7": (
        "P7 — audit reads",
        "`GET /api/v1/jobs/{id}/history/` (first page) of a job with 10,000 history entries, and "
        "`GET /api/v1/audit/events/?actor=<id>` over ~1,000,000 job history rows (20 actors, so the "
        "actor has ~50,000), made with `bulk_create`; one connection, 200 requests per run. CPU rows: "
        "CPU time of the web processes and of PostgreSQL (every database on the server) divided by the "
        "requests served.",
    ),
    "P8": (
        "P8 — long-polls during P1",
        "1,000 clients holding `GET /api/v1/jobs/{id}/?wait=30` (20 scheduled jobs; each client reads "
        "its job, then long-polls with `If-None-Match` set to the last ETag and re-polls every answer), "
        "started one at a time over 30 s so that their deadlines and re-polls are spread as in a "
        "steady state (~33 re-polls a second), while P1 runs; P1 against P1 just before without them, "
        "and the web processes' memory (VmRSS of the uvicorn master and workers), threads and PostgreSQL "
        "connections. It runs on P1's web service and PostgreSQL: a waiting client holds no thread "
        "and no database connection. A client counts as waiting once the server has held its "
        "request for over a second. Smoke mode uses 5 clients.",
    ),
    "P10": (
        "P10 — Django's task API, in-process",
        "`noop_task.enqueue(n)` of a `@django.tasks.task` function on Conveyor's backend (`jobs.backend`: a "
        "durable, audited job row per call, pushed to Redis after its commit; as the bench's superuser) "
        "against `django_rq.enqueue(noop, n)` of the same function (RQ's job hash and queue entry: no row), "
        "one by one in one `manage.py shell` process (`bench/enqueue.py`), the two taking turns; and, for "
        "reference, `enqueue` on one `django_rq.get_queue()` object kept for the whole round "
        "(`django_rq.enqueue` builds a queue and a Redis connection on every call). Nothing runs the jobs.",
    ),
    "AUDIT": (
        "Audit write costs",
        "Median cost of one save on PostgreSQL, each in its own transaction (so the commit counts), "
        "measured in a `manage.py shell` script (`bench/djtasks.py`).",
    ),
}
ORDER = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P10", "AUDIT"]


def validate(results: dict[str, Any], expected: set[str] | None = None) -> list[str]:
    """What is wrong with a results file: failures, missing or non-positive figures."""
    problems = []
    if results.get("error"):
        problems.append(f"the run failed: {results['error']}")
    scenarios = results.get("scenarios", {})
    wanted = expected or {name for name in ORDER if name != "P6" or results["meta"]["plan"]["p6_minutes"]}
    for name in sorted(wanted):
        entry = scenarios.get(name)
        if entry is None:
            problems.append(f"{name}: did not run")
            continue
        if entry.get("status") != "ok":
            problems.append(f"{name}: {entry.get('status')}: {entry.get('error') or entry.get('reason')}")
            continue
        rows = entry.get("rows") or []
        if not rows:
            problems.append(f"{name}: no figures")
        for item in rows:
            for side in ("value", "baseline"):
                figure = item.get(side)
                if figure is None:
                    continue
                median = figure.get("median")
                if median is None or median < 0 or (median == 0 and not item.get("may_be_zero")):
                    problems.append(f"{name}: {item['metric']}: {side} is {median!r}")
    return problems


def number(value: float | None) -> str:
    if value is None:
        return "—"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def figure(stat: dict[str, Any] | None, unit: str = "") -> str:
    if not stat or stat.get("median") is None:
        return "—"
    text = number(stat["median"])
    if len(stat.get("runs", [])) > 1:
        text += f" ({number(stat['min'])}\u2013{number(stat['max'])})"
    return f"{text} {unit}".strip()


def met(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "**no**")


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| metric | baseline | Conveyor | ratio | target | met? |", "|---|---|---|---|---|---|"]
    for item in rows:
        base = figure(item.get("baseline"), item.get("unit", ""))
        if item.get("baseline_label") and item.get("baseline"):
            base = f"{base} ({item['baseline_label']})"
        ratio = f"{item['ratio']:.2f}x" if item.get("ratio") is not None else "—"
        lines.append(
            f"| {item['metric']} | {base} | {figure(item['value'], item.get('unit', ''))} | {ratio} | "
            f"{item.get('target') or '—'} | {met(item.get('met'))} |"
        )
    return lines


def profile_lines(title: str, profile: dict[str, Any] | None) -> list[str]:
    if not profile:
        return []
    if profile.get("skipped"):
        return [f"**{title}**: not profiled — {profile['skipped']}.", ""]
    lines = [
        f"**{title}** — py-spy `--gil` samples of the uvicorn workers during an extra run "
        f"({profile['samples']} samples; raw stacks in `{profile.get('file', '')}`):",
        "",
        "| share of samples (inclusive) | category |",
        "|---|---|",
    ]
    lines += [f"| {share}% | {name} |" for name, share in profile.get("categories", {}).items()]
    lines += ["", "| self % | top frames by self time |", "|---|---|"]
    lines += [f"| {r['percent']} | `{r['frame']}` |" for r in profile.get("top_self", [])[:10]]
    lines += ["", "| inclusive % | Conveyor's own frames |", "|---|---|"]
    lines += [f"| {r['percent']} | `{r['frame']}` |" for r in profile.get("top_inclusive_app_code", [])[:10]]
    lines.append("")
    return lines


def render(results: dict[str, Any], results_path: str) -> str:
    meta = results["meta"]
    machine, versions = meta["machine"], meta["versions"]
    scenarios = results.get("scenarios", {})
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`.venv/bin/python -m bench`) from "
        f"`{results_path}`; do not edit by hand except `bench/analysis.md`, which is included below. "
        "`make bench-smoke` (`.venv/bin/python -m bench --smoke`) runs every scenario tiny for CI and "
        "leaves this page alone. P9 (cost as data grows: 2 M jobs and 10 M history rows) is too large for this "
        "run: `make bench-scale` (`.venv/bin/python -m bench.scale`) writes its own page, "
        "[benchmarks-scale.md](benchmarks-scale.md).",
        "",
        f"Run of {meta['started_at']} on commit `{meta['git']['commit']}`"
        + (" (with uncommitted changes)" if meta["git"].get("tracked_changes") else "")
        + f", {meta['duration_s']:.0f} s. Figures are the median of {meta['plan']['runs']} runs with the "
        "min\u2013max in brackets, unless a row is one figure over all samples (P5, P6, P8 memory). The "
        "machine is shared and noisy: load average "
        f"{machine['loadavg_start'][0]:.1f} at the start, {meta.get('loadavg_end', [0])[0]:.1f} at the end; "
        f"the shared PostgreSQL peaked at {meta.get('pg_peak_connections', {}).get('total', '?')} connections "
        f"({meta.get('pg_peak_connections', {}).get('by_db', {})}); {meta.get('runs_retried', 0)} measured "
        "runs were run again because more than 2% of their requests failed (`too many clients` from "
        "PostgreSQL when other users fill it).",
        "",
        "## Machine and software",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {machine['nproc']} x {machine['cpu']} |",
        f"| memory | {machine['memory_gib']} GiB |",
        f"| kernel | {machine['kernel']} |",
        f"| Python | {machine['python']} |",
        f"| PostgreSQL | {machine['postgresql']} (max_connections {machine['postgresql_max_connections']}, "
        "shared with other users), 127.0.0.1:5432; one-row INSERT + commit: "
        f"{machine.get('pg_commit_ms', '?')} ms, new connection + `SELECT 1`: "
        f"{machine.get('pg_connect_ms', '?')} ms (medians) |",
        f"| Redis | {machine['redis']}, {meta.get('redis_base', '127.0.0.1:6379')} (dbs 12-15) |",
        "| packages | " + ", ".join(f"{name} {ver}" for name, ver in versions.items()) + " |",
        f"| command | `{meta['command']}` |",
        "| processes | web: `python -m config.web --workers 2` (2 uvicorn processes on SO_REUSEPORT sockets; "
        "the baseline app served the same way); "
        "worker: `manage.py rqworker [--burst] high default low`; scheduler: `manage.py conveyor_scheduler` |",
        "| environment | " + ", ".join(f"`{k}={v}`" for k, v in meta["env"].items()) + " |",
        "",
        "## Headline",
        "",
    ]
    headline = []
    for name in ORDER:
        entry = scenarios.get(name, {})
        for item in entry.get("rows", []):
            if item.get("target"):
                headline.append({**item, "metric": f"{name}: {item['metric']}"})
    out += table(headline)
    out.append("")
    for name in ORDER:
        title, description = SCENARIOS[name]
        entry = scenarios.get(name)
        out += [f"## {title}", "", description, ""]
        if entry is None:
            out += ["Not run.", ""]
            continue
        if entry.get("status") != "ok":
            out += [f"**{entry.get('status')}**: {entry.get('error') or entry.get('reason')}", ""]
            continue
        out += table(entry.get("rows", []))
        out.append("")
        if name == "P1":
            memory = results.get("memory_web_after_p1", {})
            if memory:
                parts = []
                for label, tree in memory.items():
                    peaks = [p.get("VmHWM", 0) for p in tree.get("per_process", {}).values()]
                    parts.append(f"{label} {max(peaks) / 1024:.0f} MiB (tree RSS {tree['rss_mib']:.0f} MiB)")
                out += ["Peak RSS (VmHWM) of the largest web process after P1: " + "; ".join(parts) + ".", ""]
            out += profile_lines("Profile of P1", entry.get("profile"))
        if name == "P2":
            out += profile_lines("Profile of P2 (batch)", entry.get("profile"))
        if name == "P7":
            feed = entry.get("feed", {})
            out += [
                f"History rows: {feed.get('rows')} ({feed.get('bulk_created')} made with bulk_create, "
                f"{feed.get('copied_in_sql')} copied from them in SQL).",
                "",
            ]
            out += profile_lines("Profile of the history page", entry.get("profile_history"))
            out += profile_lines("Profile of the audit feed", entry.get("profile_feed"))
        if name == "P4":
            memory = results.get("memory_worker_after_p4", {})
            if memory:
                out += [
                    "Peak RSS (VmHWM) of the worker process during P4: "
                    + "; ".join(f"{k.replace('_', ' ')} {figure(v, 'MiB')}" for k, v in memory.items())
                    + ".",
                    "",
                ]
        if name == "P6":
            out += [f"Fires recorded: {entry.get('fires')}; outcomes: {entry.get('outcomes')}.", ""]
        if name == "P8":
            client = entry.get("client_result") or {}
            out += [
                f"{entry.get('waiting')} clients were waiting {entry.get('seconds_to_start')} s after they "
                f"started, {entry.get('waiting_after_runs')} after the P1 runs; the clients saw "
                f"{client.get('answers', '?')} answers "
                f"({client.get('statuses', {})}) and {client.get('errors', '?')} errors.",
                "",
            ]
    out += [
        "## Not measured",
        "",
        "- **wrk**: not used; the load generator is `bench/loadgen.py` (asyncio, raw HTTP/1.1 keep-alive), "
        "so CI needs nothing outside the venv. Its own CPU cost is in the P1 table.",
        "",
    ]
    if ANALYSIS.exists():
        out += [ANALYSIS.read_text().rstrip(), ""]
    return "\n".join(out)
