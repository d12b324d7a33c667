// Small DOM helpers: element building (no innerHTML, no inline styles), formatting, problems.

export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith("svg:");
  const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.setAttribute("class", value);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "value" && !svg) node.value = value;
    else if (key === "checked" || key === "selected") node[key] = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function announce(message) {
  const status = document.getElementById("status");
  status.textContent = "";
  window.setTimeout(() => {
    status.textContent = message;
  }, 30);
}

const formats = new Map();
/** A timestamp in `timeZone` (default: the browser's), with the zone's short name. */
export function fmtTime(iso, timeZone) {
  if (!iso) return "—";
  const key = timeZone || "";
  if (!formats.has(key)) {
    formats.set(key, new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit", timeZone: timeZone || undefined, timeZoneName: "short" }));
  }
  return formats.get(key).format(new Date(iso));
}

export function age(iso) {
  if (!iso) return "—";
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function timeEl(iso, timeZone) {
  return h("time", { datetime: iso || "", title: iso || "" }, fmtTime(iso, timeZone));
}

export function json(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

/** A problem document as an alert: title, detail, Retry-After, and field errors not shown elsewhere. */
export function problemBox(error, shownPointers = new Set()) {
  const problem = error.problem || {};
  const rest = (problem.errors || []).filter((e) => !shownPointers.has(e.pointer));
  const wait = error.retryAfter ? ` Try again in ${Math.ceil(error.retryAfter / 60)} minute(s).` : "";
  return h(
    "div",
    { class: "problem", role: "alert" },
    h("strong", {}, `${problem.title || "Error"} (${error.status || "network"})`),
    h("p", {}, `${problem.detail || error.message}.${wait}`.replace("..", ".")),
    rest.length ? h("ul", {}, rest.map((e) => h("li", {}, h("code", {}, e.pointer || "(body)"), " ", e.detail))) : null,
  );
}

/** Show each field error next to the field whose data-pointer matches; return the pointers shown. */
export function showFieldErrors(form, error) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const shown = new Set();
  for (const fieldError of error ? error.fieldErrors : []) {
    const input = form.querySelector(`[data-pointer="${CSS.escape(fieldError.pointer)}"]`);
    if (!input) continue;
    const id = `${input.id}-error`;
    input.setAttribute("aria-invalid", "true");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((d) => d && !d.endsWith("-error"));
    input.setAttribute("aria-describedby", [id, ...described].join(" "));
    (input.closest(".field") || input.closest("fieldset") || input.parentElement).append(h("p", { class: "field-error", id }, fieldError.detail));
    shown.add(fieldError.pointer);
  }
  return shown;
}

export function stateBadge(state) {
  return h("span", { class: `state state-${state}` }, state);
}

export function progressBar(job) {
  const percent = job.progress && job.progress.percent !== null ? Math.round(job.progress.percent) : job.state === "succeeded" ? 100 : 0;
  const label = job.progress && job.progress.message ? job.progress.message : `${percent}%`;
  return h(
    "span",
    { class: "progress" },
    h("progress", { max: "100", value: String(percent), "aria-label": `Progress of ${job.task}` }, `${percent}%`),
    h("span", { class: "progress-text" }, `${percent}%`),
    job.progress && job.progress.message ? h("span", { class: "visually-hidden" }, label) : null,
  );
}

export function button(text, onclick, attrs = {}) {
  return h("button", { type: "button", onclick, ...attrs }, text);
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fn(...args), ms);
  };
}

/** The audit entries of an object, each with its field diff. */
export function historyList(entries, timeZone) {
  if (!entries.length) return h("p", {}, "No history.");
  return h(
    "ol",
    { class: "history" },
    entries.map((entry) =>
      h(
        "li",
        {},
        h("p", {}, h("strong", {}, entry.action), " ", timeEl(entry.at, timeZone), " by ", entry.actor ? entry.actor.username : "system", " via ", entry.via.channel, entry.reason ? ` — ${entry.reason}` : ""),
        entry.changes.length
          ? h(
              "table",
              { class: "diff" },
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Old"), h("th", { scope: "col" }, "New"))),
              h("tbody", {}, entry.changes.map((c) => h("tr", {}, h("th", { scope: "row" }, c.field), h("td", { class: "old" }, show(c.old)), h("td", { class: "new" }, show(c.new))))),
            )
          : null,
      ),
    ),
  );
}

function show(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A random idempotency key (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
