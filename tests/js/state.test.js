import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  defaultInput,
  deriveLayer,
  readPlaygroundState,
  resize,
  serializePlaygroundState,
} from "../../static/js/playground/state.js";

const LIMITS = JSON.parse(readFileSync(new URL("./fixtures/limits.json", import.meta.url))).playground;

test("the default state writes nothing to the URL and its values come from the seed", () => {
  const s = readPlaygroundState("", LIMITS);
  assert.equal(serializePlaygroundState(s, LIMITS), "");
  assert.deepEqual(s.x, defaultInput(s));
  assert.equal(s.x.length, 25);
  assert.ok(s.x.every((v) => Number.isInteger(v) && v >= -3 && v <= 5));
});

test("an edited state round-trips through the query string exactly", () => {
  const s = readPlaygroundState("mode=transposed&h=4&w=3&cout=2&oph=1&opw=1&axes=1&kw=2&speed=0.5", LIMITS);
  s.x = s.x.map((v, n) => (n === 5 ? 7.25 : v));
  s.b = [0.5, -1];
  const back = readPlaygroundState(serializePlaygroundState(s, LIMITS, "lang=ru"), LIMITS);
  assert.deepEqual(back, s);
});

test("arrays of the wrong length in a hand-edited URL fall back to the seeded values", () => {
  const s = readPlaygroundState("x=1,2,3", LIMITS);
  assert.deepEqual(s.x, defaultInput(s));
});

test("resizing keeps every value that still has a place", () => {
  const grown = resize([1, 2, 3, 4], [1, 2, 2], [1, 3, 3], () => new Array(9).fill(0));
  assert.deepEqual(grown, [1, 2, 0, 3, 4, 0, 0, 0, 0]);
  assert.deepEqual(resize(grown, [1, 3, 3], [1, 2, 2], () => [9, 9, 9, 9]), [1, 2, 3, 4]);
  const same = [5, 6];
  assert.equal(resize(same, [2], [2], () => assert.fail("no fresh values for an unchanged shape")), same);
});

test("the layer: pooling keeps channels, transposed steps over input cells", () => {
  const pool = deriveLayer(readPlaygroundState("mode=maxpool&cin=3&cout=1", LIMITS));
  assert.equal(pool.cout, 3);
  assert.equal(pool.steps, 3 * 3 * 3);
  const up = deriveLayer(readPlaygroundState("mode=transposed&h=3&w=2&cin=2&cout=2", LIMITS));
  assert.equal(up.steps, 2 * 3 * 2);
  const zeros = deriveLayer(readPlaygroundState("mode=transposed&h=3&w=2&view=zeros", LIMITS));
  assert.equal(zeros.steps, zeros.outH * zeros.outW);
});
