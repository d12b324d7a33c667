// Live job updates behind one seam, watchJob(id, onJob, signal), with two transports:
// long-poll (GET /jobs/{id}/?wait=25 with If-None-Match; the default, works everywhere) and
// Server-Sent Events (GET /jobs/{id}/events/ with the session cookie; opt in with
// localStorage.conveyorLive = "sse"). Both stop when the job is done or the page is left.
import { api } from "./api.js";

const WAIT_SECONDS = 25;

export function watchJob(id, onJob, signal) {
  if (window.localStorage.getItem("conveyorLive") === "sse" && "EventSource" in window) {
    return watchWithEvents(id, onJob, signal);
  }
  return watchWithLongPoll(id, onJob, signal);
}

async function watchWithLongPoll(id, onJob, signal) {
  let etag = null;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const headers = etag ? { "If-None-Match": etag } : {};
      const response = await api(`jobs/${id}/`, { query: { wait: WAIT_SECONDS }, headers, signal, raw: true });
      failures = 0;
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        onJob(response.body);
        if (response.body.done) return;
      }
    } catch (error) {
      if (signal.aborted || error.name === "AbortError" || error.status === 404 || error.status === 401) return;
      failures += 1;
      await sleep(Math.min(30, 2 ** failures) * 1000, signal);
    }
  }
}

function watchWithEvents(id, onJob, signal) {
  const source = new EventSource(`/api/v1/jobs/${id}/events/`, { withCredentials: true });
  let last = null;
  source.addEventListener("state", (event) => {
    last = JSON.parse(event.data);
    onJob(last);
    if (last.done) source.close();
  });
  source.addEventListener("progress", (event) => {
    if (last) {
      last = { ...last, progress: JSON.parse(event.data) };
      onJob(last);
    }
  });
  signal.addEventListener("abort", () => source.close());
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = window.setTimeout(resolve, ms);
    if (signal) signal.addEventListener("abort", () => { window.clearTimeout(timer); resolve(); }, { once: true });
  });
}
