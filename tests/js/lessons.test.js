import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fmt, fmtSci } from "../../static/js/common/format.js";
import { cellKind, poolOutputSize } from "../../static/js/lessons/pool.js";
import { mulberry32, normalSampler, randomBatch, tensor } from "../../static/js/lessons/rng.js";
import { isCorrect } from "../../static/js/lessons/question.js";
import { cubeCells } from "../../static/js/lessons/cube.js";

const POOL_CASES = JSON.parse(readFileSync(new URL("./fixtures/lessons_pool.json", import.meta.url)));

test("fmt uses a real minus sign and never prints −0", () => {
  assert.equal(fmt(-1.234, 2), "−1.23");
  assert.equal(fmt(-0.0001, 2), "0.00");
  assert.equal(fmt(2, 0), "2");
  assert.equal(fmtSci(1024), "1024");
  assert.equal(fmtSci(2 ** 50), "1.13·10¹⁵");
  assert.equal(fmtSci(0.00012), "1.20·10⁻⁴");
});

test("the seeded generator is reproducible and uniform-looking", () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
  const normal = normalSampler(7);
  const zs = Array.from({ length: 4000 }, normal);
  const m = zs.reduce((s, z) => s + z, 0) / zs.length;
  const v = zs.reduce((s, z) => s + (z - m) ** 2, 0) / zs.length;
  assert.ok(Math.abs(m) < 0.06 && Math.abs(v - 1) < 0.1, `mean ${m}, var ${v}`);
});

test("tensor and randomBatch build nested lists of the asked shape", () => {
  assert.deepEqual(tensor([2, 3], ([i, j]) => i * 10 + j), [[0, 1, 2], [10, 11, 12]]);
  const batch = randomBatch([2, 3, 2, 2], 1, [100, 0, -100], [0, 0, 0]);
  assert.equal(batch.length, 2);
  assert.equal(batch[0].length, 3);
  assert.deepEqual(batch[1][2], [[-100, -100], [-100, -100]]);
  assert.deepEqual(randomBatch([2, 1, 2, 2], 5, [0], [1]), randomBatch([2, 1, 2, 2], 5, [0], [1]));
});

test("pool output size follows torch, including ceil_mode's dropped window", () => {
  assert.equal(poolOutputSize(7, 2, 2, 0, false), 3);
  assert.equal(poolOutputSize(7, 2, 2, 0, true), 4);
  // ceil would give 3, but the third window would start in the right padding (index 4 ≥ 3 + 1)
  assert.equal(poolOutputSize(3, 2, 2, 1, true), 2);
  assert.equal(poolOutputSize(2, 5, 1, 1, false), 0);
});

test("pool output size agrees with convcore on every fixture case (0 where convcore refuses)", () => {
  assert.ok(POOL_CASES.length > 1000);
  for (const [size, kernel, stride, padding, ceil, out] of POOL_CASES) {
    assert.equal(poolOutputSize(size, kernel, stride, padding, ceil), out, JSON.stringify({ size, kernel, stride, padding, ceil }));
  }
});

test("cells are image, padding, or beyond the padded input", () => {
  assert.equal(cellKind(0, 4, 5, 5, 1), "image");
  assert.equal(cellKind(-1, 2, 5, 5, 1), "pad");
  assert.equal(cellKind(5, 5, 5, 5, 1), "pad");
  assert.equal(cellKind(6, 2, 5, 5, 1), "beyond");
  assert.equal(cellKind(2, 5, 5, 5, 0), "beyond");
});

test("isCorrect compares numbers within a tolerance and big integers as exact strings", () => {
  assert.equal(isCorrect("448", 448), true);
  assert.equal(isCorrect("447", 448), false);
  assert.equal(isCorrect("0.52", 0.5, 0.05), true);
  assert.equal(isCorrect("abc", 1), false);
  assert.equal(isCorrect("1 267 650 600 228 229 401 496 703 205 376", String(2n ** 100n)), true);
});

test("the cube has N·HW front, N·C top and C·HW side cells", () => {
  const { cells, width, height } = cubeCells(3, 4, 2, { cell: 10, depth: 0.5 });
  const count = (face) => cells.filter((c) => c.face === face).length;
  assert.deepEqual([count("front"), count("top"), count("side")], [6, 12, 8]);
  assert.equal(width, 30 + 4 * 5);
  assert.equal(height, 4 * 4 + 20);
  const front = cells.find((c) => c.face === "front" && c.n === 1 && c.k === 1);
  assert.deepEqual(front.points[0], [10, 26]);
});

test("a guess is a number as typed on either keyboard, or not a try at all", async () => {
  const { isNumberLike, normalizedGuess } = await import("../../static/js/lessons/question.js");
  assert.equal(normalizedGuess(" 2,5 "), "2.5");
  assert.equal(normalizedGuess("−3"), "-3");
  assert.equal(normalizedGuess("1 024"), "1024");
  assert.equal(isNumberLike(normalizedGuess("abc")), false);
  assert.equal(isNumberLike(""), false);
  assert.equal(isNumberLike(normalizedGuess("0,75")), true);
});

test("each residual field's range is what the others leave of the budget", async () => {
  const { residualMaxima, residualWork } = await import("../../static/js/lessons/budget.js");
  // the page's bounds and Settings.max_residual_work as app/limits.py renders them (tests/app/test_limits.py)
  const bounds = { depth: 50, width: 128, samples: 256, networks: 64 };
  const MAX_RESIDUAL_WORK = 2 ** 27;
  // the page's defaults: networks 64 would be 209,715,200 > 134,217,728, so networks stops at 40
  const state = { depth: 50, width: 64, samples: 16, networks: 32 };
  const maxima = residualMaxima(state, bounds, MAX_RESIDUAL_WORK);
  assert.deepEqual(maxima, { depth: 50, width: 72, samples: 20, networks: 40 });
  for (const [key, max] of Object.entries(maxima)) {
    assert.ok(residualWork({ ...state, [key]: max }) <= MAX_RESIDUAL_WORK, key);
    if (max < bounds[key]) assert.ok(residualWork({ ...state, [key]: max + 1 }) > MAX_RESIDUAL_WORK, key);
  }
  assert.deepEqual(residualMaxima({ depth: 1, width: 2, samples: 2, networks: 1 }, bounds, MAX_RESIDUAL_WORK), bounds);
});

test("normalization: each per-channel slider holds a value for every channel the page allows", async () => {
  const { CHANNEL_SLIDERS, normalizationProps } = await import("../../static/js/lessons/normalization-state.js");
  const limits = JSON.parse(readFileSync(new URL("./fixtures/limits.json", import.meta.url))).normalization;
  const props = normalizationProps(limits);
  for (const { key } of CHANNEL_SLIDERS) assert.equal(props.find((p) => p.key === key).default.length, limits.c.max, key);
  assert.equal(props.find((p) => p.key === "g").max, limits.c.max, "groups divide the channels");
});
