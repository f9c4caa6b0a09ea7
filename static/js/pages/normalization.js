// Batch norm on a toy batch (train/inference, running statistics over several batches, batch-mates),
// the affine step before a sigmoid, and layer/instance/group norm on the same tensor (convcore.norm via the API).
import { apiGet, apiPost } from "../common/api.js";
import { t } from "../common/i18n.js";
import { initShell } from "../common/shell.js";
import { fillTable } from "../common/table.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindNumber, bindRadio, debounce } from "../lessons/controls.js";
import { drawCube } from "../lessons/cube.js";
import { fmt } from "../common/format.js";
import { drawGrid } from "../lessons/grid.js";
import { legend, linePlot } from "../common/plot.js";
import { createQuestion } from "../lessons/question.js";
import { randomBatch } from "../lessons/rng.js";
import "../lessons/normalization-strings.js";
import "../lessons/strings.js";

const MAX_C = 4;
const PROPS = [
  { key: "n", type: "int", default: 3, min: 2, max: 6 },
  { key: "c", type: "int", default: 4, min: 1, max: MAX_C },
  { key: "size", type: "int", default: 2, min: 1, max: 4 },
  { key: "seed", type: "int", default: 1, min: 0, max: 100000 },
  { key: "momentum", type: "float", default: 0.1, min: 0.01, max: 1 },
  { key: "mode", type: "enum", default: "train", values: ["train", "eval"] },
  { key: "steps", type: "int", default: 1, min: 1, max: 60 },
  { key: "shift", type: "floats", default: [2, -1, 0.5, 3] },
  { key: "scale", type: "floats", default: [1.5, 0.5, 1, 2] },
  { key: "gamma", type: "floats", default: [1, 1, 1, 1] },
  { key: "beta", type: "floats", default: [0, 0, 0, 0] },
  { key: "mates", type: "int", default: 1, min: 1, max: 100000 },
  { key: "ag", type: "float", default: 4, min: 0.25, max: 6 },
  { key: "ab", type: "float", default: 0, min: -4, max: 4 },
  { key: "g", type: "int", default: 2, min: 1, max: MAX_C },
];
const CHANNEL_SLIDERS = [
  { key: "shift", min: -4, max: 4, step: 0.25 },
  { key: "scale", min: 0.25, max: 3, step: 0.25 },
  { key: "gamma", min: -2, max: 3, step: 0.25 },
  { key: "beta", min: -3, max: 3, step: 0.25 },
];

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
for (const { key } of CHANNEL_SLIDERS) {
  const fallback = PROPS.find((p) => p.key === key).default;
  state[key] = fallback.map((v, i) => (Number.isFinite(state[key][i]) ? state[key][i] : v));
}

// Everything derived from the API for the current state.
let view = null;
let history = [];
let historyKey = "";
let generation = 0;

const shape = () => [state.n, state.c, state.size, state.size];
const perChannel = (values) => values.slice(0, state.c);
const batchAt = (k) => randomBatch(shape(), state.seed * 1000 + k, perChannel(state.shift), perChannel(state.scale));

// The same batch with samples 2..N replaced: the "new batch-mates" of sample 1.
function withNewMates(batch) {
  const others = randomBatch(shape(), 500000 + state.mates, perChannel(state.shift), perChannel(state.scale));
  return batch.map((sample, i) => (i === 0 ? sample : others[i]));
}

function affine() {
  return { weight: perChannel(state.gamma), bias: perChannel(state.beta) };
}

// Running statistics after each of batches 1..steps (cached while the batch recipe is unchanged).
// Replays run one at a time: two interleaved replays would both append to the same history.
let replayQueue = Promise.resolve();
function replay() {
  const run = replayQueue.then(replayOnce);
  replayQueue = run.catch(() => undefined);
  return run;
}

async function replayOnce() {
  const key = JSON.stringify([state.n, state.c, state.size, state.seed, state.momentum, state.shift, state.scale]);
  if (key !== historyKey) {
    history = [];
    historyKey = key;
  }
  while (history.length < state.steps) {
    const previous = history.at(-1);
    const stats = previous
      ? {
          running_mean: previous.running_mean,
          running_var: previous.running_var,
          num_batches_tracked: previous.num_batches_tracked,
        }
      : {};
    const result = await apiPost("/ops/batch_norm2d", {
      x: batchAt(history.length + 1),
      momentum: state.momentum,
      ...affine(),
      ...stats,
    });
    if (key !== historyKey) return false;
    history.push(result);
  }
  return true;
}

