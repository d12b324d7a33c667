// Schedules: the list (next fires in each schedule's own time zone) and the deleted ones.
import { api } from "../api.js";
import { button, clear, h, problemBox, timeEl } from "../ui.js";

export function whenText(schedule) {
  if (schedule.kind === "cron") return `cron ${schedule.cron} (${schedule.timezone})`;
  if (schedule.kind === "interval") return `every ${schedule.every_seconds}s`;
  return "once";
}

export async function schedulesPage(ctx) {
  const { query, signal } = ctx;
  const message = h("div");
  const filters = h(
    "form",
    { class: "filters", "aria-label": "Filter schedules" },
    h("div", { class: "field" }, h("label", { for: "filter-state" }, "State"), h("select", { id: "filter-state", name: "state" }, ["", "active", "paused", "finished"].map((s) => h("option", { value: s, selected: query.get("state") === s }, s || "any")))),
    h("div", { class: "field" }, h("label", { for: "filter-kind" }, "Kind"), h("select", { id: "filter-kind", name: "kind" }, ["", "at", "interval", "cron"].map((s) => h("option", { value: s, selected: query.get("kind") === s }, s || "any")))),
    h("button", { type: "submit" }, "Apply"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (filters.state.value) next.set("state", filters.state.value);
    if (filters.kind.value) next.set("kind", filters.kind.value);
    ctx.navigate("/schedules", next);
  });
  const page = await api("schedules/", { query: { state: query.get("state"), kind: query.get("kind"), cursor: query.get("cursor") }, signal });
  const table = h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ["Name", "Task", "When", "State", "Next fires (schedule's zone)", "Runs", ""].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, page.results.length ? page.results.map((s) => scheduleRow(s, message)) : h("tr", {}, h("td", { colspan: "7" }, "No schedules."))),
  );
  const pager = [];
  for (const [label, link] of [["Newer", page.previous], ["Older", page.next]]) {
    const cursor = link && new URL(link, window.location.origin).searchParams.get("cursor");
    if (cursor) pager.push(h("a", { href: `#/schedules?${new URLSearchParams({ ...Object.fromEntries(query), cursor })}` }, label));
  }
  clear(
    ctx.main,
    h("div", { class: "title-row" }, h("h1", {}, "Schedules"), h("a", { class: "button primary", href: "#/schedules/new" }, "New schedule"), h("a", { class: "button", href: "#/schedules/deleted" }, "Deleted schedules")),
    filters,
    message,
    table,
    h("nav", { class: "pager", "aria-label": "Pages" }, pager),
  );
}

function scheduleRow(schedule, message) {
  const zone = schedule.kind === "cron" ? schedule.timezone : undefined;
  const toggle = schedule.state === "finished" ? null : schedule.state === "paused"
    ? button("Resume", () => act(schedule, "resume", message), { "aria-label": `Resume ${schedule.name}` })
    : button("Pause", () => act(schedule, "pause", message), { "aria-label": `Pause ${schedule.name}` });
  return h(
    "tr",
    { "data-id": schedule.id },
    h("td", {}, h("a", { href: `#/schedules/${schedule.id}` }, schedule.name)),
    h("td", {}, h("code", {}, schedule.task)),
    h("td", {}, whenText(schedule)),
    h("td", {}, h("span", { class: `state state-${schedule.state}` }, schedule.state)),
    h("td", {}, schedule.upcoming.length ? h("ul", { class: "fires" }, schedule.upcoming.slice(0, 3).map((t) => h("li", {}, timeEl(t, zone)))) : "—"),
    h("td", {}, String(schedule.run_count)),
    h("td", {}, toggle, " ", button("Run now", () => act(schedule, "trigger", message), { "aria-label": `Run ${schedule.name} now` })),
  );
}

async function act(schedule, verb, message) {
  try {
    const result = await api(`schedules/${schedule.id}/${verb}/`, { method: "POST" });
    if (verb === "trigger") window.location.hash = `#/jobs/${result.id}`;
    else window.dispatchEvent(new HashChangeEvent("hashchange"));
  } catch (error) {
    clear(message, problemBox(error));
  }
}

export async function deletedSchedulesPage(ctx) {
  const message = h("div");
  const page = await api("schedules/deleted/", { signal: ctx.signal });
  const items = page.results.map((version) =>
    h(
      "li",
      {},
      h("strong", {}, version.data.name || "(unnamed)"), " ", h("code", {}, version.data.task || ""), " — last saved ", timeEl(version.at), " by ", version.actor ? version.actor.username : "system", " ",
      button("Restore", async () => {
        try {
          const schedule = await api(`schedules/deleted/${version.id}/restore/`, { method: "POST" });
          ctx.navigate(`/schedules/${schedule.id}`);
        } catch (error) {
          clear(message, problemBox(error));
        }
      }, { "aria-label": `Restore ${version.data.name}` }),
    ),
  );
  clear(ctx.main, h("p", {}, h("a", { href: "#/schedules" }, "← Schedules")), h("h1", {}, "Deleted schedules"), message, items.length ? h("ul", { class: "plain" }, items) : h("p", {}, "No deleted schedules."));
}
