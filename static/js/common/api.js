// The REST API from the browser. Errors carry the server's message, which names what to change.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  return JSON.stringify(detail);
}

async function handle(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, detailText(body.detail ?? response.statusText));
  return body;
}

export async function apiGet(path, params = {}, { signal } = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null));
  return handle(await fetch(`/api/v1${path}?${query}`, { signal }));
}

export async function apiPost(path, body, { signal } = {}) {
  const init = { method: "POST", signal };
  if (body instanceof FormData) init.body = body;
  else {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  return handle(await fetch(`/api/v1${path}`, init));
}