async function batchNorm(x, training) {
  const before = history[state.steps - 2];
  const after = history[state.steps - 1];
  // training normalizes with the batch's statistics and updates the stats from before this batch;
  // inference uses the running statistics reached after it
  const stats = training ? before : after;
  const running = stats
    ? { running_mean: stats.running_mean, running_var: stats.running_var, num_batches_tracked: stats.num_batches_tracked }
    : {};
  return apiPost("/ops/batch_norm2d", { x, training, momentum: state.momentum, ...affine(), ...running });
}

async function reload() {
  const mine = ++generation;
  writeState(PROPS, state);
  $("bn-error")?.remove();
  try {
    if (!(await replay())) return;
    const x = batchAt(state.steps);
    const mates = withNewMates(x);
    const groups = largestDivisor(state.c, state.g);
    const [current, trainA, trainB, evalA, evalB, layer, instance, group] = await Promise.all([
      batchNorm(x, state.mode === "train"),
      batchNorm(x, true),
      batchNorm(mates, true),
      batchNorm(x, false),
      batchNorm(mates, false),
      apiPost("/ops/layer_norm", { x }),
      state.size > 1 ? apiPost("/ops/instance_norm", { x }) : null,
      state.c / groups > 1 || state.size > 1 ? apiPost("/ops/group_norm", { x, num_groups: groups }) : null,
    ]);
    if (mine !== generation) return;
    view = { x, mates, current, trainA, trainB, evalA, evalB, norms: { batch: trainA, layer, instance, group }, groups };
    draw();
  } catch (error) {
    if (mine !== generation) return;
    const p = document.createElement("p");
    p.id = "bn-error";
    p.className = "error";
    p.textContent = t("error.generic", { message: error.message });
    $("bn-channels").after(p);
  }
}
const reloadSoon = debounce(reload, 150);

// Group norm needs C divisible by G: the largest divisor of C not above the chosen G.
function largestDivisor(c, g) {
  for (let d = Math.min(c, g); d > 1; d--) if (c % d === 0) return d;
  return 1;
}

function channelControls() {
  const container = $("bn-channels");
  container.replaceChildren();
  for (let ch = 0; ch < state.c; ch++) {
    const fieldset = document.createElement("fieldset");
    const legendEl = document.createElement("legend");
    legendEl.textContent = t("norm.channel", { c: ch });
    fieldset.append(legendEl);
    for (const spec of CHANNEL_SLIDERS) {
      const id = `bn-${spec.key}-${ch}`;
      const field = document.createElement("div");
      field.className = "field";
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = t(`norm.${spec.key}`, { c: ch });
      const input = document.createElement("input");
      Object.assign(input, { id, type: "range", min: spec.min, max: spec.max, step: spec.step });
      const output = document.createElement("output");
      output.className = "output";
      output.htmlFor = id;
      const show = () => {
        input.value = String(state[spec.key][ch]);
        output.textContent = fmt(state[spec.key][ch], 2);
      };
      input.addEventListener("input", () => {
        state[spec.key][ch] = Number.parseFloat(input.value);
        show();
        reloadSoon();
      });
      show();
      field.append(label, input, output);
      fieldset.append(field);
    }
    container.append(fieldset);
  }
}

// N rows (samples) × C columns (channels) of H×W grids.
function drawBatch(container, batch, { highlightSample = -1 } = {}) {
  const maxAbs = Math.max(1e-9, ...batch.flat(3).map(Math.abs));
  const table = document.createElement("div");
  table.className = "figures";
  batch.forEach((sample, i) => {
    const block = document.createElement("div");
    block.className = i === highlightSample ? "sample-block focus" : "sample-block";
    const title = document.createElement("h3");
    title.textContent = t("norm.sample", { n: i });
    const row = document.createElement("div");
    row.className = "row";
    sample.forEach((plane, ch) => {
      const cell = document.createElement("div");
      drawGrid(cell, plane, { maxAbs, caption: `c${ch}`, label: t("norm.gridLabel", { n: i, c: ch }) });
      row.append(cell);
    });
    block.append(title, row);
    table.append(block);
  });
  container.replaceChildren(table);
}

