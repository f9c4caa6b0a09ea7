// Receptive-field geometry in the browser, from the r, S, P per axis that the API returns (Araujo et al.,
// Distill 2019): output index u sees input positions [u·S − P, u·S − P + r − 1]. Pure functions, so a click
// draws its box within one frame; tests/js/rfgeometry.test.js pins them to convcore through fixtures.

// A layer's receptive field {size: [rh, rw], stride: [Sh, Sw], padding: [Ph, Pw], global: [gh, gw]} along one
// axis (0 rows, 1 cols). `whole`: every output sees the whole input along it (after a global pooling or a
// linear layer, as the graph engine reports it): then `size` is the input's extent and no position matters.
export function axisField(rf, axis) {
  return { size: rf.size[axis], stride: rf.stride[axis], padding: rf.padding[axis], whole: Boolean(rf.global?.[axis]) };
}

// Whether the field sees the whole input along some axis.
export function isWhole(rf) {
  return Boolean(rf?.global?.[0] || rf?.global?.[1]);
}

export function interval(field, u) {
  if (field.whole) return [0, field.size - 1];
  const start = u * field.stride - field.padding;
  return [start, start + field.size - 1];
}

export function center(field, u) {
  if (field.whole) return (field.size - 1) / 2;
  return u * field.stride - field.padding + (field.size - 1) / 2;
}

// The part of [a, b] inside [0, length − 1]; null when it lies wholly in the padding.
export function clip([a, b], length) {
  const start = Math.max(a, 0);
  const end = Math.min(b, length - 1);
  return start <= end ? [start, end] : null;
}

function box(rows, cols) {
  return { top: rows[0], left: cols[0], bottom: rows[1], right: cols[1] };
}

// The input box of output (row, col), in the form of POST /receptive-field/region.
export function inputBox(rf, row, col, height, width) {
  const rows = interval(axisField(rf, 0), row);
  const cols = interval(axisField(rf, 1), col);
  const clippedRows = clip(rows, height);
  const clippedCols = clip(cols, width);
  return {
    unclipped: box(rows, cols),
    clipped: clippedRows && clippedCols ? box(clippedRows, clippedCols) : null,
    center: [center(axisField(rf, 0), row), center(axisField(rf, 1), col)],
  };
}

// The field of a later layer measured on an earlier layer's output (a map of `extent` = [height, width]) instead
// of the input: S = S_to / S_from, r = (r_to − r_from) / S_from + 1, P = (P_to − P_from) / S_from (exact integers
// for one chain); a whole axis stays whole, the whole of that map.
export function relativeField(to, from, extent) {
  const out = { size: [], stride: [], padding: [], global: [] };
  for (const axis of [0, 1]) {
    const s = from.stride[axis];
    const whole = Boolean(to.global?.[axis]);
    out.size.push(whole ? extent[axis] : (to.size[axis] - from.size[axis]) / s + 1);
    out.stride.push(to.stride[axis] / s);
    out.padding.push(whole ? 0 : (to.padding[axis] - from.padding[axis]) / s);
    out.global.push(whole);
  }
  return out;
}

// The box that unit (row, col) of a later layer (field `to`) covers on the map of an earlier layer (field
// `from`, map height × width).
export function boxOnMap(to, from, row, col, height, width) {
  return inputBox(relativeField(to, from, [height, width]), row, col, height, width);
}

// The map pixel under a pointer at (x, y) on an element drawn w × h pixels for a map of height × width.
export function unitAt(x, y, w, h, height, width) {
  const row = Math.min(height - 1, Math.max(0, Math.floor((y / h) * height)));
  const col = Math.min(width - 1, Math.max(0, Math.floor((x / w) * width)));
  return { row, col };
}

function pick(value, axis) {
  return Array.isArray(value) ? value[axis] : value;
}

// What a layer dict does along one axis: {kernel, stride, padding (before), dilation}; null for layers after
// which no receptive field exists (transposed convolutions). `inputSize` sizes the global pooling windows.
export function axisWindow(layer, axis, inputSize) {
  const type = layer.type;
  if (type === "relu" || type === "batch_norm2d" || type === "dropout") {
    return { kernel: 1, stride: 1, padding: 0, dilation: 1 };
  }
  if (type === "global_avg_pool2d" || type === "linear") {
    return { kernel: inputSize, stride: 1, padding: 0, dilation: 1 };
  }
  if (type === "conv_transpose2d") return null;
  const kernel = pick(layer.kernel_size, axis);
  const dilation = pick(layer.dilation ?? 1, axis);
  const defaultStride = type === "conv2d" ? 1 : layer.kernel_size;
  const stride = pick(layer.stride ?? defaultStride, axis);
  let padding = layer.padding ?? 0;
  if (padding === "valid") padding = 0;
  else if (padding === "same") padding = Math.floor((dilation * (kernel - 1)) / 2);
  else padding = pick(padding, axis);
  return { kernel, stride, padding, dilation };
}

// The Distill cone along one axis: for output position u of the last window, the positions of every level
// (level 0 is the input, level i the output of window i − 1, `sizes[i]` long) that feed it, with dilation's
// holes. Positions below 0 or past the level's size are padding: they are listed but feed nothing further.
export function cone(windows, sizes, u) {
  const levels = [[u]];
  for (let i = windows.length - 1; i >= 0; i--) {
    const { kernel, stride, padding, dilation } = windows[i];
    const seen = new Set();
    for (const o of levels[0]) {
      if (o < 0 || o >= sizes[i + 1]) continue;
      for (let j = 0; j < kernel; j++) seen.add(o * stride - padding + j * dilation);
    }
    levels.unshift([...seen].sort((a, b) => a - b));
  }
  return levels;
}
