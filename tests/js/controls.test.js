import { test } from "node:test";
import assert from "node:assert/strict";
import { serially } from "../../static/js/lessons/controls.js";

test("serially runs at once, never twice at a time, and folds calls made meanwhile into one more run", async () => {
  const started = [];
  let release = null;
  let state = 0;
  const run = serially(async () => {
    started.push(state);
    await new Promise((resolve) => {
      release = resolve;
    });
  });
  const first = run();
  assert.deepEqual(started, [0]);
  state = 1;
  run();
  state = 2;
  run();
  assert.deepEqual(started, [0]);
  release();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(started, [0, 2]);
  release();
  await first;
  assert.deepEqual(started, [0, 2]);
});

test("a failed run does not block the next", async () => {
  let calls = 0;
  const run = serially(async () => {
    calls += 1;
    if (calls === 1) throw new Error("boom");
  });
  await assert.rejects(run(), /boom/);
  await run();
  assert.equal(calls, 2);
});
