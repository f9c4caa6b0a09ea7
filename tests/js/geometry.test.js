import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as g from "../../static/js/playground/geometry.js";

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/geometry.json", import.meta.url)));

test("conv output size and unread rows equal convcore.arithmetic.shapes", () => {
  for (const c of fixtures.conv) {
    assert.equal(g.convOutputSize(c.axis), c.output_size, JSON.stringify(c.axis));
    if (c.output_size > 0) {
      assert.equal(g.unusedInput(c.axis), c.unused_input, JSON.stringify(c.axis));
    }
  }
});

test("pooling without ceil_mode uses the conv formula (convcore.arithmetic.shapes.pool_output_size)", () => {
  for (const c of fixtures.pool) assert.equal(g.convOutputSize(c.axis), c.output_size, JSON.stringify(c.axis));
});

test("transposed output size equals convcore.arithmetic.shapes, and the zero-insertion conv gives the same size", () => {
  for (const c of fixtures.transpose) {
    assert.equal(g.transposeOutputSize(c.axis), c.output_size, JSON.stringify(c.axis));
    if (c.axis.padBefore <= c.axis.dilation * (c.axis.kernel - 1)) {
      assert.equal(g.convOutputSize(g.zeroInsertionAxis(c.axis)), c.output_size, JSON.stringify(c.axis));
    }
  }
});

// The reads of a zero-padded convolution as the fixture's tap matrix: entry 1 + tap where a tap reads the column.
function tapMatrix(rows, cols, flip) {
  return g.convMatrixReads(rows, cols, flip).map((reads) => {
    const row = new Array(rows.size * cols.size).fill(0);
    for (const [column, tap] of reads) row[column] = 1 + tap;
    return row;
  });
}

test("the convolution matrix equals the one measured by convolving one-hot inputs in convcore", () => {
  for (const m of fixtures.matrices) assert.deepEqual(tapMatrix(m.rows, m.cols, m.flip), m.taps);
});

test("reflect, replicate and circular padding hold the input cell torch's F.pad copies there", () => {
  const axis = (padMode) => ({ size: 4, kernel: 3, stride: 1, padBefore: 3, padAfter: 2, dilation: 1, padMode });
  const at = (mode) => [-3, -2, -1, 4, 5].map((i) => g.sourceIndex(axis(mode), i));
  // F.pad([a b c d], (3, 2)): reflect d c b|a b c d|c b, replicate a a a|…|d d, circular b c d|…|a b
  assert.deepEqual(at("reflect"), [3, 2, 1, 2, 1]);
  assert.deepEqual(at("replicate"), [0, 0, 0, 3, 3]);
  assert.deepEqual(at("circular"), [1, 2, 3, 0, 1]);
  assert.deepEqual(at("zeros"), [-1, -1, -1, -1, -1]);
});

test("ceil_mode: torch's output size, its last window hanging past the padded input", () => {
  // 7 wide, k 2, s 3: floor gives windows at 0 and 3; ceil adds one at 6 that reads 6 and the overhang 7
  const axis = { size: 7, kernel: 2, stride: 3, padBefore: 0, padAfter: 0, dilation: 1, ceil: true };
  assert.equal(g.convOutputSize(axis), 3);
  assert.equal(g.convOutputSize({ ...axis, ceil: false }), 2);
  assert.equal(g.overhang(axis), 1);
  assert.equal(g.drawnLength(axis), 8);
  assert.equal(g.unusedInput(axis), 0);
  // ⌈(5 + 2·1 − 2)/2⌉ + 1 = 4 would start its last window at 6, in the right padding: torch drops it
  assert.equal(g.convOutputSize({ size: 5, kernel: 2, stride: 2, padBefore: 1, padAfter: 1, dilation: 1, ceil: true }), 3);
});

test("feeds() lists exactly the outputs whose matrix row reads the input cell", () => {
  for (const m of fixtures.matrices.filter((x) => !x.flip)) {
    const wOut = g.convOutputSize(m.cols);
    for (let ih = 0; ih < m.rows.size; ih++) {
      for (let iw = 0; iw < m.cols.size; iw++) {
        const expected = [];
        m.taps.forEach((row, r) => row[ih * m.cols.size + iw] && expected.push(r));
        const got = [];
        for (const h of g.feeds(m.rows, ih)) for (const w of g.feeds(m.cols, iw)) got.push(h.out * wOut + w.out);
        assert.deepEqual(got.sort((a, b) => a - b), expected);
      }
    }
  }
});

test("im2col reads the same input cells as the matrix rows, padding as -1", () => {
  for (const m of fixtures.matrices.filter((x) => !x.flip)) {
    const patches = g.im2colIndices(m.rows, m.cols);
    assert.equal(patches.length, m.taps.length);
    // with zero padding a tap reads its own column, or nothing
    patches.forEach((patch, r) => {
      patch.forEach((cell, tap) => {
        const column = m.taps[r].indexOf(tap + 1);
        assert.equal(cell, column, `row ${r} tap ${tap}`);
      });
    });
  }
});

test("transposed scatter matrix equals torch's conv_transpose2d measured on one-hot inputs", () => {
  for (const m of fixtures.transpose_matrices) assert.deepEqual(g.transposeMatrixTaps(m.rows, m.cols), m.taps);
});

test("output_padding rows are the last ones", () => {
  const axis = { size: 3, kernel: 3, stride: 2, padBefore: 1, padAfter: 1, dilation: 1, outputPadding: 1 };
  assert.equal(g.transposeOutputSize(axis), 6);
  assert.deepEqual(g.outputPaddingRows(axis), [5]);
});
