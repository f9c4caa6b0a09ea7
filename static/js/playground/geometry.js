// Pure geometry of one convolution axis, mirroring convcore.arithmetic.shapes: output sizes, windows, padding, the cells
// the floor leaves unread, transposed scatter targets, the convolution matrix and the im2col layout.
// Everything is integer arithmetic; a 2-D layer applies these per axis (height and width separately).
// tests/js/geometry.test.js checks every function against fixtures written by convcore and torch.

// An axis: {size, kernel, stride, padBefore, padAfter, dilation}; transposed axes add outputPadding, pooling
// axes may set ceil (ceil_mode), convolution axes padMode (torch's padding_mode, "zeros" when absent).
export function span(axis) {
  return axis.dilation * (axis.kernel - 1) + 1;
}

// o = ⌊(i + p_before + p_after − d·(k − 1) − 1)/s⌋ + 1; 0 when the kernel does not fit. With ceil_mode
// (pooling) ⌈…⌉ instead, minus the last window when it would start in the right padding, as torch does.
export function convOutputSize(axis) {
  const padded = axis.size + axis.padBefore + axis.padAfter;
  if (span(axis) > padded) return 0;
  if (!axis.ceil) return Math.floor((padded - span(axis)) / axis.stride) + 1;
  const out = Math.ceil((padded - span(axis)) / axis.stride) + 1;
  return (out - 1) * axis.stride >= axis.size + axis.padBefore ? out - 1 : out;
}

// o = (i − 1)·s − 2p + d·(k − 1) + output_padding + 1 (torch's ConvTranspose2d).
export function transposeOutputSize(axis) {
  return (axis.size - 1) * axis.stride - 2 * axis.padBefore + span(axis) - 1 + axis.outputPadding + 1;
}

// The last window's end, as a padded position: past the padded input when a ceil_mode window hangs over.
function windowsEnd(axis) {
  return (convOutputSize(axis) - 1) * axis.stride + span(axis);
}

// Padded positions past the last window: what the floor drops (padding or real input); 0 with ceil_mode's
// overhanging window.
export function unusedInput(axis) {
  return Math.max(0, axis.size + axis.padBefore + axis.padAfter - windowsEnd(axis));
}

// Positions a ceil_mode window reads past the padded input (they count for nothing, not even as padding).
export function overhang(axis) {
  return Math.max(0, windowsEnd(axis) - (axis.size + axis.padBefore + axis.padAfter));
}

// The drawn length of an axis: padding, input, padding and any overhang.
export function drawnLength(axis) {
  return axis.size + axis.padBefore + axis.padAfter + overhang(axis);
}

// The padded positions read by output index o, one per kernel tap: o·s + t·d.
export function windowPadded(axis, o) {
  const taps = [];
  for (let t = 0; t < axis.kernel; t++) taps.push(o * axis.stride + t * axis.dilation);
  return taps;
}

// The same taps as input indices (−1 … or ≥ size means the tap reads padding).
export function windowInput(axis, o) {
  return windowPadded(axis, o).map((q) => q - axis.padBefore);
}

export function isPadding(axis, inputIndex) {
  return inputIndex < 0 || inputIndex >= axis.size;
}

export function isPast(axis, inputIndex) {
  return inputIndex >= axis.size + axis.padAfter;
}

// The input index whose value a position holds after torch's F.pad in the axis' padding mode, or −1 for a
// zero (zero padding, and the overhang of a ceil_mode window).
export function sourceIndex(axis, inputIndex) {
  const n = axis.size;
  if (inputIndex >= 0 && inputIndex < n) return inputIndex;
  if (inputIndex < -axis.padBefore || isPast(axis, inputIndex)) return -1;
  switch (axis.padMode) {
    case "reflect":
      return inputIndex < 0 ? -inputIndex : 2 * (n - 1) - inputIndex;
    case "replicate":
      return inputIndex < 0 ? 0 : n - 1;
    case "circular":
      return ((inputIndex % n) + n) % n;
    default:
      return -1;
  }
}

// Every (output index, tap) that reads input index x: o·s + t·d − p_before = x.
export function feeds(axis, x) {
  const out = convOutputSize(axis);
  const hits = [];
  for (let t = 0; t < axis.kernel; t++) {
    const rest = x + axis.padBefore - t * axis.dilation;
    if (rest >= 0 && rest % axis.stride === 0 && rest / axis.stride < out) hits.push({ out: rest / axis.stride, tap: t });
  }
  return hits;
}

