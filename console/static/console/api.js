// The console's one door to the server: JSON over /api/v1/ with the session cookie, the CSRF
// token on writes, and RFC 9457 problems turned into ApiError.

export const BASE = "/api/v1/";
let csrfToken = null;
let onUnauthenticated = () => {};

export class ApiError extends Error {
  constructor(status, problem, headers) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.headers = headers;
  }

  get fieldErrors() {
    return this.problem.errors || [];
  }

  get retryAfter() {
    return this.headers ? Number(this.headers.get("Retry-After")) || null : null;
  }
}

export function whenUnauthenticated(callback) {
  onUnauthenticated = callback;
}

export async function refreshCsrf() {
  const response = await fetch(`${BASE}auth/csrf/`, { credentials: "same-origin", headers: { Accept: "application/json" } });
  csrfToken = (await response.json()).csrf_token;
  return csrfToken;
}

function url(path, query) {
  const target = new URL(path.startsWith("/") ? path : BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") target.searchParams.append(key, item);
    }
  }
  return target.pathname + target.search;
}

/**
 * Call the API; resolve to the JSON body (or {status, headers, body} with `raw`), reject with
 * ApiError carrying the problem document. A CSRF failure refreshes the token and retries once.
 */
export async function api(path, { method = "GET", body, query, headers = {}, signal, raw = false, retried = false } = {}) {
  const init = { method, credentials: "same-origin", signal, headers: { Accept: "application/json", ...headers } };
  const writes = !["GET", "HEAD"].includes(method);
  if (writes) {
    init.headers["X-CSRFToken"] = csrfToken || (await refreshCsrf());
  }
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, query), init);
  const text = response.status === 304 ? "" : await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 200) };
    }
  }
  if (!response.ok && response.status !== 304) {
    if (writes && !retried && response.status === 403 && /csrf/i.test((data && data.detail) || "")) {
      await refreshCsrf();
      return api(path, { method, body, query, headers, signal, raw, retried: true });
    }
    if (response.status === 401 && !path.startsWith("auth/session/")) onUnauthenticated();
    throw new ApiError(response.status, data, response.headers);
  }
  return raw ? { status: response.status, headers: response.headers, body: data } : data;
}
