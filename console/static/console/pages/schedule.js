// One schedule: its fields and next fires (in its zone), actions, runs, history, versions.
import { api } from "../api.js";
import { button, clear, h, historyList, json, problemBox, stateBadge, timeEl } from "../ui.js";
import { whenText } from "./schedules.js";

export async function schedulePage(ctx) {
  const [id] = ctx.params;
  const { signal } = ctx;
  const message = h("div");
  const schedule = await api(`schedules/${id}/`, { signal });
  const zone = schedule.kind === "cron" ? schedule.timezone : undefined;
  const [runs, history, versions] = await Promise.all([
    api(`schedules/${id}/runs/`, { signal }),
    api(`schedules/${id}/history/`, { signal }),
    api(`schedules/${id}/versions/`, { signal }).catch(() => ({ results: [] })),
  ]);

  async function act(verb, method = "POST") {
    try {
      const result = await api(verb ? `schedules/${id}/${verb}/` : `schedules/${id}/`, { method });
      if (verb === "trigger") ctx.navigate(`/jobs/${result.id}`);
      else if (method === "DELETE") ctx.navigate("/schedules");
      else window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) {
      clear(message, problemBox(error));
    }
  }

  const fields = [
    ["Task", h("code", {}, schedule.task)],
    ["When", whenText(schedule)],
    ["State", stateBadge(schedule.state)],
    ["Next fires", schedule.upcoming.length ? h("ol", { class: "fires" }, schedule.upcoming.map((t) => h("li", {}, timeEl(t, zone)))) : "—"],
    ["Last run", timeEl(schedule.last_run_at, zone)],
    ["Runs", String(schedule.run_count)],
    ["Owner", schedule.owner ? schedule.owner.username : "—"],
    ["Misfire / overlap", `${schedule.misfire_policy} / ${schedule.overlap_policy}`],
    ["Arguments", json({ args: schedule.args, kwargs: schedule.kwargs })],
  ];
  const versionItems = versions.results.map((version, index) =>
    h("li", {}, `Version ${version.id} — `, timeEl(version.at, zone), ` by ${version.actor ? version.actor.username : "system"}: ${version.comment || ""} `,
      index === 0 ? h("span", { class: "muted" }, "(current)") : button("Revert", () => revert(version.id), { "aria-label": `Revert to version ${version.id}` })),
  );
  async function revert(versionId) {
    try {
      await api(`schedules/${id}/versions/${versionId}/revert/`, { method: "POST" });
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) {
      clear(message, problemBox(error));
    }
  }
  clear(
    ctx.main,
    h("p", {}, h("a", { href: "#/schedules" }, "← Schedules")),
    h("h1", {}, `Schedule ${schedule.name}`),
    schedule.description ? h("p", {}, schedule.description) : null,
    message,
    h("div", { class: "card" },
      h("dl", { class: "fields" }, fields.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      h("div", { class: "actions" },
        h("a", { class: "button", href: `#/schedules/${id}/edit` }, "Edit"),
        schedule.state === "paused" ? button("Resume", () => act("resume")) : schedule.state === "active" ? button("Pause", () => act("pause")) : null,
        button("Run now", () => act("trigger")),
        button("Delete", () => window.confirm(`Delete schedule ${schedule.name}? It can be restored.`) && act(null, "DELETE"), { class: "danger" }))),
    h("section", { "aria-labelledby": "runs-title" }, h("h2", { id: "runs-title" }, "Runs"),
      runs.results.length
        ? h("table", {}, h("thead", {}, h("tr", {}, ["Job", "State", "Created"].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", {}, runs.results.map((job) => h("tr", {}, h("td", {}, h("a", { href: `#/jobs/${job.id}` }, job.id.slice(0, 8))), h("td", {}, stateBadge(job.state)), h("td", {}, timeEl(job.created_at, zone))))))
        : h("p", {}, "No runs yet.")),
    h("section", { "aria-labelledby": "history-title" }, h("h2", { id: "history-title" }, "History"), historyList(history.results, zone)),
    h("section", { "aria-labelledby": "versions-title" }, h("h2", { id: "versions-title" }, "Versions"), versionItems.length ? h("ol", { class: "plain" }, versionItems) : h("p", {}, "No versions (staff and owners see them).")),
  );
}
