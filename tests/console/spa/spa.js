// The browser sign-in flow of README.md, run from another origin: CSRF token, session sign-in,
// a session write with the (rotated) token. `?api=` names the API's origin.
const api = new URL(window.location.href).searchParams.get("api");
const call = async (path, init = {}) => {
  const response = await fetch(api + path, { credentials: "include", ...init, headers: { "Content-Type": "application/json", ...(init.headers || {}) } });
  return { status: response.status, body: response.status === 204 ? null : await response.json() };
};
const steps = {};
try {
  let token = (await call("/api/v1/auth/csrf/")).body.csrf_token;
  steps.signin = await call("/api/v1/auth/session/", { method: "POST", headers: { "X-CSRFToken": token }, body: JSON.stringify({ username: "fuzzer-plain", password: "fuzz-password-1" }) });
  steps.me = await call("/api/v1/me/");
  steps.stale_token = (await call("/api/v1/jobs/", { method: "POST", headers: { "X-CSRFToken": token }, body: JSON.stringify({ task: "demo.sleep", kwargs: { seconds: 0 } }) })).status;
  token = (await call("/api/v1/auth/csrf/")).body.csrf_token; // rotated by the sign-in
  steps.submit = await call("/api/v1/jobs/", { method: "POST", headers: { "X-CSRFToken": token }, body: JSON.stringify({ task: "demo.sleep", kwargs: { seconds: 0 } }) });
  steps.signout = (await call("/api/v1/auth/session/", { method: "DELETE", headers: { "X-CSRFToken": token } })).status;
  steps.after = (await call("/api/v1/me/")).status;
} catch (error) {
  steps.error = String(error);
}
document.getElementById("result").textContent = JSON.stringify(steps);
