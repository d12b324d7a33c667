"""P8: a thousand long-polling clients held while P1 runs, on P1's web service and PostgreSQL."""

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import services as sv
from bench.harness import Api, Bench, Scenario
from bench.scenarios.p1_submit import BODY
from bench.stats import Target, row, stat

WAIT_S = 30
WITHOUT, EARLIER = "P1 without long-polls", "before the clients"  # the baselines' labels
P99 = Target(ratio_at_most=2, against="without")


@dataclass(frozen=True)
class Plan:
    p8_clients: int
    p8_duration: float
    p8_ramp: float  # seconds over which the long-poll clients start


def clients_spec(bench: Bench, plan: Plan, port: int, paths: list[str]) -> dict[str, Any]:
    """The long-poll clients' load-generator spec; they stop when its stop file appears."""
    return {
        "mode": "longpoll",
        "host": "127.0.0.1",
        "port": port,
        "clients": plan.p8_clients,
        "wait": WAIT_S,
        "if_none_match": True,
        "ramp": plan.p8_ramp,
        "duration": 60 + plan.p8_ramp + bench.plan.runs * (plan.p8_duration + 3),
        "paths": paths,
        "headers": bench.auth(),
        "stop_file": str(sv.VAR / f"longpoll-stop-{os.getpid()}"),
        "status_file": str(sv.VAR / f"longpoll-status-{os.getpid()}.json"),
    }


def start_clients(spec: dict[str, Any]) -> sv.Service:
    for name in ("stop_file", "status_file"):
        Path(spec[name]).unlink(missing_ok=True)
    # The spec goes through a file: services get no stdin.
    spec_file = sv.VAR / "longpoll-spec.json"
    spec_file.write_text(json.dumps(spec))
    command = f'exec "{sv.PYTHON}" -m bench.loadgen < "{spec_file}"'
    return sv.Service("longpoll-clients", ["/bin/sh", "-c", command], sv.app_env(), stdout=subprocess.PIPE)


def waiting(spec: dict[str, Any]) -> int:
    """How many clients the server holds for over a second, by the clients' status file."""
    status = Path(spec["status_file"])
    return int(json.loads(status.read_text())["waiting"]) if status.exists() else 0


def wait_started(clients: sv.Service, spec: dict[str, Any], plan: Plan) -> float:
    """Seconds until every client has sent its first request (or a minute past the ramp)."""
    status = Path(spec["status_file"])
    started = time.monotonic()
    while time.monotonic() - started < 60 + plan.p8_ramp and clients.alive():
        if status.exists() and json.loads(status.read_text())["sent"] >= plan.p8_clients:
            break
        time.sleep(0.25)
    return time.monotonic() - started


def stop_clients(clients: sv.Service, spec: dict[str, Any]) -> dict[str, Any]:
    """Stop the clients and return what they saw."""
    result: dict[str, Any] = {}
    Path(spec["stop_file"]).touch()
    try:
        out, _ = clients.proc.communicate(timeout=30)
        for line in (out or b"").decode(errors="replace").splitlines():
            if '"event": "result"' in line:
                result = json.loads(line)
    except subprocess.TimeoutExpired:
        pass
    clients.stop()
    Path(spec["stop_file"]).unlink(missing_ok=True)
    Path(spec["status_file"]).unlink(missing_ok=True)
    return result


def measure(bench: Bench, plan: Plan) -> dict[str, Any]:
    web, port = bench.web("app")
    api = Api(port, bench.token)
    try:
        ids = [api.call("POST", "/api/v1/jobs/", {**BODY, "delay_seconds": 3600})[0]["id"] for _ in range(20)]
    finally:
        api.close()
    app_req = [{"method": "POST", "path": "/api/v1/jobs/", "headers": bench.auth(), "body": json.dumps(BODY)}]
    p1_spec = bench.spec(port, app_req, warmup=0.5, duration=plan.p8_duration, expect=[202])
    if bench.plan.warm:
        sv.loadgen({**p1_spec, "warmup": 0, "duration": 1})
    data: dict[str, Any] = {"without": [bench.load(web, p1_spec) for _ in range(bench.plan.runs)]}
    data.update(memory_before=sv.tree_memory(web.pid), pg_before=sv.pg_connections(sv.APP_DB))
    spec = clients_spec(bench, plan, port, [f"/api/v1/jobs/{job_id}/?wait={WAIT_S}" for job_id in ids])
    clients = start_clients(spec)
    bench.services.append(clients)
    try:
        data["ready_s"] = wait_started(clients, spec, plan)
        time.sleep(1.5)
        data.update(waiting=waiting(spec), memory_during=sv.tree_memory(web.pid))
        data["pg_during"] = sv.pg_connections(sv.APP_DB)
        # Failures here are the finding (e.g. a connection pool exhausted by waiting clients).
        data["with"] = [bench.load(web, {**p1_spec, "timeout": 30}, tolerate=True) for _ in range(bench.plan.runs)]
        data.update(still=waiting(spec), memory_after=sv.tree_memory(web.pid))
    finally:
        data["client_result"] = stop_clients(clients, spec)
        bench.services.remove(clients)
    return data