// Transposed convolution: input index x, tap t lands on output x·s + t·d − p (dropped outside [0, o)).
export function scatterTargets(axis, x) {
  const out = transposeOutputSize(axis);
  const hits = [];
  for (let t = 0; t < axis.kernel; t++) {
    const target = x * axis.stride + t * axis.dilation - axis.padBefore;
    if (target >= 0 && target < out) hits.push({ out: target, tap: t });
  }
  return hits;
}

// The output rows that output_padding appends: the last output_padding indices.
export function outputPaddingRows(axis) {
  const out = transposeOutputSize(axis);
  const rows = [];
  for (let r = out - axis.outputPadding; r < out; r++) rows.push(r);
  return rows;
}

// The ordinary convolution equivalent to a transposed one: insert s − 1 zeros between inputs, pad by
// d·(k − 1) − p on each side (plus output_padding after), stride 1, same dilation, kernel flipped.
export function zeroInsertionAxis(axis) {
  const pad = axis.dilation * (axis.kernel - 1) - axis.padBefore;
  return {
    size: (axis.size - 1) * axis.stride + 1,
    kernel: axis.kernel,
    stride: 1,
    padBefore: pad,
    padAfter: pad + axis.outputPadding,
    dilation: axis.dilation,
  };
}

// Taps of window (oh, ow) that lie within the padded input: avg pooling's divisor (count_include_pad), which a
// ceil_mode window hanging past the padded input makes smaller.
export function windowCount(rows, cols, oh, ow) {
  const inside = (axis, o) => windowInput(axis, o).filter((i) => !isPast(axis, i)).length;
  return inside(rows, oh) * inside(cols, ow);
}

// What the convolution matrix of one (output channel, input channel) pair reads: for row r = oh·W_out + ow,
// the pairs [column c = ih·W + iw, flat kernel tap a·kW + b] of every tap whose padded cell holds input c.
// Zero padding reads nothing; reflect, replicate and circular padding read the input cell they copy, so one
// column may be read by several taps (its matrix entry is then the sum of their weights).
// With flip, tap (a, b) applies weight (kH − 1 − a, kW − 1 − b) of the stored kernel.
export function convMatrixReads(rows, cols, flip = false) {
  const hOut = convOutputSize(rows);
  const wOut = convOutputSize(cols);
  const matrix = [];
  for (let oh = 0; oh < hOut; oh++) {
    const sourceRows = windowInput(rows, oh).map((i) => sourceIndex(rows, i));
    for (let ow = 0; ow < wOut; ow++) {
      const sourceCols = windowInput(cols, ow).map((i) => sourceIndex(cols, i));
      const reads = [];
      sourceRows.forEach((ih, a) => {
        if (ih < 0) return;
        sourceCols.forEach((iw, b) => {
          if (iw < 0) return;
          const ka = flip ? rows.kernel - 1 - a : a;
          const kb = flip ? cols.kernel - 1 - b : b;
          reads.push([ih * cols.size + iw, ka * cols.kernel + kb]);
        });
      });
      matrix.push(reads);
    }
  }
  return matrix;
}

// The im2col patch matrix layout for one input channel: row r = oh·W_out + ow, column a·kW + b, entry the
// flat input index ih·W + iw whose value the tap reads (a copy's source in reflect, replicate or circular
// padding), or −1 where the tap reads a zero.
export function im2colIndices(rows, cols) {
  const hOut = convOutputSize(rows);
  const wOut = convOutputSize(cols);
  const matrix = [];
  for (let oh = 0; oh < hOut; oh++) {
    for (let ow = 0; ow < wOut; ow++) {
      const row = [];
      for (const ih of windowInput(rows, oh)) {
        const sr = sourceIndex(rows, ih);
        for (const iw of windowInput(cols, ow)) {
          const sc = sourceIndex(cols, iw);
          row.push(sr < 0 || sc < 0 ? -1 : sr * cols.size + sc);
        }
      }
      matrix.push(row);
    }
  }
  return matrix;
}

// Scatter matrix of a transposed convolution: entry [r][c] = 1 + tap with which input c reaches output r.
// It equals the transpose of the convolution matrix of the matching forward convolution.
export function transposeMatrixTaps(rows, cols) {
  const hOut = transposeOutputSize(rows);
  const wOut = transposeOutputSize(cols);
  const matrix = Array.from({ length: hOut * wOut }, () => new Array(rows.size * cols.size).fill(0));
  for (let ih = 0; ih < rows.size; ih++) {
    for (let iw = 0; iw < cols.size; iw++) {
      for (const h of scatterTargets(rows, ih)) {
        for (const w of scatterTargets(cols, iw)) {
          matrix[h.out * wOut + w.out][ih * cols.size + iw] = 1 + h.tap * cols.kernel + w.tap;
        }
      }
    }
  }
  return matrix;
}