function drawStats() {
  const train = view.trainA;
  const after = history[state.steps - 1];
  $("bn-step").textContent = t("norm.step", { k: state.steps, count: state.steps });
  $("bn-mode-note").textContent = t(state.mode === "train" ? "norm.trainNote" : "norm.evalNote");
  const rows = Array.from({ length: state.c }, (_, ch) => [
    `c${ch}`,
    fmt(train.mean[ch], 3),
    fmt(train.var[ch], 3),
    fmt(after.running_mean[ch], 3),
    fmt(after.running_var[ch], 3),
    fmt(state.shift[ch], 2),
    fmt(state.scale[ch] ** 2, 3),
    fmt(state.gamma[ch], 2),
    fmt(state.beta[ch], 2),
  ]);
  const head = [t("norm.channelCol"), "μ_B", "σ²_B", t("norm.runMean"), t("norm.runVar"), t("norm.trueMean"), t("norm.trueVar"), "γ", "β"];
  fillTable($("bn-stats"), head, rows, { rowHeaders: true });
  const steps = history.slice(0, state.steps).map((_, i) => i + 1);
  const meanSeries = [];
  const varSeries = [];
  for (let ch = 0; ch < state.c; ch++) {
    const cls = `s${ch + 1}`;
    const label = `c${ch}`;
    // torch starts the running statistics at mean 0 and variance 1 (step 0)
    meanSeries.push({ label, cls, points: [[0, 0], ...steps.map((k) => [k, history[k - 1].running_mean[ch]])] });
    meanSeries.push({ label, cls, dashed: true, points: [[0, state.shift[ch]], [state.steps, state.shift[ch]]] });
    varSeries.push({ label, cls, points: [[0, 1], ...steps.map((k) => [k, history[k - 1].running_var[ch]])] });
    varSeries.push({ label, cls, dashed: true, points: [[0, state.scale[ch] ** 2], [state.steps, state.scale[ch] ** 2]] });
  }
  const options = { width: 420, height: 240, xLabel: t("norm.batches") };
  linePlot($("bn-mean-plot"), meanSeries, { ...options, yLabel: t("norm.runMean") });
  linePlot($("bn-var-plot"), varSeries, { ...options, yLabel: t("norm.runVar") });
  legend($("bn-mean-legend"), meanSeries.filter((s) => !s.dashed));
  legend($("bn-var-legend"), varSeries.filter((s) => !s.dashed));
}

function drawMates() {
  $("bn-mates-seed").textContent = t("norm.matesSeed", { k: state.mates });
  const diff = (a, b) => Math.max(...a.output[0].flat(2).map((v, i) => Math.abs(v - b.output[0].flat(2)[i])));
  const first = (r) => fmt(r.output[0][0][0][0], 4);
  view.deltaTrain = diff(view.trainA, view.trainB);
  view.deltaEval = diff(view.evalA, view.evalB);
  fillTable(
    $("bn-mates-table"),
    [t("norm.modeCol"), t("norm.matesOld"), t("norm.matesNew"), t("norm.maxDelta")],
    [
      [t("norm.train"), first(view.trainA), first(view.trainB), fmt(view.deltaTrain, 4)],
      [t("norm.eval"), first(view.evalA), first(view.evalB), fmt(view.deltaEval, 4)],
    ],
    { rowHeaders: true },
  );
  $("bn-mates-result").textContent = t("norm.matesResult", {
    train: fmt(view.deltaTrain, 4),
    eval: fmt(view.deltaEval, 4),
  });
}

const sigmoid = (v) => 1 / (1 + Math.exp(-v));

// Largest gap between sigmoid(γ·x̂ + β) and its tangent line at x̂ = 0, over |x̂| ≤ 1 (one standard deviation).
function nonlinearity(gamma, beta) {
  const s0 = sigmoid(beta);
  const slope = gamma * s0 * (1 - s0);
  let worst = 0;
  for (let i = 0; i <= 200; i++) {
    const x = -1 + i / 100;
    worst = Math.max(worst, Math.abs(sigmoid(gamma * x + beta) - (s0 + slope * x)));
  }
  return worst;
}

function drawAffine() {
  const xs = Array.from({ length: 121 }, (_, i) => -3 + i / 20);
  const series = [
    { label: t("norm.sigPlain"), cls: "s1", points: xs.map((x) => [x, sigmoid(x)]) },
    { label: t("norm.sigLinear"), cls: "s1", dashed: true, points: xs.map((x) => [x, 0.5 + x / 4]) },
    {
      label: t("norm.sigAffine", { g: fmt(state.ag, 2), b: fmt(state.ab, 2) }),
      cls: "s2",
      points: xs.map((x) => [x, sigmoid(state.ag * x + state.ab)]),
    },
  ];
  linePlot($("bn-affine-plot"), series, { height: 260, xLabel: "x̂", yLabel: "sigmoid" });
  legend($("bn-affine-legend"), series);
  $("bn-affine-numbers").textContent = t("norm.affineNumbers", {
    plain: fmt(nonlinearity(1, 0), 3),
    affine: fmt(nonlinearity(state.ag, state.ab), 3),
  });
}

