import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { scatterOutput, windowOutput, windowStep, zeroInsertionLayer } from "../../static/js/playground/compute.js";
import { deriveLayer, readPlaygroundState } from "../../static/js/playground/state.js";

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/geometry.json", import.meta.url)));

function layerOf(fixture, extra = {}) {
  const state = { ...readPlaygroundState(""), axes: true, ...fixture.state, ...extra };
  return deriveLayer(state);
}

function close(actual, expected, label) {
  assert.equal(actual.length, expected.length, label);
  actual.forEach((v, n) => assert.ok(Math.abs(v - expected[n]) < 1e-9, `${label}[${n}]: ${v} vs ${expected[n]}`));
}

test("every mode's output equals convcore (conv, pools) and torch (transposed)", () => {
  for (const f of fixtures.values) {
    const layer = layerOf(f);
    const values = { x: f.x, wt: f.wt, b: f.b };
    const out = layer.transposed ? scatterOutput(layer, values) : windowOutput(layer, values);
    close(Array.from(out), f.y, JSON.stringify(f.state));
  }
});

test("the zero-insertion convolution gives the same output as the scatter", () => {
  for (const f of fixtures.values.filter((v) => v.state.mode === "transposed")) {
    const layer = layerOf(f, { view: "zeros" });
    const zero = zeroInsertionLayer(layer, { x: f.x, wt: f.wt, b: f.b });
    close(Array.from(windowOutput(zero.layer, zero.values)), f.y, "zero insertion");
    assert.equal(zero.inserted.filter((v) => v === 0).length, f.x.length);
  }
});

test("a step lists k·k·C_in/groups products whose sum plus bias is the output", () => {
  const f = fixtures.values[1];
  const layer = layerOf(f);
  const step = windowStep(layer, { x: f.x, wt: f.wt, b: f.b }, 7);
  assert.equal(step.terms.length, layer.cinPerGroup * layer.rows.kernel * layer.cols.kernel);
  const sum = step.terms.reduce((acc, t) => acc + t.x * t.w, 0);
  assert.ok(Math.abs(sum + step.bias - f.y[7]) < 1e-9);
  assert.ok(step.terms.every((t) => !t.pad || t.x === 0));
});

test("max pooling reads padding as -infinity, so a padded cell never wins", () => {
  const f = fixtures.values.find((v) => v.state.mode === "maxpool");
  const layer = layerOf(f);
  const step = windowStep(layer, { x: f.x, wt: f.wt, b: f.b }, 0);
  assert.ok(step.terms.some((t) => t.pad && t.x === -Infinity));
  assert.equal(step.terms[step.winner].pad, false);
});

test("the matrix caption counts non-zero entries, not kernel positions", async () => {
  const { linearMatrix } = await import("../../static/js/playground/matrix.js");
  const state = { ...readPlaygroundState(""), h: 4, w: 4, cin: 1, cout: 1, kh: 3, kw: 3, ph: 0, pw: 0, sh: 1, sw: 1 };
  const layer = deriveLayer(state);
  const caption = (wt) => linearMatrix({ layer, anim: { layer, values: { x: [], wt, b: [0] } } }).caption.vars;
  // 2×2 outputs × 9 taps = 36 kernel positions in a 4×16 matrix
  assert.deepEqual(caption(Array(9).fill(0)), { r: 4, c: 16, nz: 0, total: 64 });
  assert.equal(caption([1, 0, 0, 0, 2, 0, 0, 0, 3]).nz, 12);
  assert.equal(caption(Array(9).fill(1)).nz, 36);
});
