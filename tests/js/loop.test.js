import { test } from "node:test";
import assert from "node:assert/strict";

// A hand-driven clock: requestAnimationFrame queues callbacks, frame(t) runs them at time t (> 0, as in a browser).
let queue = [];
globalThis.requestAnimationFrame = (fn) => queue.push(fn);
const frame = (now) => {
  const due = queue;
  queue = [];
  for (const fn of due) fn(now);
};
const reduce = { matches: false };
globalThis.matchMedia = () => reduce;
const { createLoop } = await import("../../static/js/common/loop.js");

test("redraws asked for within a frame run once, on the next frame, and the loop then sleeps", () => {
  let renders = 0;
  let cone = 0;
  const loop = createLoop({ render: () => renders++ });
  const drawCone = () => cone++;
  loop.schedule();
  loop.schedule();
  loop.schedule(drawCone);
  loop.schedule(drawCone);
  assert.equal(queue.length, 1);
  frame(16);
  assert.deepEqual([renders, cone], [1, 1]);
  assert.equal(queue.length, 0);
});

test("Play advances one step per period, the first one period after Play, and Stop cancels a queued frame", () => {
  let steps = 0;
  let renders = 0;
  const loop = createLoop({ render: () => renders++, advance: () => ++steps < 100 });
  loop.play(10);
  for (let now = 20; now <= 1020; now += 20) frame(now);
  assert.equal(steps, 10);
  assert.equal(renders, 10);
  loop.stop();
  frame(1100);
  frame(1300);
  assert.equal(steps, 10);
  assert.equal(loop.playing, false);
});

test("advance returning false ends Play", () => {
  let steps = 0;
  const loop = createLoop({ advance: () => ++steps < 3 });
  loop.play(50);
  for (let now = 10; now <= 1010; now += 10) frame(now);
  assert.equal(steps, 3);
  assert.equal(loop.playing, false);
});

test("with reduced motion Play still steps, at most once a second", () => {
  reduce.matches = true;
  try {
    let steps = 0;
    const loop = createLoop({ advance: () => ++steps > 0 });
    loop.play(60);
    for (let now = 16; now <= 3100; now += 16) frame(now);
    loop.stop();
    assert.equal(steps, 3);
  } finally {
    reduce.matches = false;
  }
});
