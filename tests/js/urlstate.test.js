import { test } from "node:test";
import assert from "node:assert/strict";
import { readState, serializeState, writeState, writeStateAfterPaint } from "../../static/js/common/urlstate.js";

const props = [
  { key: "k", type: "int", default: 3, min: 1, max: 11 },
  { key: "mode", type: "enum", default: "conv", values: ["conv", "pool"] },
  { key: "flip", type: "bool", default: false },
  { key: "w", type: "floats", default: [1, 0, -1] },
];

test("defaults are left out of the URL and restored from nothing", () => {
  const state = readState(props, "");
  assert.deepEqual(state, { k: 3, mode: "conv", flip: false, w: [1, 0, -1] });
  assert.equal(serializeState(props, state), "");
});

test("a state survives the round trip through the query string", () => {
  const state = { k: 7, mode: "pool", flip: true, w: [0.5, -0.25] };
  assert.deepEqual(readState(props, serializeState(props, state)), state);
});

test("out-of-range and malformed values fall back to bounds or defaults", () => {
  assert.deepEqual(readState(props, "k=99&mode=nope&w=1,x"), { k: 11, mode: "conv", flip: false, w: [1, 0, -1] });
});

test("unrelated parameters such as lang are kept", () => {
  assert.equal(serializeState(props, { k: 5, mode: "conv", flip: false, w: [1, 0, -1] }, "lang=ru"), "lang=ru&k=5");
});

test("writeState writes the address only when it changes", () => {
  const writes = [];
  globalThis.location = { pathname: "/pooling", search: "?lang=ru" };
  globalThis.history = {
    state: null,
    replaceState(_, __, url) {
      writes.push(url);
      globalThis.location.search = url.slice(url.indexOf("?"));
    },
  };
  try {
    const state = { k: 5, mode: "conv", flip: false, w: [1, 0, -1] };
    writeState(props, state);
    writeState(props, state);
    assert.deepEqual(writes, ["/pooling?lang=ru&k=5"]);
    writeState(props, { ...state, k: 7 });
    assert.deepEqual(writes, ["/pooling?lang=ru&k=5", "/pooling?lang=ru&k=7"]);
  } finally {
    delete globalThis.location;
    delete globalThis.history;
  }
});

test("writeStateAfterPaint writes after the next frame, with the state as it is then", async () => {
  const writes = [];
  const frames = [];
  globalThis.location = { pathname: "/residual", search: "" };
  globalThis.history = { state: null, replaceState: (_, __, url) => writes.push(url) };
  globalThis.requestAnimationFrame = (callback) => frames.push(callback);
  try {
    let state = { k: 5, mode: "conv", flip: false, w: [1, 0, -1] };
    writeStateAfterPaint(props, () => state);
    state = { ...state, k: 6 };
    await new Promise((resolve) => setTimeout(resolve));
    assert.deepEqual(writes, []);
    frames.shift()();
    await new Promise((resolve) => setTimeout(resolve));
    assert.deepEqual(writes, ["/residual?k=6"]);
  } finally {
    delete globalThis.location;
    delete globalThis.history;
    delete globalThis.requestAnimationFrame;
  }
});
