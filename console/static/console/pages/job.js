// One job: its fields, progress (live), result or error, log lines, audit history; cancel, retry.
import { api } from "../api.js";
import { watchJob } from "../live.js";
import { announce, button, clear, h, historyList, json, problemBox, progressBar, stateBadge, timeEl } from "../ui.js";

export async function jobPage(ctx) {
  const [id] = ctx.params;
  const { signal } = ctx;
  const message = h("div");
  const summary = h("div", { class: "card" });
  const logs = h("section", { "aria-labelledby": "logs-title" });
  const history = h("section", { "aria-labelledby": "history-title" });
  clear(ctx.main, h("p", {}, h("a", { href: "#/jobs" }, "← Jobs")), h("h1", {}, `Job ${id.slice(0, 8)}`), message, summary, logs, history);

  let lastState = null;
  function link(jobId) {
    return jobId ? h("a", { href: `#/jobs/${jobId}` }, jobId.slice(0, 8)) : "—";
  }

  function draw(job) {
    const focused = summary.contains(document.activeElement) ? document.activeElement.textContent : null;
    const actions = h(
      "div",
      { class: "actions" },
      job.done ? null : button("Cancel", () => act("cancel")),
      ["failed", "canceled"].includes(job.state) ? button("Retry", () => act("retry")) : null,
    );
    const rows = [
      ["Task", h("code", {}, job.task)],
      ["State", h("span", { "aria-live": "polite", id: "job-state" }, stateBadge(job.state))],
      ["Progress", progressBar(job)],
      ["Queue", job.queue],
      ["Attempt", `${job.attempt} of ${job.max_retries + 1}`],
      ["Submitted by", job.submitted_by ? job.submitted_by.username : "—"],
      ["Created", timeEl(job.created_at)],
      ["Started", timeEl(job.started_at)],
      ["Ended", timeEl(job.ended_at)],
      ["Retry of", link(job.retry_of)],
      ["Depends on", job.depends_on && job.depends_on.length ? job.depends_on.map((d) => [link(typeof d === "string" ? d : d.id), " "]) : "—"],
      ["Schedule", job.schedule ? h("a", { href: `#/schedules/${job.schedule}` }, job.schedule.slice(0, 8)) : "—"],
      ["Labels", Object.keys(job.labels || {}).length ? json(job.labels) : "—"],
    ];
    clear(
      summary,
      h("dl", { class: "fields" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      actions,
      h("h2", {}, "Arguments"),
      json({ args: job.args, kwargs: job.kwargs }),
      job.result !== null ? [h("h2", {}, "Result"), json(job.result)] : null,
      job.error ? [h("h2", {}, "Error"), h("p", { class: "error" }, h("strong", {}, job.error.type), ": ", job.error.message), job.error.traceback ? h("details", {}, h("summary", {}, "Traceback"), h("pre", { class: "traceback" }, job.error.traceback)) : null] : null,
    );
    if (focused) {
      const again = [...summary.querySelectorAll("button, summary")].find((el) => el.textContent === focused);
      (again || ctx.main.querySelector("h1")).focus();
    }
    if (lastState && lastState !== job.state) announce(`Job is ${job.state}`);
    if (lastState !== job.state && job.done) loadSide(); // the final log lines and history entries
    lastState = job.state;
  }

  async function act(verb) {
    try {
      const job = await api(`jobs/${id}/${verb}/`, { method: "POST" });
      if (verb === "retry") {
        ctx.navigate(`/jobs/${job.id}`);
        return;
      }
      draw(job);
    } catch (error) {
      clear(message, problemBox(error));
    }
  }

  async function loadSide() {
    const [logData, entries] = await Promise.all([
      api(`jobs/${id}/logs/`, { signal }).catch((error) => ({ lines: [], error })),
      api(`jobs/${id}/history/`, { signal }).catch(() => ({ results: [] })),
    ]);
    clear(
      logs,
      h("h2", { id: "logs-title" }, "Log lines"),
      logData.lines.length
        ? h("pre", { class: "logs" }, logData.lines.map((l) => `${l.at} ${l.level.padEnd(7)} ${l.message}\n`))
        : h("p", {}, "No log lines."),
      logData.truncated ? h("p", { class: "muted" }, "Older lines were dropped (size cap).") : null,
    );
    clear(history, h("h2", { id: "history-title" }, "History"), historyList(entries.results));
  }

  const job = await api(`jobs/${id}/`, { signal });
  draw(job);
  await loadSide();
  if (!job.done) watchJob(id, draw, signal);
}