function describeNorm(result) {
  if (!result) return t("norm.needsMore");
  const means = result.mean.flat();
  const shown = means.slice(0, 8).map((m) => fmt(m, 2));
  return t("norm.means", { count: means.length, values: shown.join(", ") + (means.length > 8 ? ", …" : "") });
}

function drawCubes() {
  const container = $("bn-cubes");
  container.replaceChildren();
  const axes = { batch: "norm.axesBatch", layer: "norm.axesLayer", instance: "norm.axesInstance", group: "norm.axesGroup" };
  for (const kind of ["batch", "layer", "instance", "group"]) {
    const result = view.norms[kind];
    const figure = document.createElement("figure");
    figure.className = "cube-figure";
    figure.dataset.kind = kind;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    const labels = kind === "batch" ? batchLabels() : result?.statistics_index;
    if (labels) drawCube(svg, labels, { title: t(`norm.kind.${kind}`) });
    const caption = document.createElement("figcaption");
    const name = document.createElement("strong");
    name.textContent = t(`norm.kind.${kind}`, { g: view.groups });
    const axesText = document.createElement("div");
    axesText.textContent = t(axes[kind], { g: view.groups });
    const means = document.createElement("div");
    means.className = "stat";
    means.textContent = describeNorm(kind === "batch" ? { mean: result.mean } : result);
    caption.append(name, axesText, means);
    figure.append(svg, caption);
    container.append(figure);
  }
}

// Batch norm's statistics index: the channel of each element.
function batchLabels() {
  return view.x.map((sample) => sample.map((plane, ch) => plane.map((row) => row.map(() => ch))));
}

function draw() {
  if (!view) return;
  drawStats();
  drawBatch($("bn-x"), view.x);
  drawBatch($("bn-xhat"), view.current.x_hat);
  drawBatch($("bn-y"), view.current.output);
  drawMates();
  drawAffine();
  drawCubes();
  for (const q of questions) q.refresh();
}

function relabel() {
  channelControls();
  draw();
}

for (const key of ["n", "size", "seed"]) bindNumber($(`bn-${key}`), state, key, reloadSoon);
bindNumber($("bn-c"), state, "c", () => {
  channelControls();
  reloadSoon();
});
bindNumber($("bn-momentum"), state, "momentum", reloadSoon, { integer: false });
bindNumber($("bn-groups"), state, "g", reloadSoon);
bindRadio(document, "bn-mode", state, "mode", reloadSoon);
bindNumber($("bn-ag"), state, "ag", () => (writeState(PROPS, state), drawAffine()), {
  integer: false,
  output: $("bn-ag-out"),
  format: (v) => fmt(v, 2),
});
bindNumber($("bn-ab"), state, "ab", () => (writeState(PROPS, state), drawAffine()), {
  integer: false,
  output: $("bn-ab-out"),
  format: (v) => fmt(v, 2),
});
$("bn-next").addEventListener("click", () => {
  state.steps = Math.min(60, state.steps + 1);
  reload();
});
$("bn-prev").addEventListener("click", () => {
  state.steps = Math.max(1, state.steps - 1);
  reload();
});
$("bn-mates").addEventListener("click", () => {
  state.mates += 1;
  reload();
});

const list = $("bn-question-list");
const questions = [
  createQuestion(list, {
    question: "norm.q1",
    hint: "norm.h1",
    questionVars: () => ({ c: state.c }),
    compute: async () => {
      const body = await apiGet("/experiments/parameter-count", { layer: "batch_norm2d", in_channels: state.c });
      return { value: body.params, formula: body.formula, explanation: t("norm.a1") };
    },
  }),
  createQuestion(list, {
    question: "norm.q2",
    hint: "norm.h2",
    tolerance: 1e-9,
    compute: async () => ({
      value: Number(view.deltaEval.toFixed(6)),
      formula: `max |Δy| = ${fmt(view.deltaEval, 6)}`,
      explanation: t("norm.a2", { train: fmt(view.deltaTrain, 4) }),
    }),
  }),
  createQuestion(list, {
    question: "norm.q3",
    hint: "norm.h3",
    tolerance: 0.05,
    compute: async () => ({
      value: Number(nonlinearity(1, 0).toFixed(3)),
      formula: `max |σ(x̂) − (½ + x̂/4)|, |x̂| ≤ 1 = ${fmt(nonlinearity(1, 0), 3)}`,
      explanation: t("norm.a3", { affine: fmt(nonlinearity(state.ag, state.ab), 3) }),
    }),
  }),
];

document.addEventListener("langchange", relabel);
channelControls();
reload();
