// Pooling: max and average windows step by step (torch's rules, incl. ceil_mode and count_include_pad),
// overlapping windows, and global average pooling. Values, winners, divisors and formulas come from
// /api/v1/ops/{max,avg,global_avg}_pool2d (with trace=true); the page only lays them out.
import { apiGet, apiPost } from "../common/api.js";
import { showError } from "../common/errorview.js";
import { t } from "../common/i18n.js";
import { createLoop } from "../common/loop.js";
import { pageLimits } from "../common/limits.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindCheckbox, bindNumber, bindRadio, debounce, latest } from "../lessons/controls.js";
import { fmt } from "../common/format.js";
import { drawGrid } from "../lessons/grid.js";
import "../lessons/pooling-strings.js";
import { cellKind, poolOutputSize } from "../lessons/pool.js";
import { createQuestion } from "../lessons/question.js";
import { mulberry32, tensor } from "../lessons/rng.js";
import "../lessons/strings.js";

const LIMITS = pageLimits();
const PROPS = [
  { key: "mode", type: "enum", default: "max", values: ["max", "avg"] },
  { key: "h", type: "int", default: 6, ...LIMITS.h },
  { key: "w", type: "int", default: 6, ...LIMITS.w },
  { key: "k", type: "int", default: 2, ...LIMITS.k },
  { key: "s", type: "int", default: 2, ...LIMITS.s },
  { key: "p", type: "int", default: 0, ...LIMITS.p },
  { key: "ceil", type: "bool", default: false },
  { key: "cip", type: "bool", default: true },
  { key: "seed", type: "int", default: 3, ...LIMITS.seed },
  // an output position: the output is at most as large as the padded input
  { key: "step", type: "int", default: 0, min: 0, max: (LIMITS.h.max + 2 * LIMITS.p.max) * (LIMITS.w.max + 2 * LIMITS.p.max) - 1 },
  { key: "speed", type: "int", default: 4, min: 1, max: 10 },
  { key: "gc", type: "int", default: 3, ...LIMITS.gc },
  { key: "gh", type: "int", default: 4, ...LIMITS.gh },
  { key: "gw", type: "int", default: 5, ...LIMITS.gw },
];
const PRESETS = {
  usual: { h: 6, w: 6, k: 2, s: 2, p: 0, ceil: false },
  overlap: { h: 7, w: 7, k: 3, s: 2, p: 0, ceil: false },
  ceil: { h: 5, w: 5, k: 2, s: 2, p: 0, ceil: true },
};

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
let pooled = null;
let gap = null;
let clampNote = "";

const plane = () => {
  const uniform = mulberry32(state.seed);
  return tensor([state.h, state.w], () => Math.floor(uniform() * 10));
};
const outputSize = () => [
  poolOutputSize(state.h, state.k, state.s, state.p, state.ceil),
  poolOutputSize(state.w, state.k, state.s, state.p, state.ceil),
];

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
  const [oh, ow] = outputSize();
  state.step = Math.max(0, Math.min(state.step, oh * ow - 1));
}

const fetchPool = latest((signal, values) => {
  const body = {
    x: [values],
    kernel_size: state.k,
    stride: state.s,
    padding: state.p,
    ceil_mode: state.ceil,
    ...(state.mode === "avg" ? { count_include_pad: state.cip } : {}),
  };
  return apiPost(`/ops/${state.mode}_pool2d?trace=true`, body, { signal });
});
const fetchGap = latest((signal, volume) => apiPost("/ops/global_avg_pool2d", { x: volume }, { signal }));

async function reload() {
  repair();
  writeState(PROPS, state);
  // the answer is drawn with the plane and setup it was asked for, even if the state moved on meanwhile
  const values = plane();
  const setup = { h: state.h, w: state.w, p: state.p, mode: state.mode, cip: state.cip };
  try {
    const result = await fetchPool(values);
    if (result === undefined) return;
    pooled = { ...result, setup, values };
    showError($("pool-error"), null);
    draw();
  } catch (error) {
    showError($("pool-error"), error, "error.generic");
  }
}
const reloadSoon = debounce(reload, 80);

