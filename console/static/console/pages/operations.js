// Operations (staff): queues, workers, and a chart of queue depth and jobs finished per minute
// over the last hour, drawn as inline SVG from GET /api/v1/queues/history/. Refreshes every 30 s.
import { api } from "../api.js";
import { sleep } from "../live.js";
import { clear, h, timeEl } from "../ui.js";

const W = 720;
const H = 220;
const PAD = { left: 40, right: 12, top: 14, bottom: 28 };

function chart(history) {
  const points = history[0] ? history[0].points : [];
  const n = points.length || 1;
  const depthMax = Math.max(1, ...history.flatMap((q) => q.points.map((p) => p.depth)));
  const finished = points.map((_, i) => history.reduce((sum, q) => sum + q.points[i].finished, 0));
  const finishedMax = Math.max(1, ...finished);
  const x = (i) => PAD.left + (i * (W - PAD.left - PAD.right)) / Math.max(1, n - 1);
  const plotH = H - PAD.top - PAD.bottom;
  const yDepth = (v) => PAD.top + plotH - (v / depthMax) * plotH;
  const barW = Math.max(2, (W - PAD.left - PAD.right) / n - 2);
  const svg = h("svg:svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-labelledby": "chart-title chart-desc" },
    h("svg:title", { id: "chart-title" }, "Queue depth and jobs finished per minute, last hour"),
    h("svg:desc", { id: "chart-desc" }, `Peak depth ${depthMax}, ${finished.reduce((a, b) => a + b, 0)} jobs finished in the hour.`),
    // finished per minute: bars against the right-hand scale
    finished.map((v, i) => v ? h("svg:rect", { class: "bar", x: x(i) - barW / 2, y: PAD.top + plotH - (v / finishedMax) * plotH, width: barW, height: (v / finishedMax) * plotH }) : null),
    // depth: one line per queue
    history.map((q, s) => h("svg:polyline", { class: `line series-${s}`, fill: "none", points: q.points.map((p, i) => `${x(i)},${yDepth(p.depth)}`).join(" ") })),
    h("svg:line", { class: "axis", x1: PAD.left, y1: PAD.top + plotH, x2: W - PAD.right, y2: PAD.top + plotH }),
    h("svg:line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: PAD.top + plotH }),
    h("svg:text", { class: "tick", x: PAD.left - 6, y: PAD.top + 4, "text-anchor": "end" }, String(depthMax)),
    h("svg:text", { class: "tick", x: PAD.left - 6, y: PAD.top + plotH, "text-anchor": "end" }, "0"),
    h("svg:text", { class: "tick", x: W - PAD.right, y: PAD.top + 4, "text-anchor": "end" }, `${finishedMax} finished/min`),
    h("svg:text", { class: "tick", x: PAD.left, y: H - 8 }, "−60 min"),
    h("svg:text", { class: "tick", x: W - PAD.right, y: H - 8, "text-anchor": "end" }, "now"),
  );
  const legend = h("ul", { class: "legend" },
    history.map((q, s) => h("li", {}, h("span", { class: `swatch series-${s}`, "aria-hidden": "true" }), `${q.name} depth`)),
    h("li", {}, h("span", { class: "swatch bar", "aria-hidden": "true" }), "finished per minute (all queues)"));
  return h("figure", { class: "card" }, svg, legend);
}

// Back-pressure: a queue at its cap (QUEUE_MAX_DEPTHS) refuses new submits with a 503.
function depthCell(q) {
  if (q.max_depth === null) return h("td", { class: "num" }, `${q.rq_queued} / no cap`);
  const full = q.rq_queued >= q.max_depth;
  return h("td", { class: full ? "num danger" : "num" }, `${q.rq_queued} / ${q.max_depth}${full ? " — full: submits refused (503)" : ""}`);
}

function table(caption, columns, rows) {
  return h("table", {}, h("caption", {}, caption), h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: String(columns.length) }, "None."))));
}

export async function operationsPage(ctx) {
  const { signal } = ctx;
  const area = h("div");
  clear(ctx.main, h("h1", {}, "Operations"), area);
  while (!signal.aborted) {
    const [queues, workers, history] = await Promise.all([api("queues/", { signal }), api("workers/", { signal }), api("queues/history/", { signal })]);
    clear(
      area,
      h("h2", {}, "Last hour"),
      chart(history),
      table("Queues", ["Queue", "Queued", "Running", "Scheduled", "Deferred", "Failed (24 h)", "Workers", "Oldest queued", "In RQ / cap"],
        queues.map((q) => h("tr", {}, h("th", { scope: "row" }, q.name), [q.queued, q.running, q.scheduled, q.deferred, q.failed_24h, q.workers].map((v) => h("td", { class: "num" }, String(v))), h("td", {}, q.oldest_queued_seconds === null ? "—" : `${Math.round(q.oldest_queued_seconds)} s`), depthCell(q)))),
      table("Workers", ["Name", "State", "Queues", "Current job", "Succeeded", "Failed", "Last heartbeat"],
        workers.map((w) => h("tr", {}, h("th", { scope: "row" }, w.name), h("td", {}, w.state), h("td", {}, w.queues.join(", ")), h("td", {}, w.current_job ? h("a", { href: `#/jobs/${w.current_job}` }, w.current_job.slice(0, 8)) : "—"), h("td", { class: "num" }, String(w.successful_jobs)), h("td", { class: "num" }, String(w.failed_jobs)), h("td", {}, timeEl(w.last_heartbeat))))),
    );
    await sleep(30000, signal);
  }
}
