// Jobs: the live list with filters and cursor pages; visible unfinished jobs are long-polled.
import { api } from "../api.js";
import { watchJob, sleep } from "../live.js";
import { age, announce, button, clear, h, problemBox, progressBar, stateBadge } from "../ui.js";

const STATES = ["scheduled", "deferred", "queued", "running", "succeeded", "failed", "canceled"];
const MAX_WATCHED = 4; // a browser opens ~6 connections per host; leave room for the rest
const REFRESH_MS = 5000;

function cursorOf(link) {
  return link ? new URL(link, window.location.origin).searchParams.get("cursor") : null;
}

export async function jobsPage(ctx) {
  const { query, signal } = ctx;
  const tasks = await api("tasks/", { signal }).catch(() => []);
  const queues = [...new Set(tasks.map((t) => t.queue))];
  const chosen = new Set(query.getAll("state"));

  const filters = h(
    "form",
    { class: "filters", "aria-label": "Filter jobs" },
    h("fieldset", {}, h("legend", {}, "State"), STATES.map((s) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "state", value: s, checked: chosen.has(s) }), s))),
    h("div", { class: "field" }, h("label", { for: "filter-task" }, "Task"), h("select", { id: "filter-task", name: "task" }, h("option", { value: "" }, "any"), tasks.map((t) => h("option", { value: t.name, selected: query.get("task") === t.name }, t.name)))),
    h("div", { class: "field" }, h("label", { for: "filter-queue" }, "Queue"), h("select", { id: "filter-queue", name: "queue" }, h("option", { value: "" }, "any"), queues.map((q) => h("option", { value: q, selected: query.get("queue") === q }, q)))),
    h("button", { type: "submit" }, "Apply"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const box of filters.querySelectorAll("input[name=state]:checked")) next.append("state", box.value);
    if (filters.task.value) next.set("task", filters.task.value);
    if (filters.queue.value) next.set("queue", filters.queue.value);
    ctx.navigate("/jobs", next);
  });

  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "jobs" },
    h("caption", { class: "visually-hidden" }, "Jobs, newest first; states and progress update live"),
    h("thead", {}, h("tr", {}, ["State", "Task", "Queue", "Labels", "Submitter", "Age", "Progress", ""].map((c) => h("th", { scope: "col" }, c)))),
    tbody,
  );
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const message = h("div");
  clear(ctx.main, h("div", { class: "title-row" }, h("h1", {}, "Jobs"), h("a", { class: "button primary", href: "#/submit" }, "Submit a job")), filters, message, table, pager);

  const watched = new Set();
  const rows = new Map();

  function row(job) {
    const cancel = job.done ? null : button("Cancel", () => cancelJob(job), { "aria-label": `Cancel ${job.task} ${job.id.slice(0, 8)}` });
    const labels = Object.entries(job.labels || {}).map(([k, v]) => h("span", { class: "label" }, `${k}=${v}`));
    return h(
      "tr",
      { "data-id": job.id, "data-state": job.state },
      h("td", { class: "state-cell", "aria-live": "polite" }, stateBadge(job.state)),
      h("td", {}, h("a", { href: `#/jobs/${job.id}` }, job.task), h("span", { class: "muted id" }, ` ${job.id.slice(0, 8)}`)),
      h("td", {}, job.queue),
      h("td", {}, labels),
      h("td", {}, job.submitted_by ? job.submitted_by.username : "—"),
      h("td", {}, h("time", { datetime: job.created_at, title: job.created_at }, age(job.created_at))),
      h("td", {}, progressBar(job)),
      h("td", {}, cancel),
    );
  }

  function update(job) {
    const old = rows.get(job.id);
    if (!old) return;
    const fresh = row(job);
    const hadFocus = old.contains(document.activeElement);
    old.replaceWith(fresh);
    rows.set(job.id, fresh);
    if (old.dataset.state !== job.state) announce(`${job.task} ${job.id.slice(0, 8)} is ${job.state}`);
    if (hadFocus) fresh.querySelector("a").focus();
  }

  async function cancelJob(job) {
    try {
      update(await api(`jobs/${job.id}/cancel/`, { method: "POST" }));
    } catch (error) {
      clear(message, problemBox(error));
    }
  }

  function watch(jobs) {
    for (const job of jobs) {
      if (job.done || watched.has(job.id) || watched.size >= MAX_WATCHED) continue;
      if (!["running", "queued"].includes(job.state)) continue;
      watched.add(job.id);
      watchJob(job.id, update, signal).finally(() => watched.delete(job.id));
    }
  }

  const listQuery = { state: query.getAll("state"), task: query.get("task"), queue: query.get("queue"), cursor: query.get("cursor"), page_size: 25 };
  async function load() {
    const page = await api("jobs/", { query: listQuery, signal });
    // Keep the keyboard where it was across a refresh: the same control of the same job.
    const focusedRow = document.activeElement && document.activeElement.closest("tr[data-id]");
    const focusedId = focusedRow && tbody.contains(focusedRow) ? focusedRow.dataset.id : null;
    const focusedTag = focusedId ? document.activeElement.tagName : null;
    rows.clear();
    clear(tbody, page.results.map((job) => {
      const tr = row(job);
      rows.set(job.id, tr);
      return tr;
    }));
    if (!page.results.length) tbody.append(h("tr", {}, h("td", { colspan: "8" }, "No jobs match.")));
    const links = [];
    for (const [label, link] of [["Newer", page.previous], ["Older", page.next]]) {
      const cursor = cursorOf(link);
      if (!cursor) continue;
      const next = new URLSearchParams(query);
      next.set("cursor", cursor);
      links.push(h("a", { href: `#/jobs?${next}`, rel: label === "Older" ? "next" : "prev" }, label));
    }
    clear(pager, links);
    if (focusedId && rows.has(focusedId)) {
      const target = rows.get(focusedId).querySelector(focusedTag === "BUTTON" ? "button" : "a") || rows.get(focusedId).querySelector("a");
      target.focus();
    }
    watch(page.results);
    return page.results;
  }

  await load();
  // New jobs appear, and unwatched ones move, with a light refresh while the page is open.
  (async () => {
    while (!signal.aborted) {
      await sleep(REFRESH_MS, signal);
      if (signal.aborted || ctx.main.contains(document.activeElement) && document.activeElement.tagName === "SELECT") continue;
      try {
        await load();
      } catch (error) {
        if (error.name !== "AbortError") clear(message, problemBox(error));
      }
    }
  })();
}
