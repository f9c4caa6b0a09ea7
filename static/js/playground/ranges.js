// Valid ranges of every control given the others (after CNN Explainer's valid-range clamps), so an
// impossible layer cannot be chosen. Each narrowed bound carries the reason shown under the control. `limits` is
// the page's bounds as the server renders them (app/limits.py, common/limits.js): {key: {min, max}}.
import { AXIS_PAIRS, paddingModeOf, usesSame } from "./state.js";

const ceilDiv = (a, b) => Math.ceil(a / b);

function bound(min, max, whyMin = null, whyMax = null) {
  return { min, max, whyMin, whyMax };
}

// Tighten `r` to at least `min` / at most `max`, remembering why when the bound actually moves.
function atLeast(r, min, why) {
  return min > r.min ? { ...r, min, whyMin: why } : r;
}

function atMost(r, max, why) {
  return max < r.max ? { ...r, max, whyMax: why } : r;
}

// torch's limits on the padding ring of reflect (smaller than the input) and circular (at most the input)
// padding, as the most padding an input of length i allows.
const PADDING_ROOM = { reflect: (i) => i - 1, circular: (i) => i };

// padding="same" pads d·(k − 1) in all, ⌈d·(k − 1)/2⌉ after: reflect and circular padding limit that side.
function sameRanges(ranges, { i, k, d }, room, padMode) {
  let { i: ri, k: rk, d: rd } = ranges;
  const most = room(i);
  const why = { key: `why.same.${padMode}`, vars: { p: Math.ceil((d * (k - 1)) / 2), i } };
  rk = atMost(rk, Math.floor((2 * most) / d) + 1, why);
  if (k > 1) rd = atMost(rd, Math.floor((2 * most) / (k - 1)), why);
  ri = atLeast(ri, Math.ceil((d * (k - 1)) / 2) + i - most, why);
  return { ...ranges, i: ri, k: rk, d: rd };
}

// One axis: i (size), k, s, p, d, op (output padding) under `mode`; `options` carries the layer's padding
// choices: same (padding="same"), padMode (torch's padding_mode).
export function axisRanges(mode, { i, k, s, p, d, op }, limits, options = {}) {
  const pool = mode === "maxpool" || mode === "avgpool";
  const span = d * (k - 1) + 1;
  let ri = bound(1, limits.size.max);
  let rk = bound(1, limits.kernel.max);
  let rs = bound(1, limits.stride.max);
  let rp = bound(0, limits.padding.max);
  let rd = bound(1, limits.dilation.max);
  let rop = bound(0, 0);
  if (mode === "transposed") {
    // Zero-insertion view: the equivalent convolution pads by d·(k − 1) − p, which must not be negative.
    rp = atMost(rp, d * (k - 1), { key: "why.padding.transposed", vars: { max: d * (k - 1) } });
    if (p > 0) {
      rk = atLeast(rk, ceilDiv(p, d) + 1, { key: "why.kernel.transposed", vars: { p } });
      if (k > 1) rd = atLeast(rd, ceilDiv(p, k - 1), { key: "why.dilation.transposed", vars: { p } });
    }
    rop = bound(0, Math.max(s, d) - 1, null, { key: "why.output_padding", vars: { s, d } });
    if (op >= d) rs = atLeast(rs, op + 1, { key: "why.stride.output_padding", vars: { op } });
    if (op >= s) rd = atLeast(rd, op + 1, { key: "why.dilation.output_padding", vars: { op } });
    // The transposed output is drawn cell by cell, and it is at most the largest map the server returns.
    const most = limits.transposed_output.max;
    const room = most - 1 - op + 2 * p;
    const tooBig = { key: "why.output.too_large", vars: { max: most } };
    ri = atMost(ri, Math.floor((room - (span - 1)) / s) + 1, tooBig);
    if (i > 1) rs = atMost(rs, Math.floor((room - (span - 1)) / (i - 1)), tooBig);
    rk = atMost(rk, Math.floor((room - (i - 1) * s) / d) + 1, tooBig);
    if (k > 1) rd = atMost(rd, Math.floor((room - (i - 1) * s) / (k - 1)), tooBig);
    return { i: ri, k: rk, s: rs, p: rp, d: rd, op: rop };
  }
  if (pool) {
    rp = atMost(rp, Math.floor(k / 2), { key: "why.padding.pool", vars: { max: Math.floor(k / 2) } });
    rk = atLeast(rk, 2 * p, { key: "why.kernel.pool", vars: { p } });
  }
  if (mode === "avgpool") rd = bound(1, 1, null, { key: "why.dilation.avgpool", vars: {} });
  const room = PADDING_ROOM[options.padMode];
  if (options.same) {
    // padding="same" keeps the size, so the kernel always fits; torch allows it with stride 1 only.
    rs = bound(1, 1, null, { key: "why.stride.same", vars: {} });
    const out = { i: ri, k: rk, s: rs, p: rp, d: rd, op: rop };
    return room ? sameRanges(out, { i, k, d }, room, options.padMode) : out;
  }
  if (room) {
    const why = { key: `why.padding.${options.padMode}`, vars: { max: room(i), i } };
    rp = atMost(rp, room(i), why);
    ri = atLeast(ri, p + i - room(i), { key: `why.size.${options.padMode}`, vars: { p } });
  }
  // The effective kernel d·(k − 1) + 1 must fit in the padded input i + 2p.
  const fit = { key: "why.fit", vars: { span, padded: i + 2 * p } };
  ri = atLeast(ri, span - 2 * p, { key: "why.size.fit", vars: { span, p } });
  rk = atMost(rk, Math.floor((i + 2 * p - 1) / d) + 1, fit);
  if (k > 1) rd = atMost(rd, Math.floor((i + 2 * p - 1) / (k - 1)), fit);
  rp = atLeast(rp, Math.max(0, ceilDiv(span - i, 2)), { key: "why.padding.fit", vars: { span, i } });
  return { i: ri, k: rk, s: rs, p: rp, d: rd, op: rop };
}

