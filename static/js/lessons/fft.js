// A convolution by the convolution theorem, small enough to read: a radix-2 complex FFT (1-D, applied to the
// rows and then the columns of a 2-D grid), torch's conv2d by the direct loop, and the same conv2d as
// FFT → pointwise product → inverse FFT with every intermediate grid kept for the page to draw.
// Grids are arrays of rows of numbers (float64); complex grids are {re, im}, two such grids.

export function nextPow2(n) {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

// In place: re/im (arrays of length n, a power of two) become their DFT X[f] = Σ x[t]·e^(−2πi·f·t/n), or with
// `inverse` the inverse DFT (e^(+…) and divided by n). Iterative Cooley–Tukey: bit-reversal, then butterflies.
export function fft(re, im, inverse = false) {
  const n = re.length;
  if (n !== nextPow2(n)) throw new Error(`fft needs a power of two, not ${n}: zero-pad to ${nextPow2(n)}`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  const sign = inverse ? 1 : -1;
  for (let len = 2; len <= n; len *= 2) {
    const angle = (sign * 2 * Math.PI) / len;
    for (let start = 0; start < n; start += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = start + k;
        const b = a + len / 2;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[i] /= n;
      im[i] /= n;
    }
  }
}

// The 2-D DFT of a complex grid {re, im} (a new grid): every row's FFT, then every column's.
export function fft2({ re, im }, inverse = false) {
  const rows = re.length;
  const cols = re[0].length;
  const out = { re: re.map((row) => [...row]), im: im.map((row) => [...row]) };
  for (let r = 0; r < rows; r++) fft(out.re[r], out.im[r], inverse);
  for (let c = 0; c < cols; c++) {
    const colRe = out.re.map((row) => row[c]);
    const colIm = out.im.map((row) => row[c]);
    fft(colRe, colIm, inverse);
    for (let r = 0; r < rows; r++) {
      out.re[r][c] = colRe[r];
      out.im[r][c] = colIm[r];
    }
  }
  return out;
}

const zeros = (rows, cols) => Array.from({ length: rows }, () => new Array(cols).fill(0));

// `grid` written into a rows×cols grid of zeros at (top, left).
function placed(grid, rows, cols, top = 0, left = 0) {
  const out = zeros(rows, cols);
  grid.forEach((row, r) => row.forEach((v, c) => (out[top + r][left + c] = v)));
  return out;
}

// The kernel turned by 180°: k[kH−1−a][kW−1−b].
export const flipped = (kernel) => kernel.map((row) => [...row].reverse()).reverse();

export const magnitude = ({ re, im }) => re.map((row, r) => row.map((v, c) => Math.hypot(v, im[r][c])));

// torch.nn.functional.conv2d of one plane by one kernel, stride 1, zero padding p: a cross-correlation,
// out[i][j] = Σ_a Σ_b x[i + a − p][j + b − p]·k[a][b], of size (H + 2p − kH + 1) × (W + 2p − kW + 1).
export function conv2dDirect(x, kernel, padding = 0) {
  const [h, w] = [x.length, x[0].length];
  const [kh, kw] = [kernel.length, kernel[0].length];
  const at = (r, c) => (r >= 0 && r < h && c >= 0 && c < w ? x[r][c] : 0);
  return Array.from({ length: h + 2 * padding - kh + 1 }, (_, i) =>
    Array.from({ length: w + 2 * padding - kw + 1 }, (_, j) => {
      let sum = 0;
      for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) sum += at(i + a - padding, j + b - padding) * kernel[a][b];
      return sum;
    }),
  );
}

// The same conv2d by the convolution theorem, every stage kept. The FFT computes a convolution, so the kernel
// is flipped first (torch's conv2d is a cross-correlation); flip=false computes the true convolution instead.
// zeroPad (the right way): the input with its p zeros is placed in an N×N grid, N = nextPow2(H + 2p + kH − 1),
// large enough for the full linear convolution. zeroPad=false (the classic mistake): the grid is the input's
// own size, so the product of the spectra is a circular convolution and the borders wrap around.
// Output (i, j) is the convolution's entry (i + kH − 1 − p + top, …) taken modulo N (top = p with zeroPad).
export function conv2dFft(x, kernel, { padding = 0, zeroPad = true, flip = true } = {}) {
  const [h, w] = [x.length, x[0].length];
  const [kh, kw] = [kernel.length, kernel[0].length];
  const [rows, cols] = zeroPad ? [nextPow2(h + 2 * padding + kh - 1), nextPow2(w + 2 * padding + kw - 1)] : [h, w];
  if (!zeroPad && (rows !== nextPow2(rows) || cols !== nextPow2(cols))) throw new Error(`a ${h}×${w} input is not a power of two`);
  const top = zeroPad ? padding : 0;
  const input = placed(x, rows, cols, top, top);
  const turned = flip ? flipped(kernel) : kernel;
  const kernelGrid = placed(turned, rows, cols);
  const inputSpectrum = fft2({ re: input, im: zeros(rows, cols) });
  const kernelSpectrum = fft2({ re: kernelGrid, im: zeros(rows, cols) });
  const product = {
    re: inputSpectrum.re.map((row, r) => row.map((a, c) => a * kernelSpectrum.re[r][c] - inputSpectrum.im[r][c] * kernelSpectrum.im[r][c])),
    im: inputSpectrum.re.map((row, r) => row.map((a, c) => a * kernelSpectrum.im[r][c] + inputSpectrum.im[r][c] * kernelSpectrum.re[r][c])),
  };
  const inverse = fft2(product, true);
  const [outH, outW] = [h + 2 * padding - kh + 1, w + 2 * padding - kw + 1];
  const mod = (v, n) => ((v % n) + n) % n;
  const rowAt = (i) => mod(i + kh - 1 - padding + top, rows);
  const colAt = (j) => mod(j + kw - 1 - padding + top, cols);
  const output = Array.from({ length: outH }, (_, i) => Array.from({ length: outW }, (_, j) => inverse.re[rowAt(i)][colAt(j)]));
  const maxImag = Math.max(...inverse.im.flat().map(Math.abs));
  return { size: [rows, cols], input, kernel: turned, kernelGrid, inputSpectrum, kernelSpectrum, product, inverse, maxImag, output, rowAt, colAt };
}

export function maxAbsDifference(a, b) {
  let m = 0;
  a.forEach((row, r) => row.forEach((v, c) => (m = Math.max(m, Math.abs(v - b[r][c])))));
  return m;
}