async function reloadGap() {
  writeState(PROPS, state);
  const volume = gapVolume();
  const result = await fetchGap(volume);
  if (result === undefined) return;
  gap = { ...result, volume };
  drawGap();
}

const reloadGapSoon = debounce(reloadGap, 80);

// The padded input plus any cells past it that ceil_mode's last window reaches, with the current window.
function inputView(values, setup, step) {
  const { h, w, p } = setup;
  const rowEnd = Math.max(h + p, ...pooled.trace.flatMap((s) => s.rows.map((r) => r + 1)));
  const colEnd = Math.max(w + p, ...pooled.trace.flatMap((s) => s.cols.map((c) => c + 1)));
  const rows = [];
  for (let r = -p; r < rowEnd; r++) {
    const row = [];
    for (let c = -p; c < colEnd; c++) row.push(cellKind(r, c, h, w, p) === "image" ? values[r][c] : null);
    rows.push(row);
  }
  const inWindow = new Set(step.rows.map((r, i) => `${r},${step.cols[i]}`));
  const winner = step.winner === null ? "" : `${step.rows[step.winner]},${step.cols[step.winner]}`;
  const cellClass = (i, j) => {
    const r = i - p;
    const c = j - p;
    const key = `${r},${c}`;
    const kind = cellKind(r, c, h, w, p);
    const classes = kind === "image" ? [] : [kind];
    if (key === winner) classes.push("winner");
    else if (inWindow.has(key)) classes.push("in-window");
    return classes.join(" ");
  };
  return { rows, cellClass };
}

function draw() {
  $("pool-range-note").textContent = clampNote;
  if (!pooled) return;
  const { setup, trace } = pooled;
  const [outH, outW] = pooled.shape.slice(1);
  const stepIndex = Math.min(state.step, trace.length - 1);
  const step = trace[stepIndex];
  const { rows, cellClass } = inputView(pooled.values, setup, step);
  drawGrid($("pool-input"), rows, { maxAbs: 12, digits: 0, label: t("pool.inputLabel"), cellClass });
  const output = pooled.output[0].map((row, i) => row.map((v, j) => (i * outW + j <= stepIndex ? v : null)));
  drawGrid($("pool-output"), output, {
    maxAbs: 12,
    digits: setup.mode === "max" ? 0 : 2,
    label: t("pool.outputLabel"),
    cellClass: (i, j) => (i === step.out_row && j === step.out_col ? "current" : ""),
  });
  $("pool-formula-h").textContent = `H_out = ${pooled.formula.height}`;
  $("pool-formula-w").textContent = `W_out = ${pooled.formula.width}`;
  $("pool-input-caption").textContent = t("pool.inputCaption", { h: setup.h, w: setup.w, p: setup.p });
  $("pool-output-caption").textContent = t("pool.outputCaption", { h: outH, w: outW });
  $("pool-step").max = String(trace.length - 1);
  $("pool-step").value = String(stepIndex);
  $("pool-step-out").textContent = `${stepIndex + 1} / ${trace.length}`;
  $("pool-explain").textContent = explain(step, setup);
  const hangs = trace.some((s) => s.rows.some((r, i) => cellKind(r, s.cols[i], setup.h, setup.w, setup.p) === "beyond"));
  $("pool-edge").hidden = !hangs;
  $("pool-edge").textContent = t("pool.edge");
  for (const q of questions) q.refresh();
}

function explain(step, { mode, cip }) {
  const read = step.values.filter((v) => v !== null);
  const at = { i: step.out_row, j: step.out_col };
  if (mode === "max") {
    return t("pool.explainMax", {
      ...at,
      values: read.join(", "),
      max: step.result,
      r: step.rows[step.winner],
      c: step.cols[step.winner],
    });
  }
  return t("pool.explainAvg", {
    ...at,
    values: read.join(" + "),
    sum: step.sum,
    divisor: step.divisor,
    avg: fmt(step.result, 4),
    rule: t(cip ? "pool.divisorPad" : "pool.divisorImage"),
  });
}

function gapVolume() {
  const uniform = mulberry32(100 + state.seed);
  return tensor([state.gc, state.gh, state.gw], () => Math.floor(uniform() * 10));
}

