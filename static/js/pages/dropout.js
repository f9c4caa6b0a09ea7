// Dropout: a layer of units with a seeded mask per step, standard vs inverted, training vs inference,
// expectations measured over many masks and the ensemble view (convcore.operations.dropout via the API).
import { apiPost } from "../common/api.js";
import { t } from "../common/i18n.js";
import { createLoop } from "../common/loop.js";
import { pageLimits } from "../common/limits.js";
import { initShell } from "../common/shell.js";
import { fillTable } from "../common/table.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindNumber, bindRadio, debounce, latest } from "../lessons/controls.js";
import { fmt } from "../common/format.js";
import { legend, linePlot } from "../common/plot.js";
import { createQuestion } from "../lessons/question.js";
import { mulberry32, tensor } from "../lessons/rng.js";
import "../lessons/strings.js";
import "../lessons/dropout-strings.js";

const LIMITS = pageLimits();
const PROPS = [
  { key: "p", type: "float", default: 0.5, ...LIMITS.p },
  { key: "n", type: "int", default: 8, ...LIMITS.n },
  { key: "kind", type: "enum", default: "inverted", values: ["inverted", "standard"] },
  { key: "mode", type: "enum", default: "train", values: ["train", "eval"] },
  { key: "step", type: "int", default: 0, min: 0, max: 1000000 },
  { key: "masks", type: "int", default: 200, ...LIMITS.masks },
];
const STEPS_PER_SECOND = 1000 / 900;

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
let layer = null;
let many = null;

// The layer's input activations: fixed, non-negative (as after a ReLU), from the unit count.
function activations(n) {
  const uniform = mulberry32(1000 + n);
  return tensor([n], () => 0.2 + 2.8 * uniform());
}

const fetchLayer = latest((signal) =>
  apiPost(
    "/ops/dropout",
    {
      x: activations(state.n),
      p: state.p,
      training: state.mode === "train",
      inverted: state.kind === "inverted",
      seed: state.step,
    },
    { signal },
  ),
);
const fetchMany = latest((signal) =>
  apiPost(
    "/experiments/dropout",
    { x: activations(state.n), p: state.p, inverted: state.kind === "inverted", n_masks: state.masks, seed: state.step },
    { signal },
  ),
);

async function reloadLayer() {
  writeState(PROPS, state);
  const result = await fetchLayer();
  if (result === undefined) return;
  layer = result;
  drawLayer();
}
async function reloadMany() {
  writeState(PROPS, state);
  const result = await fetchMany();
  if (result === undefined) return;
  many = result;
  drawMany();
}
const reloadManySoon = debounce(reloadMany, 200);
function reloadAll() {
  reloadLayer();
  reloadManySoon();
}

