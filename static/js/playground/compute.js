// The multiply-and-sum of one animation step, computed in the page so every frame can show it at once.
// The server's trace (server.js) is the authority: its sums are checked against these and shown beside them.
import { isPadding, isPast, scatterTargets, sourceIndex, windowCount, windowInput } from "./geometry.js";

// Flat indices of the NCHW-style arrays kept in the state (batch of one).
const at3 = (c, i, j, h, w) => (c * h + i) * w + j;
const at4 = (o, c, i, j, d1, kh, kw) => ((o * d1 + c) * kh + i) * kw + j;

// Output position of step `step` in conv/pool modes: channel-major, then rows, then columns.
export function outputPosition(layer, step) {
  const per = layer.outH * layer.outW;
  const oc = Math.floor(step / per);
  const rest = step % per;
  return { oc, oh: Math.floor(rest / layer.outW), ow: rest % layer.outW };
}

export function stepOfOutput(layer, oc, oh, ow) {
  return (oc * layer.outH + oh) * layer.outW + ow;
}

// Input cell of step `step` in the transposed scatter view.
export function inputPosition(layer, step) {
  const per = layer.rows.size * layer.cols.size;
  const ic = Math.floor(step / per);
  const rest = step % per;
  return { ic, ih: Math.floor(rest / layer.cols.size), iw: rest % layer.cols.size };
}

// One sliding-window step: every tap of every input channel in the group, its product and the sum.
// A padded cell holds what the padding mode puts there (zeros, or the input cell it copies); max pooling reads
// padding as −∞ (torch pads max pooling that way), avg pooling as 0. A ceil_mode window's taps past the padded
// input (`past`) count for nothing: not in the max, not in the average's divisor.
export function windowStep(layer, values, step) {
  const { oc, oh, ow } = outputPosition(layer, step);
  const { rows, cols } = layer;
  const group = Math.floor(oc / layer.coutPerGroup);
  const channels = layer.pool ? [oc] : Array.from({ length: layer.cinPerGroup }, (_, c) => group * layer.cinPerGroup + c);
  const rowTaps = windowInput(rows, oh);
  const colTaps = windowInput(cols, ow);
  const outside = layer.mode === "maxpool" ? -Infinity : 0;
  const terms = [];
  for (const c of channels) {
    rowTaps.forEach((ih, a) => {
      const sr = sourceIndex(rows, ih);
      colTaps.forEach((iw, b) => {
        const sc = sourceIndex(cols, iw);
        const pad = isPadding(rows, ih) || isPadding(cols, iw);
        const past = isPast(rows, ih) || isPast(cols, iw);
        const x = sr < 0 || sc < 0 ? outside : values.x[at3(c, sr, sc, rows.size, cols.size)];
        const term = { c, a, b, ih, iw, pad, past, x };
        if (pad && sr >= 0 && sc >= 0) term.source = [sr, sc];
        if (!layer.pool) {
          const fa = layer.flip ? rows.kernel - 1 - a : a;
          const fb = layer.flip ? cols.kernel - 1 - b : b;
          term.ka = fa;
          term.kb = fb;
          term.w = values.wt[at4(oc, c - group * layer.cinPerGroup, fa, fb, layer.cinPerGroup, rows.kernel, cols.kernel)];
          term.product = x * term.w;
        }
        terms.push(term);
      });
    });
  }
  const result = { oc, oh, ow, group, channels, terms, bias: layer.bias ? values.b[oc] : 0 };
  if (layer.mode === "maxpool") {
    result.winner = terms.reduce((best, t, n) => (t.x > terms[best].x ? n : best), 0);
    result.value = terms[result.winner].x;
  } else if (layer.mode === "avgpool") {
    result.sum = terms.reduce((acc, t) => acc + t.x, 0);
    result.count = windowCount(rows, cols, oh, ow);
    result.value = result.sum / result.count;
  } else {
    result.sum = terms.reduce((acc, t) => acc + t.product, 0);
    result.value = result.sum + result.bias;
  }
  return result;
}

// One scatter step of a transposed convolution: input cell × every kernel tap, added to the outputs it hits.
export function scatterStep(layer, values, step) {
  const { ic, ih, iw } = inputPosition(layer, step);
  const { rows, cols } = layer;
  const group = Math.floor(ic / layer.cinPerGroup);
  const x = values.x[at3(ic, ih, iw, rows.size, cols.size)];
  const targets = [];
  for (let o = 0; o < layer.coutPerGroup; o++) {
    const oc = group * layer.coutPerGroup + o;
    for (const h of scatterTargets(rows, ih)) {
      for (const v of scatterTargets(cols, iw)) {
        const w = values.wt[at4(ic, o, h.tap, v.tap, layer.coutPerGroup, rows.kernel, cols.kernel)];
        targets.push({ oc, oh: h.out, ow: v.out, a: h.tap, b: v.tap, w, product: x * w });
      }
    }
  }
  return { ic, ih, iw, x, group, targets };
}

