// The console's entry point: who is signed in, the hash router, the navigation.
import { api, refreshCsrf, whenUnauthenticated } from "./api.js";
import { clear, h } from "./ui.js";
import { signinPage } from "./pages/signin.js";
import { jobsPage } from "./pages/jobs.js";
import { jobPage } from "./pages/job.js";
import { submitPage } from "./pages/submit.js";
import { schedulesPage, deletedSchedulesPage } from "./pages/schedules.js";
import { schedulePage } from "./pages/schedule.js";
import { scheduleFormPage } from "./pages/schedule-form.js";
import { auditPage } from "./pages/audit.js";
import { operationsPage } from "./pages/operations.js";

const routes = [
  [/^\/signin$/, signinPage, { anonymous: true }],
  [/^\/jobs$/, jobsPage],
  [/^\/jobs\/([0-9a-f-]{36})$/, jobPage],
  [/^\/submit$/, submitPage],
  [/^\/schedules$/, schedulesPage],
  [/^\/schedules\/new$/, scheduleFormPage],
  [/^\/schedules\/deleted$/, deletedSchedulesPage],
  [/^\/schedules\/([0-9a-f-]{36})$/, schedulePage],
  [/^\/schedules\/([0-9a-f-]{36})\/edit$/, scheduleFormPage],
  [/^\/audit$/, auditPage, { staff: true }],
  [/^\/operations$/, operationsPage, { staff: true }],
];

const main = document.getElementById("main");
const state = { user: null, controller: null };

function parseHash() {
  const raw = window.location.hash.replace(/^#/, "") || "/jobs";
  const [path, search = ""] = raw.split("?");
  return { path, query: new URLSearchParams(search) };
}

export function navigate(path, query) {
  const search = query && [...query].length ? `?${query}` : "";
  window.location.hash = `#${path}${search}`;
}

function showUser() {
  const signedIn = Boolean(state.user);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("who").textContent = signedIn ? `${state.user.username}${state.user.is_staff ? " (staff)" : ""}` : "";
  for (const link of document.querySelectorAll("[data-staff]")) link.hidden = !(signedIn && state.user.is_staff);
}

async function render() {
  if (state.controller) state.controller.abort(); // stops the last page's long-polls and timers
  const controller = new AbortController();
  state.controller = controller;
  const { path, query } = parseHash();
  const route = routes.find(([pattern]) => pattern.test(path));
  if (!route) {
    clear(main, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/jobs" }, "Back to the jobs")));
    return;
  }
  const [pattern, page, options = {}] = route;
  if (!state.user && !options.anonymous) {
    navigate("/signin", new URLSearchParams({ next: `${path}${[...query].length ? `?${query}` : ""}` }));
    return;
  }
  if (options.staff && !state.user.is_staff) {
    clear(main, h("h1", {}, "Staff only"), h("p", {}, "This page shows data the API shows to staff only."));
    return;
  }
  for (const link of document.querySelectorAll("#nav a")) {
    if (path.startsWith(link.getAttribute("href").slice(1))) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const params = path.match(pattern).slice(1);
  const ctx = { main, params, query, signal: controller.signal, user: state.user, navigate, signedIn };
  clear(main, h("p", {}, "Loading…"));
  try {
    await page(ctx);
  } catch (error) {
    if (error.name === "AbortError") return;
    clear(main, h("h1", {}, "Something went wrong"), h("p", { role: "alert" }, error.message));
  }
  const heading = main.querySelector("h1");
  if (heading && !main.contains(document.activeElement)) {
    heading.setAttribute("tabindex", "-1");
    heading.focus(); // a screen reader hears the new page's title
  }
}

async function signedIn(user) {
  state.user = user;
  await refreshCsrf(); // rotated by the sign-in
  showUser();
}

async function start() {
  whenUnauthenticated(() => {
    state.user = null;
    showUser();
    if (parseHash().path !== "/signin") navigate("/signin");
  });
  document.getElementById("signout").addEventListener("click", async () => {
    await api("auth/session/", { method: "DELETE" });
    state.user = null;
    showUser();
    navigate("/signin");
  });
  try {
    state.user = await api("me/");
  } catch {
    state.user = null;
  }
  showUser();
  window.addEventListener("hashchange", render);
  render();
}

start();
