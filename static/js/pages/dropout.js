// Dropout: a layer of units with a seeded mask per step, standard vs inverted, training vs inference,
// expectations measured over many masks and the ensemble view (convcore.dropout via the API).
import { apiPost } from "../common/api.js";
import { registerStrings, t } from "../common/i18n.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindNumber, bindRadio, debounce, latest } from "../lessons/controls.js";
import { fmt, fmtPow10 } from "../lessons/format.js";
import { legend, linePlot } from "../lessons/plot.js";
import { createQuestion } from "../lessons/question.js";
import { mulberry32, tensor } from "../lessons/rng.js";
import "../lessons/strings.js";

registerStrings({
  en: {
    "dropout.title": "Dropout",
    "dropout.lede":
      "Each unit is switched off with probability p. Draw masks, compare standard and inverted dropout, and watch the average over many masks.",
    "dropout.layerTitle": "A layer of units",
    "dropout.p": "Drop probability p",
    "dropout.n": "Units",
    "dropout.kind": "Kind",
    "dropout.inverted": "inverted (×1/(1−p) in training)",
    "dropout.standard": "standard (×(1−p) at inference)",
    "dropout.mode": "Mode",
    "dropout.train": "training",
    "dropout.eval": "inference",
    "dropout.prevMask": "Previous mask",
    "dropout.nextMask": "New mask",
    "dropout.step": "Mask seed {step}",
    "dropout.scale": "scale = {rule} = {scale}; kept {kept} of {n} units",
    "dropout.rule.invTrain": "1/(1−p)",
    "dropout.rule.stdTrain": "1",
    "dropout.rule.invEval": "1",
    "dropout.rule.stdEval": "1−p",
    "dropout.unit": "unit {i}: input {x}, output {y}",
    "dropout.unitOff": "unit {i}: input {x}, dropped",
    "dropout.means": "mean input {mx}; mean output of this mask {my}; expected output mean {ey}",
    "dropout.manyTitle": "Expected vs measured, over many masks",
    "dropout.masks": "Masks drawn",
    "dropout.colUnit": "unit",
    "dropout.colX": "x",
    "dropout.colExpected": "E[training output]",
    "dropout.colMeasured": "measured mean",
    "dropout.colInference": "inference output",
    "dropout.summary": "Over all units: expected mean {e}, measured {m} from {k} masks; inference output mean {inf}.",
    "dropout.ensTitle": "An ensemble of sub-networks",
    "dropout.ensCount": "{n} units → 2^{n} = {count} distinct masks (sub-networks)",
    "dropout.ensNote":
      "Every mask is one sub-network. Averaging the outputs of k masked sub-networks approaches the inference output; the error falls roughly as 1/√k.",
    "dropout.rms": "RMS difference from the inference output",
    "dropout.sqrtk": "1/√k guide",
    "dropout.x": "sub-networks averaged, k",
    "dropout.y": "RMS error",
    "dropout.q1": "Standard dropout with p = {p}: by what factor are activations multiplied at inference?",
    "dropout.a1": "In training a unit outputs (1 − p)·x + p·0 = (1 − p)·x on average; inference has to match it.",
    "dropout.q2": "Inverted dropout with p = {p}: by what factor are activations multiplied at inference?",
    "dropout.a2":
      "The compensation ×{train} already happened in training, so the network is used at inference exactly as it is — nothing to change when deploying. That is why frameworks implement inverted dropout.",
    "dropout.q3": "How many distinct masks (sub-networks) does a layer of {n} units have?",
    "dropout.a3": "Each unit is on or off independently: 2 choices per unit.",
  },
  ru: {
    "dropout.title": "Дропаут",
    "dropout.lede":
      "Каждый нейрон выключается с вероятностью p. Генерируйте маски, сравните обычный и инвертированный дропаут и посмотрите на среднее по многим маскам.",
    "dropout.layerTitle": "Слой нейронов",
    "dropout.p": "Вероятность выключения p",
    "dropout.n": "Нейронов",
    "dropout.kind": "Вариант",
    "dropout.inverted": "инвертированный (×1/(1−p) при обучении)",
    "dropout.standard": "обычный (×(1−p) на инференсе)",
    "dropout.mode": "Режим",
    "dropout.train": "обучение",
    "dropout.eval": "инференс",
    "dropout.prevMask": "Предыдущая маска",
    "dropout.nextMask": "Новая маска",
    "dropout.step": "Seed маски {step}",
    "dropout.scale": "множитель = {rule} = {scale}; оставлено {kept} из {n} нейронов",
    "dropout.rule.invTrain": "1/(1−p)",
    "dropout.rule.stdTrain": "1",
    "dropout.rule.invEval": "1",
    "dropout.rule.stdEval": "1−p",
    "dropout.unit": "нейрон {i}: вход {x}, выход {y}",
    "dropout.unitOff": "нейрон {i}: вход {x}, выключен",
    "dropout.means": "среднее входа {mx}; среднее выхода для этой маски {my}; ожидаемое среднее выхода {ey}",
    "dropout.manyTitle": "Ожидаемое и измеренное по многим маскам",
    "dropout.masks": "Сколько масок",
    "dropout.colUnit": "нейрон",
    "dropout.colX": "x",
    "dropout.colExpected": "E[выход при обучении]",
    "dropout.colMeasured": "измеренное среднее",
    "dropout.colInference": "выход на инференсе",
    "dropout.summary": "По всем нейронам: ожидаемое среднее {e}, измеренное {m} по {k} маскам; среднее на инференсе {inf}.",
    "dropout.ensTitle": "Ансамбль под-сетей",
    "dropout.ensCount": "{n} нейронов → 2^{n} = {count} различных масок (под-сетей)",
    "dropout.ensNote":
      "Каждая маска — одна под-сеть. Среднее выходов k под-сетей приближается к выходу на инференсе; ошибка падает примерно как 1/√k.",
    "dropout.rms": "Среднеквадратичное отличие от выхода на инференсе",
    "dropout.sqrtk": "ориентир 1/√k",
    "dropout.x": "усреднено под-сетей, k",
    "dropout.y": "ошибка (RMS)",
    "dropout.q1": "Обычный дропаут, p = {p}: на что умножаются активации на инференсе?",
    "dropout.a1": "При обучении нейрон в среднем выдаёт (1 − p)·x + p·0 = (1 − p)·x; на инференсе нужно то же самое.",
    "dropout.q2": "Инвертированный дропаут, p = {p}: на что умножаются активации на инференсе?",
    "dropout.a2":
      "Компенсация ×{train} уже сделана при обучении, поэтому на инференсе сеть используется как есть — при внедрении ничего менять не нужно. Поэтому во фреймворках дропаут инвертированный.",
    "dropout.q3": "Сколько различных масок (под-сетей) у слоя из {n} нейронов?",
    "dropout.a3": "Каждый нейрон независимо включён или выключен: 2 варианта на нейрон.",
  },
});

