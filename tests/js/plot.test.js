import { test } from "node:test";
import assert from "node:assert/strict";
import { logTicks, niceTicks, scale, tickLabels, yExtent } from "../../static/js/common/plot.js";

test("niceTicks are round numbers covering the range", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-1, 3, 4), [-1, 0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0, 50, 8), [0, 10, 20, 30, 40, 50]);
  assert.deepEqual(niceTicks(2, 2), [2]);
});

test("logTicks are powers of ten, with 2 and 5 on short axes", () => {
  assert.deepEqual(logTicks(1, 1e15, 6), [1, 1e3, 1e6, 1e9, 1e12, 1e15]);
  assert.deepEqual(logTicks(0.05, 3), [0.05, 0.1, 0.2, 0.5, 1, 2]);
});

test("scale maps the domain onto the range, linearly or by log10", () => {
  const lin = scale([0, 10], [100, 200]);
  assert.equal(lin(5), 150);
  const log = scale([1, 100], [0, 10], true);
  assert.equal(log(10), 5);
  assert.equal(scale([3, 3], [0, 10])(3), 5);
});

test("yExtent includes zero on a linear axis and skips non-positive values on a log axis", () => {
  const series = [{ points: [[0, 2], [1, 5]] }, { points: [[0, -1], [1, 0]] }];
  assert.deepEqual(yExtent(series), [-1, 5]);
  assert.deepEqual(yExtent([{ points: [[0, 4]] }], [{ low: [3], high: [9] }]), [0, 9]);
  assert.deepEqual(yExtent([{ points: [[0, 4]] }]), [0, 4]);
  assert.deepEqual(yExtent([{ points: [[0, 0]] }]), [0, 1]);
});

test("a log axis reaches 4 % of its decades past the data at each end, so the lowest series is off the axis line", () => {
  const series = [{ points: [[0, 2], [1, 5]] }, { points: [[0, -1], [1, 0]] }];
  const [lo, hi] = yExtent(series, [], true);
  const margin = 2.5 ** 0.04;
  assert.ok(Math.abs(lo - 2 / margin) < 1e-12 && Math.abs(hi - 5 * margin) < 1e-12, `${lo}, ${hi}`);
  assert.ok(lo < 2 && hi > 5);
  const [oneLo, oneHi] = yExtent([{ points: [[0, 100], [1, 100]] }], [], true);
  assert.ok(Math.abs(oneLo - 100 / Math.sqrt(10)) < 1e-9 && Math.abs(oneHi - 100 * Math.sqrt(10)) < 1e-9);
});

test("one log axis uses one label format", () => {
  // the dropout plot's short axis once read 10⁰, 0.50, 0.20, 10⁻¹
  assert.deepEqual(tickLabels(logTicks(0.05, 1), true), ["0.05", "0.1", "0.2", "0.5", "1"]);
  assert.deepEqual(tickLabels(logTicks(1, 1e15, 6), true), ["10⁰", "10³", "10⁶", "10⁹", "10¹²", "10¹⁵"]);
});


test("a linear axis writes every label with the same decimals and a real minus", () => {
  assert.deepEqual(tickLabels(niceTicks(-0.4, 1, 7)), ["−0.4", "−0.2", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
  assert.deepEqual(tickLabels(niceTicks(0, 435, 8)), ["0", "100", "200", "300", "400"]);
  assert.deepEqual(tickLabels([0, 0.05, 0.1, 0.15]), ["0.00", "0.05", "0.10", "0.15"]);
});

test("an axis reaching 10⁵ is written in powers of ten, never beside plain decimals", () => {
  assert.deepEqual(tickLabels(niceTicks(0, 2e6, 4)), ["0", "5.0·10⁵", "1.0·10⁶", "1.5·10⁶", "2.0·10⁶"]);
  assert.deepEqual(tickLabels(logTicks(0.1, 1e6, 8), true), ["10⁻¹", "10⁰", "10¹", "10²", "10³", "10⁴", "10⁵", "10⁶"]);
});

test("a base-2 log axis has powers of two, thinned", () => {
  assert.deepEqual(logTicks(1, 404, 6, 2), [1, 4, 16, 64, 256]);
  assert.deepEqual(tickLabels(logTicks(1, 404, 6, 2), true), ["1", "4", "16", "64", "256"]);
  assert.deepEqual(logTicks(1, 8, 6, 2), [1, 2, 4, 8]);
});