const AXIS_KEYS = { i: ["h", "w"], k: ["kh", "kw"], s: ["sh", "sw"], p: ["ph", "pw"], d: ["dh", "dw"], op: ["oph", "opw"] };

function axisValues(s, n) {
  const v = (name) => s[AXIS_KEYS[name][n]];
  return { i: v("i"), k: v("k"), s: v("s"), p: v("p"), d: v("d"), op: v("op") };
}

function divisors(n) {
  const out = [];
  for (let g = 1; g <= n; g++) if (n % g === 0) out.push(g);
  return out;
}

// Ranges of every control key (h, w, kh, …, cin, cout) plus the valid group counts.
export function ranges(s, limits) {
  const out = {};
  for (let n = 0; n < 2; n++) {
    const r = axisRanges(s.mode, axisValues(s, n), limits, { same: usesSame(s), padMode: paddingModeOf(s) });
    for (const [name, keys] of Object.entries(AXIS_KEYS)) out[keys[n]] = r[name];
  }
  const pool = s.mode === "maxpool" || s.mode === "avgpool";
  const groupsWhy = { key: "why.channels.groups", vars: { g: s.groups } };
  const channels = limits.channels.max;
  out.cin = pool ? bound(1, channels) : bound(s.groups, channels, s.groups > 1 ? groupsWhy : null);
  out.cout = pool ? bound(s.cin, s.cin, null, { key: "why.cout.pool", vars: {} }) : { ...out.cin };
  const common = divisors(s.cin).filter((g) => s.cout % g === 0);
  out.groups = { options: pool ? [s.cin] : common, why: pool ? { key: "why.groups.pool", vars: {} } : null };
  if (!pool && common.length === 1 && Math.max(s.cin, s.cout) > 1) out.groups.why = { key: "why.groups.divide", vars: {} };
  return out;
}

// The range a linked control (both axes at once) may take: the intersection of the two axes.
export function linkedRange(all, hKey, wKey) {
  const h = all[hKey];
  const w = all[wKey];
  return {
    min: Math.max(h.min, w.min),
    max: Math.min(h.max, w.max),
    whyMin: h.min >= w.min ? h.whyMin : w.whyMin,
    whyMax: h.max <= w.max ? h.whyMax : w.whyMax,
  };
}

export function clamp(value, r) {
  return Math.min(r.max, Math.max(r.min, value));
}

// Bring a state from a URL or a mode switch into the valid region: clamp repeatedly until nothing moves.
export function repair(s, limits) {
  if (!s.axes) for (const [h, w] of AXIS_PAIRS) s[w] = s[h];
  // Padding first: a mode switch to pooling should lower the padding rather than grow the kernel.
  const keys = ["ph", "pw", "oph", "opw", "kh", "kw", "dh", "dw", "sh", "sw", "h", "w"];
  for (let round = 0; round < 6; round++) {
    let moved = false;
    for (const key of keys) {
      const pair = AXIS_PAIRS.find((p) => p.includes(key));
      if (pair && !s.axes && key === pair[1]) continue;
      const all = ranges(s, limits);
      const v = clamp(s[key], pair && !s.axes ? linkedRange(all, ...pair) : all[key]);
      if (v !== s[key]) {
        s[key] = v;
        if (pair && !s.axes) s[pair[1]] = v;
        moved = true;
      }
    }
    if (!moved) break;
  }
  const pool = s.mode === "maxpool" || s.mode === "avgpool";
  if (!pool && (s.cin % s.groups || s.cout % s.groups)) s.groups = 1;
  if (s.mode === "avgpool") {
    s.dh = 1;
    s.dw = 1;
  }
  return s;
}
