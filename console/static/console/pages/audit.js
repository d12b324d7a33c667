// Audit (staff): the feed over every audited model, with its filters and each entry's diff.
import { api } from "../api.js";
import { clear, h, historyList } from "../ui.js";

const MODELS = ["", "jobs.job", "jobs.schedule", "auth.user", "accounts.apitoken", "accounts.signinlockout"];

export async function auditPage(ctx) {
  const { query, signal } = ctx;
  const value = (k) => query.get(k) || "";
  const filters = h(
    "form",
    { class: "filters", "aria-label": "Filter the audit feed" },
    h("div", { class: "field" }, h("label", { for: "a-model" }, "Model"), h("input", { id: "a-model", name: "model", list: "a-models", value: value("model") }), h("datalist", { id: "a-models" }, MODELS.map((m) => h("option", { value: m })))),
    h("div", { class: "field" }, h("label", { for: "a-action" }, "Action"), h("select", { id: "a-action", name: "action" }, ["", "created", "changed", "deleted"].map((a) => h("option", { value: a, selected: value("action") === a }, a || "any")))),
    h("div", { class: "field" }, h("label", { for: "a-object" }, "Object id"), h("input", { id: "a-object", name: "object_id", value: value("object_id") })),
    h("div", { class: "field" }, h("label", { for: "a-actor" }, "Actor (user id)"), h("input", { id: "a-actor", name: "actor", inputmode: "numeric", value: value("actor") })),
    h("div", { class: "field" }, h("label", { for: "a-job" }, "Job id"), h("input", { id: "a-job", name: "job", value: value("job") })),
    h("div", { class: "field" }, h("label", { for: "a-since" }, "Since"), h("input", { id: "a-since", name: "since", type: "datetime-local", value: value("since_local") })),
    h("button", { type: "submit" }, "Apply"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of ["model", "action", "object_id", "actor", "job"]) if (filters[key].value) next.set(key, filters[key].value);
    if (filters.since.value) {
      next.set("since", new Date(filters.since.value).toISOString());
      next.set("since_local", filters.since.value);
    }
    ctx.navigate("/audit", next);
  });
  const params = Object.fromEntries(["model", "action", "object_id", "actor", "job", "since", "cursor"].map((k) => [k, query.get(k)]));
  let body;
  try {
    const page = await api("audit/events/", { query: params, signal });
    const entries = page.results.map((entry) => ({ ...entry, reason: `${entry.model} ${entry.object_repr}${entry.reason ? ` — ${entry.reason}` : ""}` }));
    const cursor = page.next && new URL(page.next, window.location.origin).searchParams.get("cursor");
    const older = new URLSearchParams(query);
    if (cursor) older.set("cursor", cursor);
    body = [historyList(entries), cursor ? h("nav", { class: "pager", "aria-label": "Pages" }, h("a", { href: `#/audit?${older}` }, "Older")) : null];
  } catch (error) {
    body = h("p", { role: "alert" }, error.message);
  }
  clear(ctx.main, h("h1", {}, "Audit"), filters, h("section", { "aria-label": "Entries" }, body));
}
