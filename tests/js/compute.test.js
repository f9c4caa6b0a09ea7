import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { scatterOutput, windowOutput, windowStep, zeroInsertionLayer } from "../../static/js/playground/compute.js";
import { deriveLayer, readPlaygroundState } from "../../static/js/playground/state.js";

const LIMITS = JSON.parse(readFileSync(new URL("./fixtures/limits.json", import.meta.url))).playground;
const fixtures = JSON.parse(readFileSync(new URL("./fixtures/geometry.json", import.meta.url)));

function layerOf(fixture, extra = {}) {
  const state = { ...readPlaygroundState("", LIMITS), axes: true, ...fixture.state, ...extra };
  return deriveLayer(state);
}

function close(actual, expected, label) {
  assert.equal(actual.length, expected.length, label);
  actual.forEach((v, n) => assert.ok(Math.abs(v - expected[n]) < 1e-9, `${label}[${n}]: ${v} vs ${expected[n]}`));
}

test("every mode's output equals torch's, with padding=\"same\", padding_mode and ceil_mode too", () => {
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

test("the whole output map has the same bits as each step's own sum plus bias", () => {
  const convs = fixtures.values.filter((f) => f.state.mode === undefined || f.state.mode === "conv");
  assert.ok(convs.length > 1);
  for (const f of convs) {
    const layer = layerOf(f);
    // values with every bit in use, so that adding the products in another order would change the sum
    const noisy = (list, n0) => list.map((v, n) => v + Math.sin(n0 + n));
    const values = { x: noisy(f.x, 0), wt: noisy(f.wt, 1000), b: noisy(f.b, 2000) };
    const out = windowOutput(layer, values);
    out.forEach((v, step) => assert.equal(v, windowStep(layer, values, step).value, `${JSON.stringify(f.state)}[${step}]`));
  }
});

test("a pooling map has the same bits as each step's max or average", () => {
  const pools = fixtures.values.filter((f) => f.state.mode === "maxpool" || f.state.mode === "avgpool");
  assert.ok(pools.some((f) => f.state.mode === "maxpool") && pools.some((f) => f.state.mode === "avgpool" && f.state.ceil));
  for (const f of pools) {
    const layer = layerOf(f);
    const values = { x: f.x.map((v, n) => v + Math.sin(n)), wt: f.wt, b: f.b };
    const out = windowOutput(layer, values);
    out.forEach((v, step) => assert.equal(v, windowStep(layer, values, step).value, `${JSON.stringify(f.state)}[${step}]`));
  }
});

test("a map is the same after a larger layer's map was computed (the padded planes' buffer is reused)", () => {
  const small = fixtures.values[1];
  const values = { x: small.x, wt: small.wt, b: small.b };
  const before = Array.from(windowOutput(layerOf(small), values));
  const large = readPlaygroundState("?h=20&w=20&cin=4&cout=4&ph=3&pw=3", LIMITS);
  windowOutput(deriveLayer(large), large);
  assert.deepEqual(Array.from(windowOutput(layerOf(small), values)), before);
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

test("the matrix of every padding mode, padding=\"same\" and ceil_mode avg pooling equals torch's on one-hot inputs", async () => {
  const { linearMatrix } = await import("../../static/js/playground/matrix.js");
  const cases = fixtures.values.filter((f) => f.matrix);
  assert.ok(cases.some((f) => f.state.pmode === "reflect") && cases.some((f) => f.state.ceil));
  for (const f of cases) {
    const layer = layerOf(f, { bias: false });
    const { spec } = linearMatrix({ layer, anim: { layer, values: { x: f.x, wt: f.wt, b: f.b } } });
    assert.equal(spec.rows, f.matrix.length);
    assert.equal(spec.cols, f.matrix[0].length);
    f.matrix.forEach((row, r) => close(row.map((_, c) => spec.value(r, c) ?? 0), row, `${JSON.stringify(f.state)} row ${r}`));
  }
});

test("a reflect-padded step reads the copied input cell and says which one", () => {
  const f = fixtures.values.find((v) => v.state.pmode === "reflect");
  const layer = layerOf(f);
  const step = windowStep(layer, { x: f.x, wt: f.wt, b: f.b }, 0);
  const corner = step.terms[0];
  assert.equal(corner.pad, true);
  // padded (−1, −2) reflects to input (1, 2)
  assert.deepEqual([corner.ih, corner.iw, ...corner.source], [-1, -2, 1, 2]);
  assert.equal(corner.x, f.x[1 * f.state.w + 2]);
});

test("a ceil_mode window past the padded input: those taps are neither in the max nor in the average", () => {
  const avg = fixtures.values.find((v) => v.state.mode === "avgpool" && v.state.ceil && v.state.ph === 0);
  const layer = layerOf(avg);
  const last = windowStep(layer, { x: avg.x, wt: avg.wt, b: avg.b }, layer.outW - 1);
  assert.equal(last.terms.filter((t) => t.past).length, 2);
  assert.equal(last.count, 2);
  assert.ok(Math.abs(last.value - avg.y[layer.outW - 1]) < 1e-9);
});

test("the matrix caption counts non-zero entries, not kernel positions", async () => {
  const { linearMatrix } = await import("../../static/js/playground/matrix.js");
  const state = { ...readPlaygroundState("", LIMITS), h: 4, w: 4, cin: 1, cout: 1, kh: 3, kw: 3, ph: 0, pw: 0, sh: 1, sw: 1 };
  const layer = deriveLayer(state);
  const caption = (wt) => linearMatrix({ layer, anim: { layer, values: { x: [], wt, b: [0] } } }).caption.vars;
  // 2×2 outputs × 9 taps = 36 kernel positions in a 4×16 matrix
  assert.deepEqual(caption(Array(9).fill(0)), { r: 4, c: 16, nz: 0, total: 64 });
  assert.equal(caption([1, 0, 0, 0, 2, 0, 0, 0, 3]).nz, 12);
  assert.equal(caption(Array(9).fill(1)).nz, 36);
});
