// The TypeScript SDK scenario: openapi-fetch typed by the types openapi-typescript generates from
// openapi/openapi.yaml (api.d.ts) calls every operation of the schema against a live Conveyor,
// with at least one 4xx per tag, and asserts what comes back. Every exchange is written to
// CONVEYOR_EXCHANGES (JSON) so that tests/contract/test_typescript_sdk.py can check each response
// with the strict OpenAPI validator and that every operation was called. Exits 1 on a mismatch.
//
// Environment: CONVEYOR_URL, CONVEYOR_USERNAME + CONVEYOR_PASSWORD (a staff user),
// CONVEYOR_PLAIN_TOKEN (a non-staff user's token), CONVEYOR_EXCHANGES (where to write).
import { writeFileSync } from "node:fs";
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./api";

type Job = components["schemas"]["JobOutput"];
type SubmitBody = components["schemas"]["JobSubmitInput"];
type CronBody = components["schemas"]["ScheduleCronInput"];
type Api = Client<paths>;

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("CONVEYOR_URL");

interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: [string, string][];
  body: string;
}
const exchanges: Exchange[] = [];

// Sees every response of every client before the caller does: nothing can skip the validator.
const recorder: Middleware = {
  async onResponse({ request, response }) {
    exchanges.push({
      method: request.method,
      url: request.url,
      status: response.status,
      headers: [...response.headers.entries()],
      body: await response.clone().text(),
    });
  },
};

function client(headers: Record<string, string> = {}): Api {
  const api = createClient<paths>({ baseUrl: base, headers });
  api.use(recorder);
  return api;
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`mismatch: ${what}`);
}

function status(result: { response: Response }, expected: number, what: string): void {
  check(result.response.status === expected, `${what}: status ${result.response.status}, expected ${expected}`);
}

// The problem+json body of a refusal, typed by the schema's error responses.
function problem(result: { error?: unknown; response: Response }, expected: number, what: string): void {
  status(result, expected, what);
  const error = result.error as components["schemas"]["Problem"] | undefined;
  check(error?.status === expected && error.type.startsWith("urn:conveyor:problem:"), `${what}: problem ${JSON.stringify(error)}`);
  check(result.response.headers.get("Content-Type") === "application/problem+json", `${what}: content type`);
}

// A browser-like client for the session endpoints: it keeps the cookies the server sets.
function browser(): { api: Api; cookies: Map<string, string> } {
  const cookies = new Map<string, string>();
  const api = client();
  api.use({
    onRequest({ request }) {
      request.headers.set("Cookie", [...cookies].map(([name, value]) => `${name}=${value}`).join("; "));
      const csrf = cookies.get("csrftoken");
      if (csrf) request.headers.set("X-CSRFToken", csrf);
      return request;
    },
    onResponse({ response }) {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const at = pair.indexOf("=");
        cookies.set(pair.slice(0, at), pair.slice(at + 1));
      }
    },
  });
  return { api, cookies };
}

async function auth(basic: Api, anonymous: Api): Promise<void> {
  const { api: session, cookies } = browser();
  const csrf = await session.GET("/api/v1/auth/csrf/");
  check(csrf.data?.csrf_token, "csrf token");
  const wrong = await session.POST("/api/v1/auth/session/", {
    body: { username: env("CONVEYOR_USERNAME"), password: "not-the-password" },
  });
  problem(wrong, 401, "sign in with a wrong password");
  const right = await session.POST("/api/v1/auth/session/", {
    body: { username: env("CONVEYOR_USERNAME"), password: env("CONVEYOR_PASSWORD") },
  });
  check(right.data?.is_staff === true && cookies.has("sessionid"), "signed in as staff");
  const rotated = await session.GET("/api/v1/auth/csrf/"); // signing in rotates the CSRF token
  check(rotated.data && rotated.data.csrf_token !== csrf.data.csrf_token, "csrf token rotated");
  status(await session.DELETE("/api/v1/auth/session/"), 204, "sign out");

  const spare = await basic.POST("/api/v1/auth/tokens/", { body: { name: "spare" } });
  check(spare.data && spare.data.token.startsWith("cvy_"), "spare token");
  const listed = await basic.GET("/api/v1/auth/tokens/", { params: { query: { page_size: 50 } } });
  check(listed.data?.results.some((token) => token.name === "spare"), "spare token listed");
  const revoke = { params: { path: { id: spare.data.id } } };
  status(await basic.DELETE("/api/v1/auth/tokens/{id}/", revoke), 204, "revoke");
  problem(await basic.DELETE("/api/v1/auth/tokens/{id}/", revoke), 404, "revoke again");
  problem(await anonymous.GET("/api/v1/auth/tokens/"), 401, "tokens without credentials");
}

