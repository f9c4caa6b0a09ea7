// Batch norm on a toy batch (train/inference, running statistics over several batches, batch-mates),
// the affine step before a sigmoid, and layer/instance/group norm on the same tensor (convcore.operations.norm via the API).
import { apiGet, apiPost } from "../common/api.js";
import { fmt } from "../common/format.js";
import { t } from "../common/i18n.js";
import { pageLimits } from "../common/limits.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindNumber, bindRadio, debounce } from "../lessons/controls.js";
import { CHANNEL_SLIDERS, largestDivisor, nonlinearity, normalizationProps } from "../lessons/normalization-state.js";
import "../lessons/normalization-strings.js";
import { channelControls, drawAffine, drawBatch, drawCubes, drawMates, drawStats } from "../lessons/normalization-view.js";
import { createQuestion } from "../lessons/question.js";
import { randomBatch } from "../lessons/rng.js";
import "../lessons/strings.js";

initShell();
const $ = (id) => document.getElementById(id);
const PROPS = normalizationProps(pageLimits());
const state = readState(PROPS);
for (const { key } of CHANNEL_SLIDERS) {
  const fallback = PROPS.find((p) => p.key === key).default;
  state[key] = fallback.map((v, i) => (Number.isFinite(state[key][i]) ? state[key][i] : v));
}

// Everything derived from the API for the current state.
let view = null;
let runs = [];
let runsKey = "";
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
// Replays run one at a time: two interleaved replays would both append to the same runs.
let replayQueue = Promise.resolve();
function replay() {
  const run = replayQueue.then(replayOnce);
  replayQueue = run.catch(() => undefined);
  return run;
}

async function replayOnce() {
  const key = JSON.stringify([state.n, state.c, state.size, state.seed, state.momentum, state.shift, state.scale]);
  if (key !== runsKey) {
    runs = [];
    runsKey = key;
  }
  while (runs.length < state.steps) {
    const previous = runs.at(-1);
    const stats = previous
      ? {
          running_mean: previous.running_mean,
          running_var: previous.running_var,
          num_batches_tracked: previous.num_batches_tracked,
        }
      : {};
    const result = await apiPost("/ops/batch_norm2d", {
      x: batchAt(runs.length + 1),
      momentum: state.momentum,
      ...affine(),
      ...stats,
    });
    if (key !== runsKey) return false;
    runs.push(result);
  }
  return true;
}

async function batchNorm(x, training) {
  const before = runs[state.steps - 2];
  const after = runs[state.steps - 1];
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
    // the largest change of any output when sample 1 gets new batch-mates
    const diff = (a, b) => Math.max(...a.output[0].flat(2).map((v, i) => Math.abs(v - b.output[0].flat(2)[i])));
    const [deltaTrain, deltaEval] = [diff(trainA, trainB), diff(evalA, evalB)];
    const norms = { batch: trainA, layer, instance, group };
    view = { x, mates, current, trainA, trainB, evalA, evalB, deltaTrain, deltaEval, norms, groups };
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

function draw() {
  if (!view) return;
  drawStats(state, view, runs);
  drawBatch($("bn-x"), view.x);
  drawBatch($("bn-xhat"), view.current.x_hat);
  drawBatch($("bn-y"), view.current.output);
  drawMates(state, view);
  drawAffine(state);
  drawCubes(view);
  for (const q of questions) q.refresh();
}

function relabel() {
  channelControls($("bn-channels"), state, reloadSoon);
  draw();
}

for (const key of ["n", "size", "seed"]) bindNumber($(`bn-${key}`), state, key, reloadSoon);
bindNumber($("bn-c"), state, "c", () => {
  channelControls($("bn-channels"), state, reloadSoon);
  reloadSoon();
});
bindNumber($("bn-momentum"), state, "momentum", reloadSoon, { integer: false });
bindNumber($("bn-groups"), state, "g", reloadSoon);
bindRadio(document, "bn-mode", state, "mode", reloadSoon);
bindNumber($("bn-ag"), state, "ag", () => (writeState(PROPS, state), drawAffine(state)), {
  integer: false,
  output: $("bn-ag-out"),
  format: (v) => fmt(v, 2),
});
bindNumber($("bn-ab"), state, "ab", () => (writeState(PROPS, state), drawAffine(state)), {
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
channelControls($("bn-channels"), state, reloadSoon);
reload();