function ruleKey() {
  const inverted = state.kind === "inverted";
  if (state.mode === "train") return inverted ? "dropout.rule.invTrain" : "dropout.rule.stdTrain";
  return inverted ? "dropout.rule.invEval" : "dropout.rule.stdEval";
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function drawLayer() {
  $("do-step").textContent = t("dropout.step", { step: state.step });
  $("do-units").setAttribute("aria-label", t("dropout.layerTitle"));
  if (!layer) return;
  const x = activations(state.n);
  const kept = layer.mask.filter(Boolean).length;
  // a rule that is the constant 1 is not worth "= 1.000"
  const rule = t(ruleKey());
  const scale = rule === "1" ? rule : `${rule} = ${fmt(layer.scale, 3)}`;
  $("do-scale").textContent = t("dropout.scale", { scale, kept, count: state.n });
  $("do-units").replaceChildren(
    ...x.map((value, i) => {
      const unit = document.createElement("div");
      unit.className = layer.mask[i] ? "unit" : "unit off";
      unit.setAttribute("role", "listitem");
      unit.dataset.output = String(layer.output[i]);
      const vars = { i, x: fmt(value), y: fmt(layer.output[i]) };
      unit.setAttribute("aria-label", t(layer.mask[i] ? "dropout.unit" : "dropout.unitOff", vars));
      const input = document.createElement("span");
      input.className = "unit-in";
      input.textContent = fmt(value);
      const arrow = document.createElement("span");
      arrow.setAttribute("aria-hidden", "true");
      arrow.textContent = layer.mask[i] ? "↓" : "✕";
      const output = document.createElement("span");
      output.className = "unit-out";
      output.textContent = fmt(layer.output[i]);
      unit.append(input, arrow, output);
      return unit;
    }),
  );
  $("do-means").textContent = t("dropout.means", {
    mx: fmt(mean(x), 3),
    my: fmt(mean(layer.output), 3),
    ey: fmt(mean(layer.expected), 3),
  });
}

function drawMany() {
  if (!many) return;
  const x = activations(state.n);
  const head = ["dropout.colUnit", "dropout.colX", "dropout.colExpected", "dropout.colMeasured", "dropout.colInference"];
  const rows = x.map((value, i) => [
    String(i),
    fmt(value),
    fmt(many.expected_training[i], 3),
    fmt(many.measured_training[i], 3),
    fmt(many.inference_output[i], 3),
  ]);
  fillTable($("do-table"), head.map((key) => t(key)), rows);
  $("do-summary").textContent = t("dropout.summary", {
    e: fmt(mean(many.expected_training), 3),
    m: fmt(mean(many.measured_training), 3),
    count: many.n_masks,
    inf: fmt(mean(many.inference_output), 3),
  });
  $("do-ens-count").textContent = t("dropout.ensCount", {
    n: many.n_units,
    units: t("count.units", { count: many.n_units }),
    masks: t("count.masks", { count: many.n_distinct_masks }),
  });
  const ks = many.rms_error.map((_, i) => i + 1);
  const series = [
    { label: t("dropout.rms"), cls: "s1", points: ks.map((k, i) => [k, many.rms_error[i]]) },
    { label: t("dropout.sqrtk"), cls: "s2", dashed: true, points: ks.map((k) => [k, many.rms_error[0] / Math.sqrt(k)]) },
  ];
  linePlot($("do-plot"), series, {
    logY: true,
    xLabel: t("dropout.x"),
    yLabel: t("dropout.y"),
    title: t("dropout.ensTitle"),
    height: 280,
  });
  legend($("do-legend"), series);
}

function draw() {
  $("do-p-out").textContent = fmt(state.p, 2);
  $("do-masks-out").textContent = String(state.masks);
  drawLayer();
  drawMany();
  for (const q of questions) q.refresh();
}

function setStep(step) {
  state.step = Math.max(0, step);
  reloadAll();
}

// Play draws a new mask per step; the answer draws itself when it arrives.
const loop = createLoop({
  advance: () => {
    setStep(state.step + 1);
    return true;
  },
});

function togglePlay() {
  const button = $("do-play");
  if (loop.playing) loop.stop();
  else loop.play(STEPS_PER_SECOND);
  button.setAttribute("aria-pressed", String(loop.playing));
  button.dataset.i18n = loop.playing ? "lesson.pause" : "lesson.play";
  button.textContent = t(button.dataset.i18n);
}

bindNumber($("do-p"), state, "p", reloadAll, { integer: false, output: $("do-p-out"), format: (v) => fmt(v, 2) });
bindNumber($("do-n"), state, "n", reloadAll);
bindNumber($("do-masks"), state, "masks", reloadManySoon, { output: $("do-masks-out") });
bindRadio(document, "do-kind", state, "kind", reloadAll);
bindRadio(document, "do-mode", state, "mode", reloadLayer);
$("do-next").addEventListener("click", () => setStep(state.step + 1));
$("do-prev").addEventListener("click", () => setStep(state.step - 1));
$("do-play").addEventListener("click", togglePlay);

async function inferenceScale(inverted) {
  const body = { x: [1], p: state.p, training: false, inverted };
  return (await apiPost("/ops/dropout", body)).scale;
}

const list = $("do-question-list");
const pVars = () => ({ p: fmt(state.p, 2), count: state.n });
const questions = [
  createQuestion(list, {
    question: "dropout.q1",
    hint: "dropout.h1",
    questionVars: pVars,
    tolerance: 1e-9,
    compute: async () => {
      const scale = await inferenceScale(false);
      return { value: scale, formula: `1 − p = 1 − ${fmt(state.p, 2)} = ${fmt(scale, 2)}`, explanation: t("dropout.a1") };
    },
  }),
  createQuestion(list, {
    question: "dropout.q2",
    hint: "dropout.h2",
    questionVars: pVars,
    tolerance: 1e-9,
    compute: async () => {
      const scale = await inferenceScale(true);
      const train = fmt(1 / (1 - state.p), 3);
      return { value: scale, formula: `×${fmt(scale, 0)}`, explanation: t("dropout.a2", { train }) };
    },
  }),
  createQuestion(list, {
    question: "dropout.q3",
    hint: "dropout.h3",
    questionVars: pVars,
    compute: async () => {
      const result = many ?? (await fetchMany());
      return {
        value: result.n_distinct_masks,
        formula: `2^${result.n_units} = ${result.n_distinct_masks}`,
        explanation: t("dropout.a3"),
      };
    },
  }),
];

document.addEventListener("langchange", draw);
draw();
reloadAll();
