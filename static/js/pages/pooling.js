// Pooling: max and average windows step by step (torch's rules, incl. ceil_mode and count_include_pad),
// overlapping windows, and global average pooling. The output-size formula comes from /api/v1/output-size.
import { apiGet } from "../common/api.js";
import { registerStrings, t } from "../common/i18n.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindCheckbox, bindNumber, bindRadio, debounce, latest } from "../lessons/controls.js";
import { fmt } from "../lessons/format.js";
import { drawGrid } from "../lessons/grid.js";
import { STRINGS } from "../lessons/pooling-strings.js";
import { globalAvgPool, poolGeometry, poolStep } from "../lessons/pool.js";
import { createQuestion } from "../lessons/question.js";
import { mulberry32, tensor } from "../lessons/rng.js";
import "../lessons/strings.js";

registerStrings(STRINGS);

const PROPS = [
  { key: "mode", type: "enum", default: "max", values: ["max", "avg"] },
  { key: "h", type: "int", default: 6, min: 2, max: 10 },
  { key: "w", type: "int", default: 6, min: 2, max: 10 },
  { key: "k", type: "int", default: 2, min: 1, max: 5 },
  { key: "s", type: "int", default: 2, min: 1, max: 5 },
  { key: "p", type: "int", default: 0, min: 0, max: 2 },
  { key: "ceil", type: "bool", default: false },
  { key: "cip", type: "bool", default: true },
  { key: "seed", type: "int", default: 3, min: 0, max: 100000 },
  { key: "step", type: "int", default: 0, min: 0, max: 99 },
  { key: "speed", type: "int", default: 4, min: 1, max: 10 },
  { key: "gc", type: "int", default: 3, min: 1, max: 6 },
  { key: "gh", type: "int", default: 4, min: 1, max: 12 },
  { key: "gw", type: "int", default: 5, min: 1, max: 12 },
];
const PRESETS = {
  usual: { h: 6, w: 6, k: 2, s: 2, p: 0, ceil: false },
  overlap: { h: 7, w: 7, k: 3, s: 2, p: 0, ceil: false },
  ceil: { h: 5, w: 5, k: 2, s: 2, p: 0, ceil: true },
};

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
let formulas = null;
let playing = null;
let clampNote = "";

const plane = () => {
  const uniform = mulberry32(state.seed);
  return tensor([state.h, state.w], () => Math.floor(uniform() * 10));
};
const geometry = () =>
  poolGeometry({
    height: state.h,
    width: state.w,
    kernel: state.k,
    stride: state.s,
    padding: state.p,
    ceilMode: state.ceil,
    mode: state.mode,
    countIncludePad: state.cip,
  });

// Keep the setup valid: torch wants padding ≤ k/2, and the window must fit in the padded input.
function repair() {
  clampNote = "";
  if (state.k > Math.min(state.h, state.w) + 2 * state.p) {
    state.k = Math.min(state.h, state.w) + 2 * state.p;
    clampNote = t("pool.clampK");
  }
  if (state.p > Math.floor(state.k / 2)) {
    state.p = Math.floor(state.k / 2);
    clampNote = t("pool.clampP", { half: state.p });
  }
  const g = geometry();
  state.step = Math.min(state.step, g.outHeight * g.outWidth - 1);
}

const fetchFormulas = latest(async (signal) => {
  const common = { kernel_size: state.k, stride: state.s, padding: state.p, ceil_mode: state.ceil, op: "pool" };
  const [height, width] = await Promise.all([
    apiGet("/output-size", { size: state.h, ...common }, { signal }),
    apiGet("/output-size", { size: state.w, ...common }, { signal }),
  ]);
  return { height, width };
});

async function reloadFormulas() {
  try {
    const result = await fetchFormulas();
    if (result === undefined) return;
    formulas = result;
    drawFormulas();
  } catch (error) {
    formulas = null;
    $("pool-formula-h").textContent = t("error.generic", { message: error.message });
  }
}
const reloadFormulasSoon = debounce(reloadFormulas, 120);

function drawFormulas() {
  if (!formulas) return;
  $("pool-formula-h").textContent = `H_out = ${formulas.height.formula}`;
  $("pool-formula-w").textContent = `W_out = ${formulas.width.formula}`;
}

