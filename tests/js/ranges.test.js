import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { axisRanges, ranges, repair } from "../../static/js/playground/ranges.js";
import { readPlaygroundState } from "../../static/js/playground/state.js";
import { convOutputSize, transposeOutputSize } from "../../static/js/playground/geometry.js";

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/geometry.json", import.meta.url)));
const LIMITS = JSON.parse(readFileSync(new URL("./fixtures/limits.json", import.meta.url))).playground;
const within = (v, r) => v >= r.min && v <= r.max;

test("conv: kernel, dilation, padding and size ranges admit exactly the layers convcore accepts", () => {
  for (const { axis, output_size } of fixtures.conv) {
    const values = { i: axis.size, k: axis.kernel, s: axis.stride, p: axis.padBefore, d: axis.dilation, op: 0 };
    const r = axisRanges("conv", { ...values, k: 1 }, LIMITS);
    assert.equal(within(axis.kernel, r.k), output_size > 0, JSON.stringify(axis));
    const rp = axisRanges("conv", { ...values, p: 0 }, LIMITS);
    assert.equal(within(axis.padBefore, rp.p), output_size > 0, JSON.stringify(axis));
  }
});

test("pooling: padding at most half the kernel, as convcore.arithmetic.shapes.pool_output_size demands", () => {
  const accepted = new Set(fixtures.pool.map(({ axis }) => JSON.stringify(axis)));
  for (const { axis } of fixtures.conv) {
    const values = { i: axis.size, k: axis.kernel, s: axis.stride, p: 0, d: axis.dilation, op: 0 };
    const r = axisRanges("maxpool", values, LIMITS);
    if (within(axis.kernel, axisRanges("maxpool", { ...values, p: axis.padBefore, k: 1 }, LIMITS).k)) {
      assert.equal(within(axis.padBefore, r.p), accepted.has(JSON.stringify(axis)), JSON.stringify(axis));
    }
  }
  const why = axisRanges("maxpool", { i: 5, k: 3, s: 1, p: 1, d: 1, op: 0 }, LIMITS).p.whyMax;
  assert.equal(why.key, "why.padding.pool");
});

test("transposed: output_padding below max(stride, dilation) and the output kept on screen", () => {
  const r = axisRanges("transposed", { i: 32, k: 3, s: 2, p: 0, d: 1, op: 0 }, LIMITS);
  assert.equal(r.op.max, 1);
  assert.ok(transposeOutputSize({ size: r.i.max, kernel: 3, stride: 2, padBefore: 0, dilation: 1, outputPadding: 0 }) <= LIMITS.transposed_output.max);
  assert.equal(r.i.whyMax.key, "why.output.too_large");
});

test("groups offered are the common divisors of both channel counts", () => {
  const s = { ...readPlaygroundState("", LIMITS), cin: 4, cout: 2 };
  assert.deepEqual(ranges(s, LIMITS).groups.options, [1, 2]);
});

test("repair clamps a state that a mode switch made impossible", () => {
  const s = repair({ ...readPlaygroundState("", LIMITS), ph: 3, pw: 3, mode: "maxpool" }, LIMITS);
  assert.equal(s.ph, 1);
  assert.equal(s.pw, 1);
  const t = repair({ ...readPlaygroundState("", LIMITS), kh: 7, kw: 7, h: 2, w: 2, ph: 0, pw: 0, sh: 1, sw: 1 }, LIMITS);
  assert.ok(convOutputSize({ size: 2, kernel: t.kh, stride: 1, padBefore: t.ph, padAfter: t.ph, dilation: 1 }) >= 1);
});

test("linked axes stay equal when only one of them limits the value", () => {
  const s = repair({ ...readPlaygroundState("", LIMITS), h: 5, w: 3, kh: 7, kw: 7, ph: 0, pw: 0, sh: 1, sw: 1 }, LIMITS);
  assert.equal(s.kh, s.kw);
  assert.equal(s.ph, s.pw);
  for (const size of [5, 3]) {
    const axis = { size, kernel: s.kh, stride: 1, padBefore: s.ph, padAfter: s.ph, dilation: s.dh };
    assert.ok(convOutputSize(axis) >= 1);
  }
});

test("reflect padding stays smaller than the input and circular at most the input, as F.pad demands", () => {
  const reflect = ranges({ ...readPlaygroundState("", LIMITS), h: 3, w: 3, ph: 1, pw: 1, pmode: "reflect" }, LIMITS);
  assert.equal(reflect.ph.max, 2);
  assert.equal(reflect.ph.whyMax.key, "why.padding.reflect");
  assert.equal(reflect.h.min, 2);
  const circular = ranges({ ...readPlaygroundState("", LIMITS), h: 3, w: 3, ph: 1, pw: 1, pmode: "circular" }, LIMITS);
  assert.equal(circular.ph.max, 3);
  // pooling pads with zeros (or −∞) whatever padding_mode says
  assert.equal(ranges({ ...readPlaygroundState("", LIMITS), mode: "maxpool", h: 3, pmode: "reflect" }, LIMITS).ph.whyMax?.key, "why.padding.pool");
});

test('padding="same" forces stride 1, and with reflect padding its after side stays smaller than the input', () => {
  const s = repair({ ...readPlaygroundState("", LIMITS), same: true, sh: 3, sw: 3 }, LIMITS);
  assert.equal(s.sh, 1);
  assert.equal(ranges(s, LIMITS).sh.whyMax.key, "why.stride.same");
  // input 3, reflect: ⌈d·(k − 1)/2⌉ ≤ 2, so k ≤ 5 with dilation 1, and k = 5 allows dilation 1 only
  const r = ranges({ ...readPlaygroundState("", LIMITS), same: true, pmode: "reflect", h: 3, w: 3, kh: 5, kw: 5, sh: 1, sw: 1 }, LIMITS);
  assert.equal(r.kh.max, 5);
  assert.equal(r.dh.max, 1);
  assert.equal(r.kh.whyMax.key, "why.same.reflect");
  assert.equal(r.h.min, 3);
});
