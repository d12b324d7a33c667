// Submit: a form generated from each task's JSON Schema (GET /api/v1/tasks/ → parameters); the
// server's field errors (problem+json errors[].pointer, e.g. /kwargs/seconds) show by the fields.
import { api } from "../api.js";
import { clear, h, newKey, problemBox, showFieldErrors } from "../ui.js";

/** One input per schema property; `read()` turns its text into the JSON value to send. */
function fieldFor(name, schema, required) {
  const id = `kw-${name}`;
  const pointer = `/kwargs/${name}`;
  const hint = [schema.description, schema.minimum !== undefined ? `min ${schema.minimum}` : null, schema.maximum !== undefined ? `max ${schema.maximum}` : null, schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : null].filter(Boolean).join(" · ");
  const hintId = `${id}-hint`;
  const common = { id, name, "data-pointer": pointer, "aria-describedby": hint ? hintId : null, required };
  let input;
  let read;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (schema.enum) {
    input = h("select", common, required ? null : h("option", { value: "" }, "(not set)"), schema.enum.map((v) => h("option", { value: JSON.stringify(v) }, String(v))));
    read = () => (input.value === "" ? undefined : JSON.parse(input.value));
  } else if (type === "boolean") {
    input = h("input", { ...common, type: "checkbox", checked: schema.default === true, required: null });
    read = () => input.checked;
  } else if (type === "integer" || type === "number") {
    input = h("input", { ...common, type: "text", inputmode: type === "integer" ? "numeric" : "decimal", value: schema.default !== undefined ? String(schema.default) : "" });
    // Sent as a number when it reads as one, else as typed: the server's schema check says what is wrong.
    read = () => (input.value.trim() === "" ? undefined : Number.isNaN(Number(input.value)) ? input.value : Number(input.value));
  } else if (type === "array" || type === "object" || !type) {
    input = h("textarea", { ...common, rows: "3", class: "code", value: schema.default !== undefined ? JSON.stringify(schema.default) : "" });
    read = () => {
      if (input.value.trim() === "") return undefined;
      try {
        return JSON.parse(input.value);
      } catch {
        return input.value;
      }
    };
  } else {
    input = h("input", { ...common, type: schema.format === "email" ? "email" : "text", value: schema.default !== undefined ? String(schema.default) : "" });
    read = () => (input.value === "" && !required ? undefined : input.value);
  }
  const label = h("label", { for: id }, name, required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null, type ? h("span", { class: "muted" }, ` (${schema.enum ? "one of" : type})`) : null);
  const node = h("div", { class: type === "boolean" ? "field check" : "field" }, label, input, hint ? h("p", { class: "hint", id: hintId }, hint) : null);
  return { node, read, name };
}

export async function submitPage(ctx) {
  const tasks = await api("tasks/", { signal: ctx.signal });
  const message = h("div");
  const taskSelect = h("select", { id: "task", name: "task", "data-pointer": "/task" }, tasks.map((t) => h("option", { value: t.name, selected: ctx.query.get("task") === t.name }, t.name)));
  const description = h("p", { class: "muted", id: "task-description" });
  const params = h("fieldset", { class: "params" });
  const queues = [...new Set(tasks.map((t) => t.queue).concat(["high", "default", "low"]))];
  const queue = h("select", { id: "queue", name: "queue", "data-pointer": "/queue" }, h("option", { value: "" }, "(the task's own)"), queues.map((q) => h("option", { value: q }, q)));
  const delay = h("input", { id: "delay", name: "delay_seconds", type: "text", inputmode: "numeric", "data-pointer": "/delay_seconds" });
  const labels = h("textarea", { id: "labels", name: "labels", rows: "2", class: "code", "data-pointer": "/labels", placeholder: '{"team": "ops"}' });
  const form = h(
    "form",
    { class: "card", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "task" }, "Task"), taskSelect, description),
    params,
    h("details", {}, h("summary", {}, "Options"),
      h("div", { class: "field" }, h("label", { for: "queue" }, "Queue"), queue),
      h("div", { class: "field" }, h("label", { for: "delay" }, "Delay (seconds)"), delay),
      h("div", { class: "field" }, h("label", { for: "labels" }, "Labels (JSON object of strings)"), labels)),
    message,
    h("button", { type: "submit", class: "primary" }, "Submit"),
  );
  let fields = [];

  function drawParams() {
    const task = tasks.find((t) => t.name === taskSelect.value);
    if (!task) return;
    description.textContent = task.description || "";
    const schema = task.parameters || {};
    const required = new Set(schema.required || []);
    fields = Object.entries(schema.properties || {}).map(([name, property]) => fieldFor(name, property, required.has(name)));
    clear(params, h("legend", {}, `Arguments of ${task.name}`), fields.length ? fields.map((f) => f.node) : h("p", {}, "This task takes no arguments."));
    clear(message);
  }
  taskSelect.addEventListener("change", drawParams);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { task: taskSelect.value, kwargs: {} };
    for (const field of fields) {
      const value = field.read();
      if (value !== undefined) body.kwargs[field.name] = value;
    }
    if (queue.value) body.queue = queue.value;
    if (delay.value.trim()) body.delay_seconds = Number.isNaN(Number(delay.value)) ? delay.value : Number(delay.value);
    if (labels.value.trim()) {
      try {
        body.labels = JSON.parse(labels.value);
      } catch {
        body.labels = labels.value;
      }
    }
    try {
      const job = await api("jobs/", { method: "POST", body, headers: { "Idempotency-Key": newKey() } });
      ctx.navigate(`/jobs/${job.id}`);
    } catch (error) {
      const shown = showFieldErrors(form, error);
      clear(message, problemBox(error, shown));
      const first = form.querySelector("[aria-invalid=true]");
      if (first) {
        const details = first.closest("details");
        if (details) details.open = true;
        first.focus();
      }
    }
  });
  clear(ctx.main, h("h1", {}, "Submit a job"), form);
  drawParams();
}