// The output map after steps 0…upTo (inclusive); bias is added from the start, as torch's result holds it.
export function scatterOutput(layer, values, upTo = layer.steps - 1) {
  const out = new Float64Array(layer.cout * layer.outH * layer.outW);
  if (layer.bias) for (let oc = 0; oc < layer.cout; oc++) out.fill(values.b[oc], oc * layer.outH * layer.outW, (oc + 1) * layer.outH * layer.outW);
  for (let step = 0; step <= upTo; step++) {
    for (const t of scatterStep(layer, values, step).targets) out[at3(t.oc, t.oh, t.ow, layer.outH, layer.outW)] += t.product;
  }
  return out;
}

// The input index each position of the padded axis holds (−1 for a zero or the overhang), as far as the last
// window reaches: windowPadded's taps are o·stride + t·dilation.
function paddedSources(axis, outputs) {
  const length = (outputs - 1) * axis.stride + (axis.kernel - 1) * axis.dilation + 1;
  return Int32Array.from({ length }, (_, q) => sourceIndex(axis, q - axis.padBefore));
}

// Every channel's padded input, filled once per output map (what F.pad puts in each cell, `outside` where no
// input cell is copied), so the window loops read one typed array without bounds or padding checks. The
// planes are only read while the map is computed: one buffer, which only grows, serves every map.
let planeBuffer = new Float64Array(0);

function paddedPlanes(input, channels, layer, rowSources, colSources, outside) {
  const height = rowSources.length;
  const width = colSources.length;
  if (planeBuffer.length < channels * height * width) planeBuffer = new Float64Array(channels * height * width);
  const planes = planeBuffer;
  for (let c = 0; c < channels; c++) {
    for (let q = 0; q < height; q++) {
      const sr = rowSources[q];
      const at = (c * height + q) * width;
      for (let p = 0; p < width; p++) {
        const sc = colSources[p];
        planes[at + p] = sr < 0 || sc < 0 ? outside : input[at3(c, sr, sc, layer.rows.size, layer.cols.size)];
      }
    }
  }
  return planes;
}

// The kernel of output channel `oc` as applied tap by tap (flipped when the layer flips), one input channel
// of its group after another, written into `kernel`.
function appliedKernel(layer, wt, oc, kernel) {
  const kh = layer.rows.kernel;
  const kw = layer.cols.kernel;
  for (let local = 0; local < layer.cinPerGroup; local++) {
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const fa = layer.flip ? kh - 1 - a : a;
        const fb = layer.flip ? kw - 1 - b : b;
        kernel[(local * kh + a) * kw + b] = wt[at4(oc, local, fa, fb, layer.cinPerGroup, kh, kw)];
      }
    }
  }
  return kernel;
}

// Where each tap of a window sits in the padded planes relative to the window's first tap, in the kernel's
// order (channel, row, column).
function tapOffsets(layer, channels, planeSize, width) {
  const { rows, cols } = layer;
  const offsets = new Int32Array(channels * rows.kernel * cols.kernel);
  let tap = 0;
  for (let c = 0; c < channels; c++) {
    for (let a = 0; a < rows.kernel; a++) {
      for (let b = 0; b < cols.kernel; b++) offsets[tap++] = c * planeSize + a * rows.dilation * width + b * cols.dilation;
    }
  }
  return offsets;
}

// How many taps of each window along one axis fall inside the padded input (windowCount's factors): an
// average's divisor is the product of its row's and its column's count.
function insideCounts(axis, outputs) {
  return Int32Array.from({ length: outputs }, (_, o) => windowInput(axis, o).filter((i) => !isPast(axis, i)).length);
}

// One output channel's map `out` (outH·outW from `at`): each window's taps from `first` (the padded planes'
// offset of the channel's first input) at `offsets`, multiplied by `kernel` and summed or (kernel null) their
// max or plain sum. Tap by tap over the whole map, so the inner loop runs along a row; every window still adds
// (or compares) its taps in the kernel's order, starting from 0 (−∞ for a max), the bits of windowStep's sum.
function channelMap(out, at, planes, first, offsets, kernel, max, shape) {
  const { outH, outW, rowStep, colStep } = shape;
  out.fill(max ? -Infinity : 0, at, at + outH * outW);
  for (let t = 0; t < offsets.length; t++) {
    const w = kernel ? kernel[t] : 1;
    for (let oh = 0; oh < outH; oh++) {
      let read = first + oh * rowStep + offsets[t];
      const row = at + oh * outW;
      if (max) {
        for (let ow = 0; ow < outW; ow++, read += colStep) out[row + ow] = Math.max(out[row + ow], planes[read]);
      } else if (kernel) {
        for (let ow = 0; ow < outW; ow++, read += colStep) out[row + ow] += planes[read] * w;
      } else {
        for (let ow = 0; ow < outW; ow++, read += colStep) out[row + ow] += planes[read];
      }
    }
  }
}

