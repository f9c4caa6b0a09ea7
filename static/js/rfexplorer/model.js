// The explorer's state properties and the pure derivations the views draw from: which layer is chosen,
// the cone's levels, the r/S series, the dilated comparison stacks.
import { axisField, axisWindow, cone } from "../common/rfgeometry.js";

export const SAMPLES = ["house", "checkerboard", "circle", "text", "landscape"];
export const CUSTOM = "custom";
export const DEFAULT_STACK = [
  { type: "conv2d", out_channels: 16, kernel_size: 3, padding: 1 },
  { type: "relu" },
  { type: "max_pool2d", kernel_size: 2 },
  { type: "conv2d", out_channels: 32, kernel_size: 3, padding: 1 },
  { type: "relu" },
  { type: "max_pool2d", kernel_size: 2 },
  { type: "conv2d", out_channels: 64, kernel_size: 3, padding: 2, dilation: 2 },
];

// The page's state properties within its limits ({size, dl}: {min, max}, app/limits.py).
export function explorerProps(limits) {
  return [
    { key: "arch", type: "string", default: "vgg16" },
    { key: "size", type: "int", default: 224, ...limits.size },
    { key: "stack", type: "string", default: JSON.stringify(DEFAULT_STACK) },
    // −1: the default layer (the last one that still has a spatial map).
    { key: "layer", type: "int", default: -1, min: -1, max: 1000 },
    { key: "u", type: "int", default: -1, min: -1, max: 100000 },
    { key: "row", type: "int", default: -1, min: -1, max: 100000 },
    { key: "col", type: "int", default: -1, min: -1, max: 100000 },
    { key: "sample", type: "enum", values: SAMPLES, default: "landscape" },
    { key: "log", type: "bool", default: false },
    { key: "dl", type: "int", default: 4, ...limits.dl },
  ];
}

// The quick-add buttons of the custom stack.
export const QUICK_LAYERS = {
  conv3: { type: "conv2d", out_channels: 16, kernel_size: 3, padding: 1 },
  conv3d2: { type: "conv2d", out_channels: 16, kernel_size: 3, padding: 2, dilation: 2 },
  conv5s2: { type: "conv2d", out_channels: 16, kernel_size: 5, stride: 2, padding: 2 },
  pool2: { type: "max_pool2d", kernel_size: 2 },
  pool3s2: { type: "max_pool2d", kernel_size: 3, stride: 2, padding: 1 },
};

export function parseStack(text) {
  try {
    const stack = JSON.parse(text);
    if (Array.isArray(stack) && stack.length > 0 && stack.every((l) => l && typeof l.type === "string")) return stack;
  } catch {
    // fall through
  }
  return structuredClone(DEFAULT_STACK);
}

const PASS_THROUGH = new Set(["relu", "batch_norm2d", "dropout"]);

// The default layer: the last convolution or pooling that still has a map larger than 1×1.
function drawable(row) {
  const spatial = row.output && (row.output.height > 1 || row.output.width > 1);
  return Boolean(row.receptive_field && spatial && !PASS_THROUGH.has(row.type));
}

export function chosenLayer(report, wanted) {
  const rows = report.layers;
  if (wanted >= 0 && wanted < rows.length && rows[wanted].receptive_field && rows[wanted].output) return wanted;
  for (let i = rows.length - 1; i >= 0; i--) if (drawable(rows[i])) return i;
  return rows.findIndex((r) => r.receptive_field && r.output);
}

// The cone's levels along the height axis for output u of layer `chosen`: the input, then every layer up to it
// that changes the geometry (pass-through layers repeat the level below and are left out).
export function coneLevels(stack, report, chosen, u, inputLabel) {
  const sizes = [report.input.height];
  const windows = [];
  for (let i = 0; i <= chosen; i++) {
    windows.push(axisWindow(stack[i], 0, sizes[i]));
    sizes.push(report.layers[i].output.height);
  }
  const positions = cone(windows, sizes, u);
  const levels = [{ label: `${inputLabel} (${sizes[0]})`, size: sizes[0], field: { size: 1, stride: 1, padding: 0 }, positions: positions[0] }];
  for (let i = 0; i <= chosen; i++) {
    const w = windows[i];
    if (i < chosen && w.kernel === 1 && w.stride === 1 && w.padding === 0) continue;
    const row = report.layers[i];
    levels.push({
      label: `${i}. ${row.name || row.type} (${sizes[i + 1]})`,
      size: sizes[i + 1],
      field: axisField(row.receptive_field, 0),
      positions: positions[i + 1],
    });
  }
  return levels;
}

// r and S (height axis) against the layer number, for the layers that have a receptive field. A layer that sees
// the whole input along the height (a global pooling, a linear layer) goes to `whole`, not to `r`: its r is the
// input's height, which can be less than a deep layer's r (ResNet-18: 435, then 224 after the pooling), and
// the r line must not seem to shrink.
export function growthSeries(report) {
  const r = [];
  const s = [];
  const whole = [];
  report.layers.forEach((row, i) => {
    const rf = row.receptive_field;
    if (!rf) return;
    (rf.global?.[0] ? whole : r).push({ x: i + 1, y: rf.size[0] });
    s.push({ x: i + 1, y: rf.stride[0] });
  });
  return { r, s, whole };
}

// L convolutions 3×3 with `channels` channels: plain, or with dilation 1, 2, 4, … and padding = dilation.
export function comparisonStacks(layers, channels = 16) {
  const conv = (d) => ({ type: "conv2d", out_channels: channels, kernel_size: 3, padding: d, dilation: d });
  return {
    plain: Array.from({ length: layers }, () => conv(1)),
    dilated: Array.from({ length: layers }, (_, i) => conv(2 ** i)),
  };
}
