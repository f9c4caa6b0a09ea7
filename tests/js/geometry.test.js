import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as g from "../../static/js/playground/geometry.js";

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/geometry.json", import.meta.url)));

test("conv output size and unread rows equal convcore.shapes", () => {
  for (const c of fixtures.conv) {
    assert.equal(g.convOutputSize(c.axis), c.output_size, JSON.stringify(c.axis));
    if (c.output_size > 0) {
      assert.equal(g.unusedInput(c.axis), c.unused_input, JSON.stringify(c.axis));
    }
  }
});

test("pooling without ceil_mode uses the conv formula (convcore.shapes.pool_output_size)", () => {
  for (const c of fixtures.pool) assert.equal(g.convOutputSize(c.axis), c.output_size, JSON.stringify(c.axis));
});

test("transposed output size equals convcore.shapes, and the zero-insertion conv gives the same size", () => {
  for (const c of fixtures.transpose) {
    assert.equal(g.transposeOutputSize(c.axis), c.output_size, JSON.stringify(c.axis));
    if (c.axis.padBefore <= c.axis.dilation * (c.axis.kernel - 1)) {
      assert.equal(g.convOutputSize(g.zeroInsertionAxis(c.axis)), c.output_size, JSON.stringify(c.axis));
    }
  }
});

test("the convolution matrix equals the one measured by convolving one-hot inputs in convcore", () => {
  for (const m of fixtures.matrices) assert.deepEqual(g.convMatrixTaps(m.rows, m.cols, m.flip), m.taps);
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
