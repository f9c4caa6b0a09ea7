// The playground's one state object: a typed property list that round-trips through the URL
// (common/urlstate.js), the seeded default values, and the layer it describes (per-axis geometry).
import { readState, serializeState } from "../common/urlstate.js";
import { convOutputSize, transposeOutputSize, zeroInsertionAxis } from "./geometry.js";

export const MODES = ["conv", "transposed", "maxpool", "avgpool"];
// torch's Conv2d padding_mode values: what the padding ring holds (ConvTranspose2d and the pools pad with zeros,
// max pooling with −∞).
export const PADDING_MODES = ["zeros", "reflect", "replicate", "circular"];

// Every hyper-parameter that may differ per axis has an h and a w key; `axes` unlinks them. limits: the page's
// bounds as the server renders them (app/limits.py, common/limits.js).
function scalarProps(limits) {
  const max = (key) => limits[key].max;
  return [
    { key: "mode", type: "enum", default: "conv", values: MODES },
    { key: "h", type: "int", default: 5, min: 1, max: max("size") },
    { key: "w", type: "int", default: 5, min: 1, max: max("size") },
    { key: "cin", type: "int", default: 1, min: 1, max: max("channels") },
    { key: "cout", type: "int", default: 1, min: 1, max: max("channels") },
    { key: "axes", type: "bool", default: false },
    { key: "kh", type: "int", default: 3, min: 1, max: max("kernel") },
    { key: "kw", type: "int", default: 3, min: 1, max: max("kernel") },
    { key: "sh", type: "int", default: 2, min: 1, max: max("stride") },
    { key: "sw", type: "int", default: 2, min: 1, max: max("stride") },
    { key: "ph", type: "int", default: 1, min: 0, max: max("padding") },
    { key: "pw", type: "int", default: 1, min: 0, max: max("padding") },
    { key: "dh", type: "int", default: 1, min: 1, max: max("dilation") },
    { key: "dw", type: "int", default: 1, min: 1, max: max("dilation") },
    { key: "oph", type: "int", default: 0, min: 0, max: max("stride") - 1 },
    { key: "opw", type: "int", default: 0, min: 0, max: max("stride") - 1 },
    { key: "same", type: "bool", default: false },
    { key: "pmode", type: "enum", default: "zeros", values: PADDING_MODES },
    { key: "ceil", type: "bool", default: false },
    { key: "groups", type: "int", default: 1, min: 1, max: max("groups") },
    { key: "bias", type: "bool", default: false },
    { key: "flip", type: "bool", default: false },
    { key: "matrix", type: "bool", default: false },
    { key: "view", type: "enum", default: "scatter", values: ["scatter", "zeros"] },
    { key: "seed", type: "int", default: 1, min: 0, max: 999999 },
    { key: "step", type: "int", default: 0, min: 0, max: 1 << 20 },
    { key: "speed", type: "float", default: 2, min: 0.25, max: 8 },
  ];
}

export const AXIS_PAIRS = [
  ["kh", "kw"],
  ["sh", "sw"],
  ["ph", "pw"],
  ["dh", "dw"],
  ["oph", "opw"],
];

