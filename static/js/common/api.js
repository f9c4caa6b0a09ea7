// The REST API from the browser. An error says what to change, in the page's language when the server
// gave a code this page knows (common/errors.js), else in the server's English words.
// A 503 means the server is busy with other students' heavy requests: the helper says so ("busy, retrying")
// and sends the request again after the server's Retry-After, a bounded number of times.
import { describeError } from "./errors.js";
import { hasString, t } from "./i18n.js";
import "./error-strings.js";
import "./strings.js";

export const MAX_BUSY_RETRIES = 3;
const DEFAULT_RETRY_S = 2;
const MAX_RETRY_S = 30;

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

// A success's body is the answer: when it cannot be read (the request was aborted while its body arrived) the
// read's error goes to the caller, never an empty answer in its place. Only an error's body may be missing.
async function handle(response) {
  if (response.ok) return response.json();
  const body = await response.json().catch(() => ({}));
  throw new ApiError(response.status, { detail: response.statusText, ...body });
}

// Seconds to wait from a Retry-After header (delay-seconds form), clamped to 1..30; 2 when absent or a date.
export function retryAfterSeconds(header) {
  const seconds = Number.parseInt(header ?? "", 10);
  if (!Number.isFinite(seconds)) return DEFAULT_RETRY_S;
  return Math.min(MAX_RETRY_S, Math.max(1, seconds));
}

function wait(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

// The one notice on the page while a request waits to be retried (role=status: read out, not focused).
function showBusy(seconds) {
  if (typeof document === "undefined") return () => {};
  const notice = document.createElement("p");
  notice.className = "busy-notice";
  notice.setAttribute("role", "status");
  notice.textContent = t("api.busy", { seconds });
  document.body.append(notice);
  return () => notice.remove();
}

// fetch() through the busy protocol: on a 503 wait Retry-After seconds and try again, up to `retries` times.
export async function fetchRetrying(send, { signal, retries = MAX_BUSY_RETRIES, onBusy = showBusy, sleep = wait } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const response = await send();
    if (response.status !== 503 || attempt >= retries) return response;
    const seconds = retryAfterSeconds(response.headers.get("Retry-After"));
    const done = onBusy(seconds);
    try {
      await sleep(seconds * 1000, signal);
    } finally {
      done();
    }
  }
}

export async function apiGet(path, params = {}, { signal } = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null));
  return handle(await fetchRetrying(() => fetch(`/api/v1${path}?${query}`, { signal }), { signal }));
}

export async function apiPost(path, body, { signal } = {}) {
  const init = { method: "POST", signal };
  if (body instanceof FormData) init.body = body;
  else {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  return handle(await fetchRetrying(() => fetch(`/api/v1${path}`, init), { signal }));
}