// The whole output map at once: the same taps as windowStep, over padded typed arrays, so a 4-channel 32×32
// layer with a 7×7 kernel stays well inside one frame.
export function windowOutput(layer, values) {
  const { outH, outW, pool, rows, cols } = layer;
  const max = layer.mode === "maxpool";
  const rowSources = paddedSources(rows, outH);
  const colSources = paddedSources(cols, outW);
  const planes = paddedPlanes(values.x, layer.cin, layer, rowSources, colSources, max ? -Infinity : 0);
  const width = colSources.length;
  const planeSize = rowSources.length * width;
  const offsets = tapOffsets(layer, pool ? 1 : layer.cinPerGroup, planeSize, width);
  const shape = { outH, outW, rowStep: rows.stride * width, colStep: cols.stride };
  const kernel = pool ? null : new Float64Array(offsets.length);
  const average = layer.mode === "avgpool";
  const rowCounts = average ? insideCounts(rows, outH) : null;
  const colCounts = average ? insideCounts(cols, outW) : null;
  const out = new Float64Array(layer.cout * outH * outW);
  for (let oc = 0; oc < layer.cout; oc++) {
    const first = pool ? oc : Math.floor(oc / layer.coutPerGroup) * layer.cinPerGroup;
    const at = oc * outH * outW;
    channelMap(out, at, planes, first * planeSize, offsets, kernel && appliedKernel(layer, values.wt, oc, kernel), max, shape);
    const bias = !pool && layer.bias ? values.b[oc] : 0;
    // a convolution's sums are never −0, so adding a zero bias would change nothing: the pass is skipped
    if (average || max || bias !== 0) finishMap(out, at, outH, outW, bias, rowCounts, colCounts);
  }
  return out;
}

// An output channel's map divided by each window's count (an average; rowCounts null otherwise), then its bias
// added: a pool's map still gets its zero, which turns a −0 there into 0 as before.
function finishMap(out, at, outH, outW, bias, rowCounts, colCounts) {
  for (let oh = 0, n = at; oh < outH; oh++) {
    for (let ow = 0; ow < outW; ow++, n++) {
      if (rowCounts) out[n] /= rowCounts[oh] * colCounts[ow];
      out[n] += bias;
    }
  }
}

// The zero-insertion view of a transposed convolution as an ordinary convolution layer with its own arrays:
// zeros between input cells, padding d·(k − 1) − p (+ output_padding after), the kernel flipped and its
// in/out channel axes swapped (torch stores a transposed weight as (C_in, C_out/g, kH, kW)).
export function zeroInsertionLayer(layer, values) {
  const rows = layer.zeroRows;
  const cols = layer.zeroCols;
  const { kernel: kh } = layer.rows;
  const { kernel: kw } = layer.cols;
  const x = new Array(layer.cin * rows.size * cols.size).fill(0);
  const inserted = new Uint8Array(x.length).fill(1);
  for (let c = 0; c < layer.cin; c++) {
    for (let i = 0; i < layer.rows.size; i++) {
      for (let j = 0; j < layer.cols.size; j++) {
        const n = at3(c, i * layer.rows.stride, j * layer.cols.stride, rows.size, cols.size);
        x[n] = values.x[at3(c, i, j, layer.rows.size, layer.cols.size)];
        inserted[n] = 0;
      }
    }
  }
  const wt = new Array(layer.cout * layer.cinPerGroup * kh * kw);
  for (let oc = 0; oc < layer.cout; oc++) {
    const group = Math.floor(oc / layer.coutPerGroup);
    for (let c = 0; c < layer.cinPerGroup; c++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const source = at4(group * layer.cinPerGroup + c, oc - group * layer.coutPerGroup, kh - 1 - a, kw - 1 - b, layer.coutPerGroup, kh, kw);
          wt[at4(oc, c, a, b, layer.cinPerGroup, kh, kw)] = values.wt[source];
        }
      }
    }
  }
  const conv = { ...layer, mode: "conv", transposed: false, rows, cols, flip: false };
  conv.steps = layer.cout * layer.outH * layer.outW;
  return { layer: conv, values: { x, wt, b: values.b }, inserted };
}