function drawGap() {
  $("gap-h-out").textContent = String(state.gh);
  $("gap-w-out").textContent = String(state.gw);
  if (!gap) return;
  const { volume } = gap;
  const maps = $("gap-maps");
  maps.replaceChildren();
  volume.forEach((channel, ch) => {
    const cell = document.createElement("div");
    drawGrid(cell, channel, { maxAbs: 12, digits: 0, caption: `c${ch}`, label: t("pool.gapMap", { c: ch }) });
    maps.append(cell);
  });
  const vector = gap.output.map((channel) => channel[0][0]);
  $("gap-vector").textContent = t("pool.gapVector", {
    c: volume.length,
    count: volume.length,
    h: volume[0].length,
    w: volume[0][0].length,
    values: vector.map((v) => fmt(v, 3)).join(", "),
  });
  const flat = volume.length * volume[0].length * volume[0][0].length;
  $("gap-compare").textContent = t("pool.gapCompare", { count: flat, c: volume.length });
}

// Moves to window `step` (wrapping around) without drawing; false before the first answer.
function moveStep(step) {
  if (!pooled) return false;
  const total = pooled.trace.length;
  state.step = ((step % total) + total) % total;
  writeState(PROPS, state);
  return true;
}

function setStep(step) {
  if (moveStep(step)) draw();
}

// the speed slider's 1…10 as windows per second
const stepsPerSecond = () => state.speed / 2.4;
const loop = createLoop({
  render: draw,
  advance: () => {
    moveStep(state.step + 1);
    return true;
  },
});

function setPlaying(on) {
  if (on) loop.play(stepsPerSecond());
  else loop.stop();
  const button = $("pool-play");
  button.setAttribute("aria-pressed", String(on));
  button.dataset.i18n = on ? "lesson.pause" : "lesson.play";
  button.textContent = t(button.dataset.i18n);
}

function onSetupChange() {
  repair();
  writeState(PROPS, state);
  // count_include_pad only changes average pooling's divisor
  $("pool-cip").disabled = state.mode === "max";
  for (const show of shows) show();
  $("pool-range-note").textContent = clampNote;
  reloadSoon();
  reloadGapSoon();
}

const shows = [
  ...["h", "w", "k", "s", "p", "seed"].map((key) => bindNumber($(`pool-${key}`), state, key, onSetupChange)),
  bindCheckbox($("pool-ceil"), state, "ceil", onSetupChange),
  bindCheckbox($("pool-cip"), state, "cip", onSetupChange),
  bindRadio(document, "pool-mode", state, "mode", onSetupChange),
];
bindNumber($("pool-step"), state, "step", () => setStep(state.step), { output: $("pool-step-out") });
bindNumber($("pool-speed"), state, "speed", () => {
  writeState(PROPS, state);
  loop.setSpeed(stepsPerSecond());
});
bindNumber($("gap-c"), state, "gc", reloadGapSoon);
bindNumber($("gap-h"), state, "gh", reloadGapSoon, { output: $("gap-h-out") });
bindNumber($("gap-w"), state, "gw", reloadGapSoon, { output: $("gap-w-out") });
for (const [name, preset] of Object.entries(PRESETS)) {
  $(`pool-preset-${name}`).addEventListener("click", () => {
    Object.assign(state, preset, { step: 0 });
    onSetupChange();
  });
}
$("pool-forward").addEventListener("click", () => setStep(state.step + 1));
$("pool-back").addEventListener("click", () => setStep(state.step - 1));
$("pool-play").addEventListener("click", () => setPlaying(!loop.playing));

const list = $("pool-question-list");
const questions = [
  createQuestion(list, {
    question: "pool.q1",
    hint: "pool.h1",
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
    hint: "pool.h2",
    questionVars: () => ({ k: state.k, s: state.s }),
    compute: async () => {
      const body = await apiGet("/experiments/parameter-count", { layer: `${state.mode}_pool2d` });
      return { value: body.params, formula: body.formula, explanation: t("pool.a2") };
    },
  }),
  createQuestion(list, {
    question: "pool.q3",
    hint: "pool.h3",
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
    hint: "pool.h4",
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
  drawGap();
});
repair();
$("pool-cip").disabled = state.mode === "max";
reload();
reloadGap();