const PROPS = [
  { key: "p", type: "float", default: 0.5, min: 0, max: 0.95 },
  { key: "n", type: "int", default: 8, min: 2, max: 16 },
  { key: "kind", type: "enum", default: "inverted", values: ["inverted", "standard"] },
  { key: "mode", type: "enum", default: "train", values: ["train", "eval"] },
  { key: "step", type: "int", default: 0, min: 0, max: 1000000 },
  { key: "masks", type: "int", default: 200, min: 10, max: 2000 },
];
const STEP_MS = 900;

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
let layer = null;
let many = null;
let playing = null;

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
  $("do-scale").textContent = t("dropout.scale", { rule: t(ruleKey()), scale: fmt(layer.scale, 3), kept, n: state.n });
  $("do-units").replaceChildren(
    ...x.map((value, i) => {
      const unit = document.createElement("div");
      unit.className = layer.mask[i] ? "unit" : "unit off";
      unit.setAttribute("role", "listitem");
      unit.dataset.output = String(layer.output[i]);
      const vars = { i: i + 1, x: fmt(value), y: fmt(layer.output[i]) };
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
  const thead = document.createElement("thead");
  const tr = document.createElement("tr");
  for (const key of head) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t(key);
    tr.append(th);
  }
  thead.append(tr);
  const tbody = document.createElement("tbody");
  x.forEach((value, i) => {
    const row = document.createElement("tr");
    const cells = [
      String(i + 1),
      fmt(value),
      fmt(many.expected_training[i], 3),
      fmt(many.measured_training[i], 3),
      fmt(many.inference_output[i], 3),
    ];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      row.append(td);
    }
    tbody.append(row);
  });
  $("do-table").replaceChildren(thead, tbody);
  $("do-summary").textContent = t("dropout.summary", {
    e: fmt(mean(many.expected_training), 3),
    m: fmt(mean(many.measured_training), 3),
    k: many.n_masks,
    inf: fmt(mean(many.inference_output), 3),
  });
  $("do-ens-count").textContent = t("dropout.ensCount", { n: many.n_units, count: many.n_distinct_masks });
  const ks = many.rms_error.map((_, i) => i + 1);
  const series = [
    { label: t("dropout.rms"), cls: "s1", points: ks.map((k, i) => [k, many.rms_error[i]]) },
    { label: t("dropout.sqrtk"), cls: "s2", dashed: true, points: ks.map((k) => [k, many.rms_error[0] / Math.sqrt(k)]) },
  ];
  linePlot($("do-plot"), series, {
    logY: true,
    xLabel: t("dropout.x"),
    yLabel: t("dropout.y"),
    formatY: fmtPow10,
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

function tick(token, last) {
  return (now) => {
    if (playing !== token) return;
    if (now - last >= STEP_MS) {
      setStep(state.step + 1);
      last = now;
    }
    requestAnimationFrame(tick(token, last));
  };
}

function togglePlay() {
  const button = $("do-play");
  if (playing) {
    playing = null;
  } else {
    playing = Symbol("play");
    requestAnimationFrame(tick(playing, performance.now()));
  }
  button.setAttribute("aria-pressed", String(Boolean(playing)));
  button.dataset.i18n = playing ? "lesson.pause" : "lesson.play";
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
const pVars = () => ({ p: fmt(state.p, 2), n: state.n });
const questions = [
  createQuestion(list, {
    question: "dropout.q1",
    questionVars: pVars,
    tolerance: 1e-9,
    compute: async () => {
      const scale = await inferenceScale(false);
      return { value: scale, formula: `1 − p = 1 − ${fmt(state.p, 2)} = ${fmt(scale, 2)}`, explanation: t("dropout.a1") };
    },
  }),
  createQuestion(list, {
    question: "dropout.q2",
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
