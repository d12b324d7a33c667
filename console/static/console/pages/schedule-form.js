// Create or edit a schedule (at, interval, cron + IANA zone), previewing the next fires as you
// type (POST /api/v1/schedules/preview/, debounced) in the schedule's own zone.
import { api } from "../api.js";
import { clear, debounce, h, newKey, problemBox, showFieldErrors, timeEl } from "../ui.js";

const ZONES = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["UTC"];

function localInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function field(id, label, input, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

export async function scheduleFormPage(ctx) {
  const [id] = ctx.params;
  const { signal } = ctx;
  const [tasks, existing] = await Promise.all([api("tasks/", { signal }), id ? api(`schedules/${id}/`, { signal }) : null]);
  const s = existing || { name: "", description: "", task: tasks[0] ? tasks[0].name : "", kwargs: {}, kind: "cron", cron: "0 3 * * *", timezone: "UTC", every_seconds: 3600, misfire_policy: "run_once", overlap_policy: "allow" };

  const input = (name, attrs = {}) => h("input", { id: `s-${name}`, name, "data-pointer": `/${name}`, ...attrs });
  const name = input("name", { value: s.name, required: true, autocomplete: "off" });
  const description = input("description", { value: s.description });
  const task = h("select", { id: "s-task", name: "task", "data-pointer": "/task" }, tasks.map((t) => h("option", { value: t.name, selected: t.name === s.task }, t.name)));
  const kwargs = h("textarea", { id: "s-kwargs", name: "kwargs", rows: "3", class: "code", "data-pointer": "/kwargs", value: JSON.stringify(s.kwargs || {}) });
  const kinds = h("fieldset", { class: "kinds" }, h("legend", {}, "Kind"),
    ["at", "interval", "cron"].map((k) => h("label", { class: "check" }, h("input", { type: "radio", name: "kind", value: k, checked: s.kind === k, "data-pointer": "/kind", id: `s-kind-${k}` }), k)));
  const runAt = input("run_at", { type: "datetime-local", value: localInput(s.run_at) });
  const every = input("every_seconds", { type: "text", inputmode: "numeric", value: s.every_seconds ?? "" });
  const startAt = input("start_at", { type: "datetime-local", value: localInput(s.start_at) });
  const cron = input("cron", { value: s.cron || "", autocomplete: "off", spellcheck: "false", "aria-describedby": "s-cron-hint" });
  const zone = input("timezone", { value: s.timezone || "UTC", list: "zones", autocomplete: "off", "aria-describedby": "s-timezone-hint" });
  const zones = h("datalist", { id: "zones" }, ZONES.map((z) => h("option", { value: z })));
  const misfire = h("select", { id: "s-misfire", name: "misfire_policy", "data-pointer": "/misfire_policy" }, ["run_once", "skip"].map((v) => h("option", { value: v, selected: s.misfire_policy === v }, v)));
  const overlap = h("select", { id: "s-overlap", name: "overlap_policy", "data-pointer": "/overlap_policy" }, ["allow", "skip"].map((v) => h("option", { value: v, selected: s.overlap_policy === v }, v)));

  const kindPanels = {
    at: h("div", { class: "kind-panel" }, field("s-run_at", "Run at (your local time)", runAt)),
    interval: h("div", { class: "kind-panel" }, field("s-every_seconds", "Every (seconds)", every), field("s-start_at", "First run (your local time, optional)", startAt)),
    cron: h("div", { class: "kind-panel" }, field("s-cron", "Cron (minute hour day-of-month month day-of-week)", cron, "e.g. 30 3 * * 1-5"), field("s-timezone", "Time zone (IANA)", zone, "e.g. Europe/Athens; the cron line is evaluated in it, DST included"), zones),
  };
  const preview = h("section", { class: "preview", "aria-labelledby": "preview-title", "aria-live": "polite" });
  const message = h("div");
  const form = h(
    "form",
    { class: "card", novalidate: true },
    field("s-name", "Name", name),
    field("s-description", "Description", description),
    field("s-task", "Task", task),
    field("s-kwargs", "Arguments (JSON object)", kwargs),
    kinds,
    Object.values(kindPanels),
    h("div", { class: "row" }, field("s-misfire", "After downtime", misfire), field("s-overlap", "While the last run is unfinished", overlap)),
    preview,
    message,
    h("button", { type: "submit", class: "primary" }, existing ? "Save changes" : "Create schedule"),
  );

  const kind = () => form.querySelector("input[name=kind]:checked").value;
  function showKind() {
    for (const [k, panel] of Object.entries(kindPanels)) panel.hidden = k !== kind();
  }

  function body() {
    let parsed;
    try {
      parsed = JSON.parse(kwargs.value || "{}");
    } catch {
      parsed = kwargs.value;
    }
    const out = { name: name.value, description: description.value, task: task.value, kwargs: parsed, kind: kind(), misfire_policy: misfire.value, overlap_policy: overlap.value };
    const number = (v) => (v.trim() === "" ? undefined : Number.isNaN(Number(v)) ? v : Number(v));
    const instant = (v) => (v ? new Date(v).toISOString() : undefined);
    if (out.kind === "at") out.run_at = instant(runAt.value);
    if (out.kind === "interval") Object.assign(out, { every_seconds: number(every.value), start_at: instant(startAt.value) });
    if (out.kind === "cron") Object.assign(out, { cron: cron.value, timezone: zone.value || "UTC" });
    for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
    return out;
  }

  // An edit sends only what changed, so the history and its reason name just those fields.
  function changes(all) {
    return Object.fromEntries(Object.entries(all).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(existing[key])));
  }

  let previewController = null;
  const refreshPreview = debounce(async () => {
    if (previewController) previewController.abort();
    previewController = new AbortController();
    const sent = body();
    const title = h("h2", { id: "preview-title" }, "Next fires");
    try {
      const result = await api("schedules/preview/", { method: "POST", body: { ...sent, name: sent.name || "preview" }, signal: previewController.signal });
      const inZone = sent.kind === "cron" ? sent.timezone : undefined;
      clear(preview, title, result.upcoming.length
        ? h("ol", { class: "fires", id: "preview-list" }, result.upcoming.map((t) => h("li", {}, timeEl(t, inZone))))
        : h("p", {}, "It would never fire."));
    } catch (error) {
      if (error.name === "AbortError") return;
      clear(preview, title, h("ul", { class: "preview-errors" }, (error.fieldErrors.length ? error.fieldErrors : [{ pointer: "", detail: error.message }]).map((e) => h("li", {}, e.pointer ? [h("code", {}, e.pointer), " "] : null, e.detail))));
    }
  }, 300);

  form.addEventListener("input", refreshPreview);
  form.addEventListener("change", (event) => {
    if (event.target.name === "kind") showKind();
    refreshPreview();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const saved = existing
        ? await api(`schedules/${id}/`, { method: "PATCH", body: changes(body()) })
        : await api("schedules/", { method: "POST", body: body(), headers: { "Idempotency-Key": newKey() } });
      ctx.navigate(`/schedules/${saved.id}`);
    } catch (error) {
      const shown = showFieldErrors(form, error);
      clear(message, problemBox(error, shown));
      const first = form.querySelector("[aria-invalid=true]");
      if (first) first.focus();
    }
  });

  clear(ctx.main, h("p", {}, h("a", { href: existing ? `#/schedules/${id}` : "#/schedules" }, "← Back")), h("h1", {}, existing ? `Edit schedule ${s.name}` : "New schedule"), form);
  showKind();
  refreshPreview();
}
