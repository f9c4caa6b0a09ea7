// The REST API from the browser. An error says what to change, in the page's language when the server
// gave a code this page knows (common/errors.js), else in the server's English words.
import { describeError } from "./errors.js";
import { hasString, t } from "./i18n.js";
import "./error-strings.js";

const translate = (key, vars) => (hasString(key) ? t(key, vars) : null);

export class ApiError extends Error {
  constructor(status, body) {
    super();
    this.status = status;
    this.body = body;
  }

  // read when shown, so a language switch after the error still translates it
  get message() {
    return describeError(this.body, translate);
  }
}

async function handle(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, { detail: response.statusText, ...body });
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