def rows(data: dict[str, Any], clients: int) -> list[dict[str, Any]]:
    without, with_polls, waiting = data["without"], data["with"], data["waiting"]
    before, during = data["memory_before"], data["memory_during"]
    none_served = all(not r.get("requests") for r in with_polls)
    return [
        row(
            "P1 p99 latency" + (" (0: no request succeeded)" if none_served else ""),
            stat([r["p99_ms"] for r in with_polls]),
            baseline=stat([r["p99_ms"] for r in without]),
            unit="ms",
            target=P99,
            may_be_zero=True,  # 0: no request succeeded while the clients waited
            baseline_label=WITHOUT,
        ),
        row(
            "P1 requests/s",
            stat([r["rps"] for r in with_polls]),
            baseline=stat([r["rps"] for r in without]),
            may_be_zero=True,
            baseline_label=WITHOUT,
        ),
        row(
            "P1 failed requests (all runs)",
            stat([sum(r["errors"] for r in with_polls)]),
            baseline=stat([sum(r["errors"] for r in without)]),
            may_be_zero=True,
            baseline_label=WITHOUT,
        ),
        row(f"waiting clients (of {clients}), held > 1 s by the server", stat([waiting])),
        row(
            "web RSS, master + workers",
            stat([during["rss_mib"]]),
            baseline=stat([before["rss_mib"]]),
            unit="MiB",
            baseline_label=EARLIER,
        ),
        row(
            "RSS per waiting client",
            stat([1024 * (during["rss_mib"] - before["rss_mib"]) / max(1, waiting)]),
            unit="KiB",
            may_be_zero=True,
        ),
        row("web threads", stat([during["threads"]]), baseline=stat([before["threads"]]), baseline_label=EARLIER),
        row(
            "PostgreSQL connections",
            stat([data["pg_during"]]),
            baseline=stat([data["pg_before"]]),
            may_be_zero=True,
            baseline_label=EARLIER,
        ),
    ]


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    data = measure(bench, plan)
    return {
        "rows": rows(data, plan.p8_clients),
        "clients_requested": plan.p8_clients,
        "clients_run": plan.p8_clients,
        "waiting": data["waiting"],
        "seconds_to_start": round(data["ready_s"], 1),
        "waiting_after_runs": data["still"],
        "memory": {"before": data["memory_before"], "during": data["memory_during"], "after": data["memory_after"]},
        "client_result": data["client_result"],
        "runs": {"without": data["without"], "with": data["with"]},
    }


def notes(entry: dict[str, Any], results: dict[str, Any]) -> list[str]:
    client = entry.get("client_result") or {}
    return [
        f"{entry.get('waiting')} clients were waiting {entry.get('seconds_to_start')} s after they "
        f"started, {entry.get('waiting_after_runs')} after the P1 runs; the clients saw "
        f"{client.get('answers', '?')} answers "
        f"({client.get('statuses', {})}) and {client.get('errors', '?')} errors.",
        "",
    ]


SCENARIO = Scenario(
    name="P8",
    title="P8 — long-polls during P1",
    description=(
        "1,000 clients holding `GET /api/v1/jobs/{id}/?wait=30` (20 scheduled jobs; each client reads "
        "its job, then long-polls with `If-None-Match` set to the last ETag and re-polls every answer), "
        "started one at a time over 30 s so that their deadlines and re-polls are spread as in a "
        "steady state (~33 re-polls a second), while P1 runs; P1 against P1 just before without them, "
        "and the web processes' memory (VmRSS of the uvicorn master and workers), threads and PostgreSQL "
        "connections. It runs on P1's web service and PostgreSQL: a waiting client holds no thread "
        "and no database connection. A client counts as waiting once the server has held its "
        "request for over a second. Smoke mode uses 5 clients."
    ),
    full=Plan(p8_clients=1000, p8_duration=6.0, p8_ramp=30.0),  # ramp = the wait: re-polls spread evenly
    smoke=Plan(p8_clients=5, p8_duration=1.2, p8_ramp=1.0),
    estimate_s=120,
    run=run,
    stop_after=("base",),
    notes=notes,
)