// The padded input plus any cells past it that ceil_mode's last window reaches.
function inputView(g, values, current) {
  const rowEnd = Math.max(g.height + g.padding, (g.outHeight - 1) * g.stride - g.padding + g.kernel);
  const colEnd = Math.max(g.width + g.padding, (g.outWidth - 1) * g.stride - g.padding + g.kernel);
  const rows = [];
  for (let r = -g.padding; r < rowEnd; r++) {
    const row = [];
    for (let c = -g.padding; c < colEnd; c++) row.push(r >= 0 && r < g.height && c >= 0 && c < g.width ? values[r][c] : null);
    rows.push(row);
  }
  const inWindow = new Set(current.cells.map((cell) => `${cell.r},${cell.c}`));
  const winner = current.winner ? `${current.winner.r},${current.winner.c}` : "";
  const cellClass = (i, j) => {
    const r = i - g.padding;
    const c = j - g.padding;
    const key = `${r},${c}`;
    const classes = [];
    const inPadded = r >= -g.padding && r < g.height + g.padding && c >= -g.padding && c < g.width + g.padding;
    if (rows[i][j] === null) classes.push(inPadded ? "pad" : "beyond");
    if (key === winner) classes.push("winner");
    else if (inWindow.has(key)) classes.push("in-window");
    return classes.join(" ");
  };
  return { rows, cellClass };
}

function draw() {
  repair();
  writeState(PROPS, state);
  $("pool-range-note").textContent = clampNote;
  const g = geometry();
  const values = plane();
  const total = g.outHeight * g.outWidth;
  const oi = Math.floor(state.step / g.outWidth);
  const oj = state.step % g.outWidth;
  const current = poolStep(g, values, oi, oj);
  const { rows, cellClass } = inputView(g, values, current);
  drawGrid($("pool-input"), rows, { maxAbs: 12, digits: 0, label: t("pool.inputLabel"), cellClass });
  const output = Array.from({ length: g.outHeight }, (_, i) =>
    Array.from({ length: g.outWidth }, (_, j) =>
      i * g.outWidth + j <= state.step ? poolStep(g, values, i, j).value : null,
    ),
  );
  drawGrid($("pool-output"), output, {
    maxAbs: 12,
    digits: state.mode === "max" ? 0 : 2,
    label: t("pool.outputLabel"),
    cellClass: (i, j) => (i === oi && j === oj ? "current" : ""),
  });
  $("pool-input-caption").textContent = t("pool.inputCaption", { h: g.height, w: g.width, p: g.padding });
  $("pool-output-caption").textContent = t("pool.outputCaption", { h: g.outHeight, w: g.outWidth });
  $("pool-step").max = String(total - 1);
  $("pool-step").value = String(state.step);
  $("pool-step-out").textContent = `${state.step + 1} / ${total}`;
  $("pool-explain").textContent = explain(g, values, current, oi, oj);
  const beyond = current.cells.filter((cell) => cell.kind === "beyond").length;
  const lastBeyond = poolStep(g, values, g.outHeight - 1, g.outWidth - 1).cells.some((c) => c.kind === "beyond");
  $("pool-edge").hidden = !(lastBeyond || beyond);
  $("pool-edge").textContent = t("pool.edge");
  drawGap();
  for (const q of questions) q.refresh();
}

function explain(g, values, current, oi, oj) {
  const read = current.cells.filter((cell) => cell.kind === "image").map((cell) => values[cell.r][cell.c]);
  const at = { i: oi, j: oj };
  if (g.mode === "max") {
    return t("pool.explainMax", {
      ...at,
      values: read.join(", "),
      max: current.value,
      r: current.winner.r,
      c: current.winner.c,
    });
  }
  return t("pool.explainAvg", {
    ...at,
    values: read.join(" + "),
    sum: current.sum,
    divisor: current.divisor,
    avg: fmt(current.value, 4),
    rule: t(g.countIncludePad ? "pool.divisorPad" : "pool.divisorImage"),
  });
}

function gapVolume() {
  const uniform = mulberry32(100 + state.seed);
  return tensor([state.gc, state.gh, state.gw], () => Math.floor(uniform() * 10));
}

function drawGap() {
  const volume = gapVolume();
  const maps = $("gap-maps");
  maps.replaceChildren();
  volume.forEach((channel, ch) => {
    const cell = document.createElement("div");
    drawGrid(cell, channel, { maxAbs: 12, digits: 0, caption: `c${ch + 1}`, label: t("pool.gapMap", { c: ch + 1 }) });
    maps.append(cell);
  });
  const vector = globalAvgPool(volume);
  $("gap-vector").textContent = t("pool.gapVector", {
    c: state.gc,
    h: state.gh,
    w: state.gw,
    values: vector.map((v) => fmt(v, 3)).join(", "),
  });
  $("gap-compare").textContent = t("pool.gapCompare", { flat: state.gc * state.gh * state.gw, c: state.gc });
  $("gap-h-out").textContent = String(state.gh);
  $("gap-w-out").textContent = String(state.gw);
}

