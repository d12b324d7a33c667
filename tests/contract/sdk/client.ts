// A typed client over the generated types: if the schema drifts from what clients rely on,
// this stops compiling.
import type { components, paths } from "./api";

type Job = components["schemas"]["JobOutput"];
type Schedule = components["schemas"]["ScheduleOutput"];
type SubmitBody = paths["/api/v1/jobs/"]["post"]["requestBody"]["content"]["application/json"];
type CronBody = components["schemas"]["ScheduleCronInput"];
type Problem = components["schemas"]["Problem"];

export async function submit(base: string, token: string, body: SubmitBody): Promise<Job | Problem> {
  const response = await fetch(`${base}/api/v1/jobs/`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Job | Problem;
}

export async function waitUntilDone(base: string, token: string, job: Job): Promise<Job> {
  let etag: string | null = null;
  let current = job;
  while (!current.done) {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (etag) headers["If-None-Match"] = etag;
    const response = await fetch(`${base}/api/v1/jobs/${current.id}/?wait=30`, { headers });
    if (response.status === 304) continue;
    etag = response.headers.get("ETag");
    current = (await response.json()) as Job;
  }
  return current;
}

export const nightly: CronBody = {
  name: "nightly-purge",
  task: "accounts.purge_unactivated",
  kwargs: { older_than_days: 30 },
  kind: "cron",
  cron: "0 3 * * *",
  timezone: "Europe/Athens",
};

export function nextRuns(schedule: Schedule): Date[] {
  return schedule.upcoming.map((moment) => new Date(moment));
}

export const example: SubmitBody = { task: "demo.sleep", kwargs: { seconds: 1, steps: 2 } };
