"""P3: reading a job's status (200, and 304 with If-None-Match) against a trivial endpoint."""

from dataclasses import dataclass
from typing import Any

from bench import services as sv
from bench.harness import Api, Bench, Scenario
from bench.scenarios.p1_submit import BODY
from bench.stats import Target, row, stat

NOT_MODIFIED = Target(ratio_at_least=0.9)


@dataclass(frozen=True)
class Plan:
    p3_duration: float


def polled_job(port: int, token: str) -> tuple[str, str]:
    """A job waiting an hour, submitted by the token's user, and its ETag."""
    api = Api(port, token)
    try:
        job, _ = api.call("POST", "/api/v1/jobs/", {**BODY, "delay_seconds": 3600})
        _, headers = api.call("GET", f"/api/v1/jobs/{job['id']}/")
    finally:
        api.close()
    etag = headers.get("ETag") or headers.get("etag")
    if not etag:
        raise RuntimeError("the job detail answered without an ETag")
    return job["id"], etag


def run(bench: Bench, plan: Plan) -> dict[str, Any]:
    # As the client that polls its own job: a plain user, not the bench's superuser.
    service, port = bench.web("app")
    job_id, etag = polled_job(port, bench.client_token)
    auth = {"Authorization": f"Bearer {bench.client_token}"}
    path = f"/api/v1/jobs/{job_id}/"
    kinds = {
        "me": ([{"method": "GET", "path": "/api/v1/me/", "headers": auth}], [200]),
        "get_200": ([{"method": "GET", "path": path, "headers": auth}], [200]),
        "get_304": ([{"method": "GET", "path": path, "headers": {**auth, "If-None-Match": etag}}], [304]),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in kinds}
    for reqs, expect in kinds.values() if bench.plan.warm else []:
        sv.loadgen(bench.spec(port, reqs, duration=0.5, expect=expect))
    for _ in range(bench.plan.runs):
        for name, (reqs, expect) in kinds.items():
            spec = bench.spec(port, reqs, warmup=0.5, duration=plan.p3_duration, expect=expect)
            runs[name].append(bench.load(service, spec))

    def versus_me(metric: str, name: str, key: str, unit: str = "", target: Target | None = None) -> dict[str, Any]:
        def pick(name: str) -> dict[str, Any]:
            return stat([r["cpu"][key] if key in r["cpu"] else r[key] for r in runs[name]])

        return row(metric, pick(name), baseline=pick("me"), baseline_label="GET /me/", unit=unit, target=target)

    rows = [
        versus_me("GET job, 200: requests/s", "get_200", "rps"),
        versus_me("GET job, 304 (If-None-Match): requests/s", "get_304", "rps", target=NOT_MODIFIED),
        versus_me("GET job, 200: p99", "get_200", "p99_ms", "ms"),
        versus_me("GET job, 304: p99", "get_304", "p99_ms", "ms"),
        versus_me("GET job, 200: web CPU per request", "get_200", "web_ms_per_req", "ms"),
        versus_me("GET job, 304: web CPU per request", "get_304", "web_ms_per_req", "ms"),
    ]
    return {"runs": runs, "rows": rows, "job_id": job_id}


SCENARIO = Scenario(
    name="P3",
    title="P3 — read a job's status",
    description=(
        "`GET /api/v1/jobs/{id}/` answered 200 and with `If-None-Match` answered 304, 8 connections, "
        "against the trivial authenticated endpoint `GET /api/v1/me/`, all three as the job's submitter, "
        "a plain (non-staff) user: the client that polls its own job. The job waits an hour and does not "
        "change during the run, so after the first poll each web process answers the 304 from its poll "
        "cache (`api/pollcache.py`) without PostgreSQL, as it does for any client polling a job that has "
        "not changed since its last notice (at most 10 s per entry)."
    ),
    full=Plan(p3_duration=4.0),
    smoke=Plan(p3_duration=0.8),
    estimate_s=60,
    run=run,
)