function setStep(step) {
  const g = geometry();
  const total = g.outHeight * g.outWidth;
  state.step = ((step % total) + total) % total;
  draw();
}

function tick(token, last) {
  return (now) => {
    if (playing !== token) return;
    let next = last;
    if (now - last >= 2400 / state.speed) {
      setStep(state.step + 1);
      next = now;
    }
    requestAnimationFrame(tick(token, next));
  };
}

function setPlaying(on) {
  playing = on ? Symbol("play") : null;
  if (playing) requestAnimationFrame(tick(playing, performance.now()));
  const button = $("pool-play");
  button.setAttribute("aria-pressed", String(on));
  button.dataset.i18n = on ? "lesson.pause" : "lesson.play";
  button.textContent = t(button.dataset.i18n);
}

function onSetupChange() {
  repair();
  for (const show of shows) show();
  draw();
  reloadFormulasSoon();
}

const shows = [
  ...["h", "w", "k", "s", "p", "seed"].map((key) => bindNumber($(`pool-${key}`), state, key, onSetupChange)),
  bindCheckbox($("pool-ceil"), state, "ceil", onSetupChange),
  bindCheckbox($("pool-cip"), state, "cip", draw),
  bindRadio(document, "pool-mode", state, "mode", draw),
];
bindNumber($("pool-step"), state, "step", draw, { output: $("pool-step-out") });
bindNumber($("pool-speed"), state, "speed", () => writeState(PROPS, state));
bindNumber($("gap-c"), state, "gc", draw);
bindNumber($("gap-h"), state, "gh", draw, { output: $("gap-h-out") });
bindNumber($("gap-w"), state, "gw", draw, { output: $("gap-w-out") });
for (const [name, preset] of Object.entries(PRESETS)) {
  $(`pool-preset-${name}`).addEventListener("click", () => {
    Object.assign(state, preset, { step: 0 });
    onSetupChange();
  });
}
$("pool-forward").addEventListener("click", () => setStep(state.step + 1));
$("pool-back").addEventListener("click", () => setStep(state.step - 1));
$("pool-play").addEventListener("click", () => setPlaying(!playing));
// a reduced-motion user steps by hand; nothing moves on its own
if (matchMedia("(prefers-reduced-motion: reduce)").matches) $("pool-play").disabled = true;

const list = $("pool-question-list");
const questions = [
  createQuestion(list, {
    question: "pool.q1",
    compute: async () => {
      const body = await apiGet("/experiments/parameter-count", {
        layer: "conv2d",
        in_channels: 3,
        out_channels: 16,
        kernel_size: 3,
      });
      return { value: body.params, formula: body.formula, explanation: t("pool.a1") };
    },
  }),
  createQuestion(list, {
    question: "pool.q2",
    questionVars: () => ({ k: state.k, s: state.s }),
    compute: async () => {
      const body = await apiGet("/experiments/parameter-count", { layer: `${state.mode}_pool2d` });
      return { value: body.params, formula: body.formula, explanation: t("pool.a2") };
    },
  }),
  createQuestion(list, {
    question: "pool.q3",
    questionVars: () => ({ h: state.h, k: state.k, s: state.s, p: state.p, ceil: state.ceil ? "True" : "False" }),
    compute: async () => {
      const body = await apiGet("/output-size", {
        size: state.h,
        kernel_size: state.k,
        stride: state.s,
        padding: state.p,
        ceil_mode: state.ceil,
        op: "pool",
      });
      return { value: body.output_size, formula: body.formula, explanation: t("pool.a3") };
    },
  }),
  createQuestion(list, {
    question: "pool.q4",
    questionVars: () => ({ c: state.gc, h: state.gh, w: state.gw }),
    compute: async () => {
      const flat = state.gc * state.gh * state.gw;
      const [withFlatten, withGap] = await Promise.all([
        apiGet("/experiments/parameter-count", { layer: "linear", in_channels: flat, out_channels: 10 }),
        apiGet("/experiments/parameter-count", { layer: "linear", in_channels: state.gc, out_channels: 10 }),
      ]);
      return {
        value: withGap.params,
        formula: withGap.formula,
        explanation: t("pool.a4", { flat: withFlatten.formula }),
      };
    },
  }),
];

document.addEventListener("langchange", () => {
  draw();
  drawFormulas();
});
draw();
reloadFormulas();