async function meAndTasks(staff: Api, anonymous: Api): Promise<void> {
  const me = await staff.GET("/api/v1/me/");
  check(me.data?.username === env("CONVEYOR_USERNAME") && me.data.is_staff, "me");
  problem(await anonymous.GET("/api/v1/me/"), 401, "me without a token");
  const tasks = await staff.GET("/api/v1/tasks/");
  check(tasks.data?.some((task) => task.name === "demo.sleep"), "tasks list demo.sleep");
  const task = await staff.GET("/api/v1/tasks/{name}/", { params: { path: { name: "demo.sleep" } } });
  check(task.data?.name === "demo.sleep" && task.data.parameters.type === "object", "task demo.sleep");
  problem(await anonymous.GET("/api/v1/tasks/"), 401, "tasks without a token");
}

async function waitDone(staff: Api, id: string): Promise<Job> {
  let etag: string | undefined;
  let job: Job | undefined;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const got = await staff.GET("/api/v1/jobs/{id}/", {
      params: { path: { id }, query: { wait: 5 }, header: etag ? { "If-None-Match": etag } : {} },
    });
    if (got.response.status === 304) continue;
    status(got, 200, "job detail");
    check(got.data, "job body");
    etag = got.response.headers.get("ETag") ?? undefined;
    job = got.data;
    if (job.done) {
      const again = await staff.GET("/api/v1/jobs/{id}/", { params: { path: { id }, header: { "If-None-Match": etag! } } });
      status(again, 304, "unchanged job");
      return job;
    }
  }
  throw new Error(`mismatch: job ${id} not done: ${JSON.stringify(job)}`);
}

async function jobs(staff: Api): Promise<string> {
  const body: SubmitBody = { task: "demo.sleep", kwargs: { seconds: 0.5, steps: 2 }, labels: { team: "sdk-ts" } };
  const key = { "Idempotency-Key": "ts-1" };
  const accepted = await staff.POST("/api/v1/jobs/", { body, params: { header: key } });
  status(accepted, 202, "submit");
  check(accepted.data && accepted.response.headers.get("Location") === accepted.data.url, "submit Location");
  const replayed = await staff.POST("/api/v1/jobs/", { body, params: { header: key } });
  check(replayed.response.headers.get("Idempotent-Replayed") === "true" && replayed.data?.id === accepted.data.id, "replay");
  const other = await staff.POST("/api/v1/jobs/", { body: { ...body, labels: {} }, params: { header: key } });
  problem(other, 422, "same idempotency key, another body");

  const job = await waitDone(staff, accepted.data.id);
  check(job.state === "succeeded" && JSON.stringify(job.result) === '{"slept":0.5}', `job succeeded: ${JSON.stringify(job)}`);
  problem(await staff.POST("/api/v1/jobs/{id}/cancel/", { params: { path: { id: job.id } } }), 409, "cancel a succeeded job");
  problem(await staff.POST("/api/v1/jobs/", { body: { task: "demo.sleep", kwargs: { seconds: -1 } } }), 400, "bad kwargs");

  const long = await staff.POST("/api/v1/jobs/", { body: { task: "demo.sleep", kwargs: { seconds: 30 } } });
  check(long.data, "long job");
  const canceled = await staff.POST("/api/v1/jobs/{id}/cancel/", { params: { path: { id: long.data.id } } });
  check(canceled.data?.state === "canceled" && canceled.data.done, "canceled");
  const retried = await staff.POST("/api/v1/jobs/{id}/retry/", { params: { path: { id: long.data.id } } });
  status(retried, 202, "retry");
  check(retried.data?.retry_of === long.data.id, "retry_of");
  await staff.POST("/api/v1/jobs/{id}/cancel/", { params: { path: { id: retried.data.id } } });

  const batch = await staff.POST("/api/v1/jobs/batch/", {
    body: { jobs: [{ task: "demo.sleep", kwargs: { seconds: 0 } }, { task: "demo.sleep", kwargs: { seconds: 0 } }] },
  });
  status(batch, 202, "batch");
  check(batch.data?.jobs.length === 2, "batch of 2");
  problem(await staff.POST("/api/v1/jobs/batch/", { body: { jobs: [{ task: "demo.sleep", queue: "nope" as "default" }] } }), 400, "batch with an unknown queue");

  const listed = await staff.GET("/api/v1/jobs/", {
    params: { query: { state: ["succeeded"], task: "demo.sleep", label: ["team:sdk-ts"] } },
  });
  check(listed.data?.results.map((each) => each.id).join() === job.id, "list by state, task and label");
  const history = await staff.GET("/api/v1/jobs/{id}/history/", { params: { path: { id: job.id } } });
  check(history.data?.results.at(-1)?.action === "created", "job history");
  const logs = await staff.GET("/api/v1/jobs/{id}/logs/", { params: { path: { id: job.id } } });
  check(logs.data && Array.isArray(logs.data.lines), "job logs");
  // The stream of a done job, resumed from its last version: nothing more will come.
  const events = await staff.GET("/api/v1/jobs/{id}/events/", {
    params: { path: { id: job.id }, header: { "Last-Event-ID": job.version } },
    parseAs: "text",
  });
  status(events, 204, "events of a done job");
  problem(await staff.GET("/api/v1/jobs/{id}/", { params: { path: { id: crypto.randomUUID() } } }), 404, "unknown job");
  return job.id;
}

