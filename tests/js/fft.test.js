import { test } from "node:test";
import assert from "node:assert/strict";
import { conv2dDirect, conv2dFft, fft, fft2, flipped, maxAbsDifference, nextPow2 } from "../../static/js/lessons/fft.js";
import { crossoverK, directMults, fftMults, fftSize } from "../../static/js/lessons/convcost.js";
import { mulberry32 } from "../../static/js/lessons/rng.js";

// The oracle: the DFT by its definition, O(n²).
function dft(re, im, inverse = false) {
  const n = re.length;
  const sign = inverse ? 1 : -1;
  const out = { re: [], im: [] };
  for (let f = 0; f < n; f++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const angle = (sign * 2 * Math.PI * f * t) / n;
      sr += re[t] * Math.cos(angle) - im[t] * Math.sin(angle);
      si += re[t] * Math.sin(angle) + im[t] * Math.cos(angle);
    }
    out.re.push(inverse ? sr / n : sr);
    out.im.push(inverse ? si / n : si);
  }
  return out;
}

const randomGrid = (rows, cols, seed) => {
  const uniform = mulberry32(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => 2 * uniform() - 1));
};
const closeArrays = (a, b, tol) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${i}: ${v} vs ${b[i]}`));

test("nextPow2 rounds up to a power of two", () => {
  assert.deepEqual([1, 2, 3, 5, 8, 9, 17].map(nextPow2), [1, 2, 4, 8, 8, 16, 32]);
});

test("the FFT equals the DFT by its definition, forward and inverse, for every power of two up to 64", () => {
  for (const n of [1, 2, 4, 8, 16, 32, 64]) {
    const [re, im] = randomGrid(2, n, n);
    const want = dft(re, im);
    const gotRe = [...re];
    const gotIm = [...im];
    fft(gotRe, gotIm);
    closeArrays(gotRe, want.re, 1e-12 * n);
    closeArrays(gotIm, want.im, 1e-12 * n);
    fft(gotRe, gotIm, true);
    closeArrays(gotRe, re, 1e-14 * n);
    closeArrays(gotIm, im, 1e-14 * n);
  }
});

test("the FFT refuses a length that is not a power of two and says what to pad to", () => {
  assert.throws(() => fft([1, 2, 3], [0, 0, 0]), /zero-pad to 4/);
});

test("fft2 is the DFT of every row, then of every column", () => {
  const x = randomGrid(4, 8, 7);
  const got = fft2({ re: x, im: x.map((row) => row.map(() => 0)) });
  const rows = x.map((row) => dft(row, row.map(() => 0)));
  for (let c = 0; c < 8; c++) {
    const column = dft(rows.map((r) => r.re[c]), rows.map((r) => r.im[c]));
    closeArrays(got.re.map((row) => row[c]), column.re, 1e-12);
    closeArrays(got.im.map((row) => row[c]), column.im, 1e-12);
  }
});

test("the direct conv2d is a cross-correlation with zero padding (hand-checked)", () => {
  const x = [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ];
  assert.deepEqual(conv2dDirect(x, [[1, 0], [0, -1]]), [[-4, -4], [-4, -4]]);
  assert.deepEqual(conv2dDirect(x, [[1]], 1)[0], [0, 0, 0, 0, 0]);
  assert.deepEqual(conv2dDirect(x, [[0, 0, 0], [0, 1, 0], [0, 0, 0]], 1), x);
});

test("the FFT route with zero padding equals the direct conv2d, odd and even sizes padded to a power of two", () => {
  for (const [h, w, kh, kw, p] of [[5, 7, 3, 3, 1], [8, 8, 3, 3, 1], [7, 3, 2, 3, 0], [16, 16, 7, 7, 3], [1, 1, 1, 1, 0], [6, 9, 4, 2, 2]]) {
    const x = randomGrid(h, w, h * 31 + w);
    const k = randomGrid(kh, kw, kh * 7 + kw);
    const fast = conv2dFft(x, k, { padding: p });
    assert.deepEqual(fast.size, [nextPow2(h + 2 * p + kh - 1), nextPow2(w + 2 * p + kw - 1)]);
    const direct = conv2dDirect(x, k, p);
    assert.deepEqual([fast.output.length, fast.output[0].length], [direct.length, direct[0].length]);
    assert.ok(maxAbsDifference(fast.output, direct) < 1e-12, `${h}×${w}, k ${kh}×${kw}, p ${p}`);
    assert.ok(fast.maxImag < 1e-12);
  }
});

test("without the flip the FFT route computes the true convolution, which is conv2d with the flipped kernel", () => {
  const x = randomGrid(8, 8, 1);
  const k = randomGrid(3, 3, 2);
  const convolution = conv2dFft(x, k, { padding: 1, flip: false }).output;
  assert.ok(maxAbsDifference(convolution, conv2dDirect(x, flipped(k), 1)) < 1e-12);
  assert.ok(maxAbsDifference(convolution, conv2dDirect(x, k, 1)) > 0.1);
});

test("without zero padding the result is circular: it equals conv2d of the input tiled around itself", () => {
  const x = randomGrid(8, 8, 3);
  const k = randomGrid(3, 3, 4);
  const circular = conv2dFft(x, k, { padding: 1, zeroPad: false });
  assert.deepEqual(circular.size, [8, 8]);
  const wrapped = Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => x[(r + 7) % 8][(c + 7) % 8]));
  assert.ok(maxAbsDifference(circular.output, conv2dDirect(wrapped, k)) < 1e-12);
  const direct = conv2dDirect(x, k, 1);
  assert.ok(maxAbsDifference(circular.output, direct) > 0.1);
  // the inner outputs never read past an edge, so only the border wraps
  const inner = (g) => g.slice(1, 7).map((row) => row.slice(1, 7));
  assert.ok(maxAbsDifference(inner(circular.output), inner(direct)) < 1e-12);
});

test("the multiplication counts: the lecture's 3×3 layer, and the FFT winning only for large kernels", () => {
  const layer = { side: 32, cin: 16, cout: 16 };
  assert.equal(directMults({ ...layer, k: 3 }), 2_359_296);
  assert.equal(fftSize(32, 3), 64);
  // 288 transforms of 4·64²·6 and 256·64² complex products of 4
  assert.equal(fftMults({ ...layer, k: 3 }), 288 * 98_304 + 4 * 256 * 4096);
  assert.ok(fftMults({ ...layer, k: 3 }) > directMults({ ...layer, k: 3 }));
  const k = crossoverK(layer, 31);
  assert.ok(k > 3 && k < 31, String(k));
  assert.ok(fftMults({ ...layer, k }) < directMults({ ...layer, k }));
  assert.ok(fftMults({ ...layer, k: k - 1 }) >= directMults({ ...layer, k: k - 1 }));
  assert.equal(crossoverK({ side: 4, cin: 1, cout: 1 }, 3), null);
});