// A small deterministic hash per (seed, salt, index...): the same cell keeps its value when shapes change.
function hashValue(seed, salt, indices, lo, hi) {
  let h = (seed * 2654435761 + salt * 40503) >>> 0;
  for (const i of indices) {
    h = Math.imul((h ^ (i + 0x9e3779b9)) >>> 0, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return lo + (h % (hi - lo + 1));
}

export function weightShape(s) {
  const g = s.groups;
  return s.mode === "transposed" ? [s.cin, s.cout / g, s.kh, s.kw] : [s.cout, s.cin / g, s.kh, s.kw];
}

export function inputShape(s) {
  return [s.cin, s.h, s.w];
}

function generate(shape, seed, salt, lo, hi) {
  const out = [];
  const idx = new Array(shape.length).fill(0);
  const total = shape.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    out.push(hashValue(seed, salt, idx, lo, hi));
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

export function defaultInput(s) {
  return generate(inputShape(s), s.seed, 1, -3, 5);
}

export function defaultWeights(s) {
  return generate(weightShape(s), s.seed, 2, -1, 1);
}

export function defaultBias(s) {
  return generate([s.cout], s.seed, 3, -2, 2);
}

// Keep the values that still have a place after a shape change; new places get the seeded default, made by
// `fresh()` only when the shape did change (it hashes every value of the new shape).
export function resize(values, oldShape, newShape, fresh) {
  const size = newShape.reduce((a, b) => a * b, 1);
  if (oldShape.every((d, i) => d === newShape[i]) && values.length === size) return values;
  const out = fresh();
  const oldStrides = oldShape.map((_, i) => oldShape.slice(i + 1).reduce((a, b) => a * b, 1));
  const newStrides = newShape.map((_, i) => newShape.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let n = 0; n < out.length; n++) {
    let oldIndex = 0;
    let inside = true;
    for (let d = 0; d < newShape.length; d++) {
      const i = Math.floor(n / newStrides[d]) % newShape[d];
      if (i >= oldShape[d]) inside = false;
      oldIndex += i * oldStrides[d];
    }
    if (inside && oldIndex < values.length) out[n] = values[oldIndex];
  }
  return out;
}

function arrayProps(s) {
  return [
    { key: "x", type: "floats", default: defaultInput(s) },
    { key: "wt", type: "floats", default: defaultWeights(s) },
    { key: "b", type: "floats", default: defaultBias(s) },
  ];
}

// Read the state from a query string within the page's limits; arrays of the wrong length (a hand-edited URL)
// fall back to defaults.
export function readPlaygroundState(search, limits) {
  const s = readState(scalarProps(limits), search);
  const arrays = readState(arrayProps(s), search);
  const sizes = { x: defaultInput(s).length, wt: defaultWeights(s).length, b: s.cout };
  for (const prop of arrayProps(s)) {
    s[prop.key] = arrays[prop.key].length === sizes[prop.key] ? arrays[prop.key] : prop.default;
  }
  return s;
}

export function serializePlaygroundState(s, limits, base = "") {
  return serializeState([...scalarProps(limits), ...arrayProps(s)], s, base);
}

// padding="same" (convolution only, stride 1): d·(k − 1) in all, the odd one after, as torch splits it.
export function samePadding(kernel, dilation) {
  const total = dilation * (kernel - 1);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export const usesSame = (s) => s.same && s.mode === "conv";
export const paddingModeOf = (s) => (s.mode === "conv" ? s.pmode : "zeros");
export const usesCeil = (s) => s.ceil && (s.mode === "maxpool" || s.mode === "avgpool");

function axisOf(s, which) {
  const [k, st, p, d, op] = which === "h" ? ["kh", "sh", "ph", "dh", "oph"] : ["kw", "sw", "pw", "dw", "opw"];
  const dilation = s.mode === "avgpool" ? 1 : s[d];
  const [padBefore, padAfter] = usesSame(s) ? samePadding(s[k], dilation) : [s[p], s[p]];
  return {
    size: s[which],
    kernel: s[k],
    stride: s[st],
    padBefore,
    padAfter,
    dilation,
    outputPadding: s.mode === "transposed" ? s[op] : 0,
    ceil: usesCeil(s),
    padMode: paddingModeOf(s),
  };
}

export function deriveLayerAxes(s) {
  return { rows: axisOf(s, "h"), cols: axisOf(s, "w") };
}

// Everything the views need about the layer; `steps` is the length of the animation.
export function deriveLayer(s) {
  const { rows, cols } = deriveLayerAxes(s);
  const pool = s.mode === "maxpool" || s.mode === "avgpool";
  const transposed = s.mode === "transposed";
  const cout = pool ? s.cin : s.cout;
  const groups = pool ? s.cin : s.groups;
  const outH = transposed ? transposeOutputSize(rows) : convOutputSize(rows);
  const outW = transposed ? transposeOutputSize(cols) : convOutputSize(cols);
  const layer = {
    mode: s.mode,
    pool,
    transposed,
    rows,
    cols,
    cin: s.cin,
    cout,
    groups,
    cinPerGroup: s.cin / groups,
    coutPerGroup: cout / groups,
    outH,
    outW,
    flip: s.flip && s.mode === "conv",
    bias: s.bias && !pool,
  };
  layer.zeroView = transposed && s.view === "zeros";
  if (layer.zeroView) {
    layer.zeroRows = zeroInsertionAxis(rows);
    layer.zeroCols = zeroInsertionAxis(cols);
  }
  layer.steps = transposed && !layer.zeroView ? s.cin * s.h * s.w : cout * outH * outW;
  return layer;
}