async function schedules(staff: Api): Promise<void> {
  const body: CronBody = { name: "ts-nightly", task: "demo.sleep", kwargs: { seconds: 0 }, kind: "cron", cron: "0 3 * * *" };
  const cron: CronBody = { ...body, timezone: "Europe/Athens" };
  const preview = await staff.POST("/api/v1/schedules/preview/", { body: cron });
  check(preview.data?.upcoming.length === 5, "preview");
  problem(await staff.POST("/api/v1/schedules/preview/", { body: { ...body, cron: "0 0 30 2 *" } }), 400, "unsatisfiable cron");

  const created = await staff.POST("/api/v1/schedules/", { body: cron, params: { header: { "Idempotency-Key": "ts-schedule" } } });
  status(created, 201, "create schedule");
  check(created.data && created.response.headers.get("Location") === created.data.url, "schedule Location");
  const schedule = created.data;
  const path = { params: { path: { id: schedule.id } } };
  problem(await staff.POST("/api/v1/schedules/", { body: cron }), 409, "the name is taken");
  check((await staff.GET("/api/v1/schedules/{id}/", path)).data?.id === schedule.id, "schedule detail");
  const listed = await staff.GET("/api/v1/schedules/", { params: { query: { kind: "cron", task: "demo.sleep" } } });
  check(listed.data?.results.some((each) => each.id === schedule.id), "schedule listed");

  const changed = await staff.PATCH("/api/v1/schedules/{id}/", { ...path, body: { description: "changed by the TS SDK" } });
  check(changed.data?.description === "changed by the TS SDK", "schedule changed");
  const paused = await staff.POST("/api/v1/schedules/{id}/pause/", path);
  check(paused.data?.state === "paused" && paused.data.upcoming.length === 0, "paused");
  const resumed = await staff.POST("/api/v1/schedules/{id}/resume/", path);
  check(resumed.data?.state === "active", "resumed");
  const triggered = await staff.POST("/api/v1/schedules/{id}/trigger/", path);
  status(triggered, 202, "trigger");
  check(triggered.data?.schedule === schedule.id, "triggered job's schedule");
  const runs = await staff.GET("/api/v1/schedules/{id}/runs/", path);
  check(runs.data?.results.map((each) => each.id).join() === triggered.data.id, "runs");

  const history = await staff.GET("/api/v1/schedules/{id}/history/", path);
  check((history.data?.results.length ?? 0) >= 2, "schedule history");
  const versions = await staff.GET("/api/v1/schedules/{id}/versions/", path);
  const first = versions.data?.results.at(-1);
  check(first && versions.data!.results.length >= 2, "versions");
  const revert = { params: { path: { id: schedule.id, version_id: first.id } } };
  const reverted = await staff.POST("/api/v1/schedules/{id}/versions/{version_id}/revert/", revert);
  check(reverted.data?.description === "", "reverted to the first version");
  problem(
    await staff.POST("/api/v1/schedules/{id}/versions/{version_id}/revert/", { params: { path: { id: schedule.id, version_id: 2 ** 30 } } }),
    404,
    "revert to an unknown version",
  );

  status(await staff.DELETE("/api/v1/schedules/{id}/", path), 204, "delete schedule");
  problem(await staff.GET("/api/v1/schedules/{id}/", path), 404, "deleted schedule");
  const deleted = await staff.GET("/api/v1/schedules/deleted/");
  const entry = deleted.data?.results.find((each) => each.schedule === schedule.id);
  check(entry && entry.deleted_by?.username === env("CONVEYOR_USERNAME"), "deleted entry");
  const restored = await staff.POST("/api/v1/schedules/deleted/{version_id}/restore/", { params: { path: { version_id: entry.id } } });
  status(restored, 201, "restore");
  check(restored.data?.id === schedule.id, "restored the same schedule");
}

