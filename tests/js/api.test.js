import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_BUSY_RETRIES, apiGet, fetchRetrying, retryAfterSeconds } from "../../static/js/common/api.js";

function reply(status, retryAfter) {
  return { status, headers: { get: (name) => (name === "Retry-After" ? retryAfter : null) } };
}

test("Retry-After in seconds is honoured within 1..30 s; a missing or date value waits 2 s", () => {
  assert.equal(retryAfterSeconds("5"), 5);
  assert.equal(retryAfterSeconds("0"), 1);
  assert.equal(retryAfterSeconds("3600"), 30);
  assert.equal(retryAfterSeconds(null), 2);
  assert.equal(retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT"), 2);
});

test("a 503 is retried after Retry-After with a busy notice, and the answer that follows is returned", async () => {
  const replies = [reply(503, "3"), reply(503, "1"), reply(200)];
  const waits = [];
  const notices = [];
  const response = await fetchRetrying(async () => replies.shift(), {
    onBusy: (seconds) => {
      notices.push(`shown ${seconds}`);
      return () => notices.push("hidden");
    },
    sleep: async (ms) => waits.push(ms),
  });
  assert.equal(response.status, 200);
  assert.deepEqual(waits, [3000, 1000]);
  assert.deepEqual(notices, ["shown 3", "hidden", "shown 1", "hidden"]);
});

test("retries stop after MAX_BUSY_RETRIES and the last 503 is returned to the caller", async () => {
  let sent = 0;
  const response = await fetchRetrying(
    async () => {
      sent += 1;
      return reply(503, "1");
    },
    { onBusy: () => () => {}, sleep: async () => {} },
  );
  assert.equal(response.status, 503);
  assert.equal(sent, MAX_BUSY_RETRIES + 1);
});

test("other errors are not retried", async () => {
  let sent = 0;
  const response = await fetchRetrying(async () => {
    sent += 1;
    return reply(422);
  });
  assert.equal(response.status, 422);
  assert.equal(sent, 1);
});

test("aborting while waiting stops the retries with the abort reason", async () => {
  const controller = new AbortController();
  const pending = fetchRetrying(async () => reply(503, "30"), { signal: controller.signal, onBusy: () => () => {} });
  controller.abort(new Error("left the page"));
  await assert.rejects(pending, /left the page/);
});

test("a success whose body is cut off by an abort rejects with the abort, not an empty answer", async () => {
  const aborted = new DOMException("The user aborted a request.", "AbortError");
  const saved = globalThis.fetch;
  globalThis.fetch = async () => ({ ok: true, status: 200, headers: { get: () => null }, json: () => Promise.reject(aborted) });
  try {
    await assert.rejects(apiGet("/output-size", { size: 7 }), (error) => error.name === "AbortError");
  } finally {
    globalThis.fetch = saved;
  }
});

test("an error without a JSON body still says its status", async () => {
  const saved = globalThis.fetch;
  const body = () => Promise.reject(new SyntaxError("Unexpected end of JSON input"));
  globalThis.fetch = async () => ({ ok: false, status: 502, statusText: "Bad Gateway", headers: { get: () => null }, json: body });
  try {
    await assert.rejects(apiGet("/output-size", { size: 7 }), (error) => error.status === 502 && error.body.detail === "Bad Gateway");
  } finally {
    globalThis.fetch = saved;
  }
});
