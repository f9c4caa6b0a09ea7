import { test } from "node:test";
import assert from "node:assert/strict";
import { formatValue } from "../../static/js/playground/gridsvg.js";

test("a value shows at most two decimals with a real minus sign, −∞ for max pooling's padding", () => {
  assert.equal(formatValue(3), "3");
  assert.equal(formatValue(-2.5), "−2.5");
  assert.equal(formatValue(1 / 3), "0.33");
  assert.equal(formatValue(-0), "0");
  assert.equal(formatValue(-Infinity), "−∞");
  assert.equal(formatValue(Number.NaN), "?");
});

test("a value's text is the same when it was kept and after the kept texts were dropped", () => {
  const values = Array.from({ length: 5000 }, (_, n) => (n - 2500) / 7);
  const first = values.map(formatValue);
  assert.deepEqual(values.map(formatValue), first);
  assert.equal(first[2500 + 7], "1");
  assert.equal(first[2500 - 10], "−1.43");
});