async function operationsAndAudit(staff: Api, plain: Api, jobId: string): Promise<void> {
  const queues = await staff.GET("/api/v1/queues/");
  check(queues.data?.some((queue) => queue.name === "default"), "queues");
  check(Array.isArray((await staff.GET("/api/v1/queues/history/")).data), "queue history");
  check(Array.isArray((await staff.GET("/api/v1/workers/")).data), "workers");
  const metrics = await staff.GET("/metrics", { parseAs: "text" });
  check(metrics.data?.includes("conveyor_"), "metrics");
  const feed = await staff.GET("/api/v1/audit/events/", { params: { query: { model: "jobs.job", object_id: jobId } } });
  check(feed.data?.results.length, "audit feed");
  const trail = await staff.GET("/api/v1/audit/{model}/{object_id}/history/", {
    params: { path: { model: "jobs.job", object_id: jobId } },
  });
  check(trail.data?.results.length, "audit history");
  problem(await plain.GET("/api/v1/queues/"), 403, "queues as a plain user");
  problem(await plain.GET("/api/v1/queues/history/"), 403, "queue history as a plain user");
  problem(await plain.GET("/api/v1/workers/"), 403, "workers as a plain user");
  problem(await plain.GET("/metrics", { parseAs: "text" }), 403, "metrics as a plain user");
  problem(await plain.GET("/api/v1/audit/events/"), 403, "audit feed as a plain user");
  problem(await plain.GET("/api/v1/jobs/{id}/", { params: { path: { id: jobId } } }), 404, "another user's job");
}

// Never called: the generated types must refuse a body of the wrong shape, or tsc fails here.
export function refusedAtCompileTime(staff: Api): void {
  // @ts-expect-error: kwargs is an object, not a list
  void staff.POST("/api/v1/jobs/", { body: { task: "demo.sleep", kwargs: [1] } });
  // @ts-expect-error: the task names are an enum of the registered tasks
  void staff.POST("/api/v1/jobs/", { body: { task: "no.such.task" } });
  // @ts-expect-error: a schedule body is required
  void staff.POST("/api/v1/schedules/preview/", {});
}

async function main(): Promise<void> {
  const credentials = Buffer.from(`${env("CONVEYOR_USERNAME")}:${env("CONVEYOR_PASSWORD")}`).toString("base64");
  const basic = client({ Authorization: `Basic ${credentials}` });
  const anonymous = client();
  const plain = client({ Authorization: `Bearer ${env("CONVEYOR_PLAIN_TOKEN")}` });
  await auth(basic, anonymous);
  const token = await basic.POST("/api/v1/auth/tokens/", { body: { name: "ts-sdk" } });
  status(token, 201, "create a token");
  check(token.data && token.data.token.startsWith("cvy_"), "token secret");
  const staff = client({ Authorization: `Bearer ${token.data.token}` });
  await meAndTasks(staff, anonymous);
  const jobId = await jobs(staff);
  await schedules(staff);
  await operationsAndAudit(staff, plain, jobId);
}

try {
  await main();
  console.log(`scenario passed: ${exchanges.length} exchanges`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  writeFileSync(env("CONVEYOR_EXCHANGES"), JSON.stringify(exchanges));
}
