// Residual connections: the measured variance of activations vs depth (convcore.residual via the API).
import { apiGet } from "../common/api.js";
import { registerStrings, t } from "../common/i18n.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindCheckbox, bindNumber, debounce, latest } from "../lessons/controls.js";
import { fmt, fmtPow10, fmtSci } from "../lessons/format.js";
import { legend, linePlot } from "../lessons/plot.js";
import { createQuestion } from "../lessons/question.js";
import "../lessons/strings.js";

registerStrings({
  en: {
    "residual.title": "Residual connections",
    "residual.lede":
      "Where a residual path joins the block, the variances add up: with ReLU and Kaiming initialization they double in every block. Measure it through 1–50 blocks, and see what 1/√2 and batch norm do.",
    "residual.setup": "Experiment",
    "residual.blockText":
      "Block F(h) = W·ReLU(h), W ~ N(0, 2/width) (Kaiming). Plain: h ← F(h). Residual: h ← h + F(h). Scaled: h ← (h + F(h))/√2. With batch norm: h ← h + W·ReLU(BN(h)).",
    "residual.depth": "Blocks (depth)",
    "residual.width": "Width (units per layer)",
    "residual.samples": "Samples per network",
    "residual.networks": "Networks",
    "residual.log": "Logarithmic y axis",
    "residual.plotTitle": "Activation variance vs depth",
    "residual.bandNote": "Shaded: the 10th–90th percentile of single networks; dashed: the theory (1, 2ᵏ, 1, 1 + k).",
    "residual.meta": "Seed {seed}; {networks} networks × {samples} samples × width {width}; {dtype}. Init: {init}.",
    "residual.tableTitle": "Numbers at one depth",
    "residual.k": "After k blocks",
    "residual.variant": "Stack",
    "residual.measured": "Measured Var(h_k)",
    "residual.theory": "Theory",
    "residual.ratio": "Fitted factor per block",
    "residual.x": "blocks k",
    "residual.y": "Var(h_k)",
    "residual.plain": "plain",
    "residual.residual": "residual",
    "residual.scaled": "residual × 1/√2",
    "residual.batch_norm": "residual + batch norm",
    "residual.theoryOf": "theory: {name}",
    "residual.q1": "The input has variance 1. What is the variance after {k} residual blocks, by the lecture's argument?",
    "residual.a1": "Each junction adds Var(F(h)) = Var(h), so the variance doubles {k} times. Measured here: {measured}.",
    "residual.q2": "By what factor per block does the variance change when the sum is scaled by 1/√2?",
    "residual.a2": "(σ² + σ²)/2 = σ²: the factor is 1 in theory; the fit over the measured curve gives {ratio}.",
  },
  ru: {
    "residual.title": "Остаточные связи (residual connections)",
    "residual.lede":
      "В месте соединения путей дисперсии складываются: с ReLU и инициализацией Kaiming дисперсия удваивается в каждом блоке. Измерьте это на глубине 1–50 блоков и посмотрите, что делают 1/√2 и батч-нормализация.",
    "residual.setup": "Эксперимент",
    "residual.blockText":
      "Блок F(h) = W·ReLU(h), W ~ N(0, 2/ширина) (Kaiming). Обычный: h ← F(h). Residual: h ← h + F(h). Со шкалированием: h ← (h + F(h))/√2. С батч-нормализацией: h ← h + W·ReLU(BN(h)).",
    "residual.depth": "Блоков (глубина)",
    "residual.width": "Ширина (нейронов в слое)",
    "residual.samples": "Примеров на сеть",
    "residual.networks": "Сетей",
    "residual.log": "Логарифмическая ось y",
    "residual.plotTitle": "Дисперсия активаций в зависимости от глубины",
    "residual.bandNote": "Заливка: 10–90-й перцентиль отдельных сетей; пунктир: теория (1, 2ᵏ, 1, 1 + k).",
    "residual.meta": "Seed {seed}; {networks} сетей × {samples} примеров × ширина {width}; {dtype}. Инициализация: {init}.",
    "residual.tableTitle": "Числа на одной глубине",
    "residual.k": "После k блоков",
    "residual.variant": "Сеть",
    "residual.measured": "Измерено Var(h_k)",
    "residual.theory": "Теория",
    "residual.ratio": "Множитель на блок (по всей кривой)",
    "residual.x": "блоков k",
    "residual.y": "Var(h_k)",
    "residual.plain": "без остаточных связей",
    "residual.residual": "residual",
    "residual.scaled": "residual × 1/√2",
    "residual.batch_norm": "residual + батч-норм",
    "residual.theoryOf": "теория: {name}",
    "residual.q1": "Дисперсия входа равна 1. Какой она станет после {k} residual-блоков по рассуждению из лекции?",
    "residual.a1": "Каждое соединение добавляет Var(F(h)) = Var(h), дисперсия удваивается {k} раз. Измерено здесь: {measured}.",
    "residual.q2": "Во сколько раз за блок меняется дисперсия, если сумму шкалировать на 1/√2?",
    "residual.a2": "(σ² + σ²)/2 = σ²: в теории множитель 1; подгонка по измеренной кривой даёт {ratio}.",
  },
});

const VARIANTS = ["plain", "residual", "scaled", "batch_norm"];
const PROPS = [
  { key: "depth", type: "int", default: 50, min: 1, max: 50 },
  { key: "width", type: "int", default: 64, min: 2, max: 128 },
  { key: "samples", type: "int", default: 16, min: 2, max: 256 },
  { key: "networks", type: "int", default: 32, min: 1, max: 64 },
  { key: "seed", type: "int", default: 0, min: 0, max: 4294967295 },
  { key: "log", type: "bool", default: true },
  { key: "k", type: "int", default: 10, min: 0, max: 50 },
];

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
let data = null;

const fetchExperiment = latest((signal) =>
  apiGet(
    "/experiments/residual",
    { depth: state.depth, width: state.width, samples: state.samples, networks: state.networks, seed: state.seed },
    { signal },
  ),
);

async function reload() {
  const start = performance.now();
  writeState(PROPS, state);
  $("res-error").hidden = true;
  try {
    const result = await fetchExperiment();
    if (result === undefined) return;
    data = result;
    draw();
    // benchmarks/playground_render.py reads this: request sent → plot and table drawn
    performance.clearMeasures("residual-recompute");
    performance.measure("residual-recompute", { start, end: performance.now() });
  } catch (error) {
    $("res-error").hidden = false;
    $("res-error").textContent = t("error.generic", { message: error.message });
  }
}
const reloadSoon = debounce(reload, 250);

function onLocalChange() {
  state.k = Math.min(state.k, state.depth);
  writeState(PROPS, state);
  draw();
}

function draw() {
  $("res-block").textContent = t("residual.blockText");
  if (!data) return;
  const k = Math.min(state.k, data.depth);
  $("res-k").max = String(data.depth);
  $("res-k").value = String(k);
  $("res-k-out").textContent = String(k);
  const names = Object.fromEntries(VARIANTS.map((v) => [v, t(`residual.${v}`)]));
  const series = VARIANTS.flatMap((variant, i) => [
    { label: names[variant], cls: `s${i + 1}`, points: data.depths.map((d, j) => [d, data.variances[variant][j]]) },
  ]);
  const theory = VARIANTS.map((variant, i) => ({
    label: t("residual.theoryOf", { name: names[variant] }),
    cls: `s${i + 1}`,
    dashed: true,
    points: data.depths.map((d, j) => [d, data.theoretical[variant][j]]),
  }));
  const bands = VARIANTS.map((variant, i) => ({
    xs: data.depths,
    low: data.low[variant],
    high: data.high[variant],
    cls: `s${i + 1}`,
  }));
  linePlot($("res-plot"), [...series, ...theory], {
    logY: state.log,
    bands,
    xLabel: t("residual.x"),
    yLabel: t("residual.y"),
    formatY: (v) => (state.log ? fmtPow10(v) : fmtSci(v, 2)),
    title: t("residual.plotTitle"),
  });
  legend($("res-legend"), series);
  $("res-meta").textContent = t("residual.meta", {
    seed: data.seed,
    networks: data.networks,
    samples: data.samples,
    width: data.width,
    dtype: data.dtype,
    init: data.init,
  });
  drawTable(k, names);
  doubling.refresh();
}

function drawTable(k, names) {
  const table = $("res-table");
  const head = document.createElement("tr");
  for (const key of ["residual.variant", "residual.measured", "residual.theory", "residual.ratio"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t(key);
    head.append(th);
  }
  const rows = VARIANTS.map((variant) => {
    const tr = document.createElement("tr");
    tr.dataset.variant = variant;
    const cells = [
      names[variant],
      fmtSci(data.variances[variant][k], 4),
      fmtSci(data.theoretical[variant][k], 4),
      fmt(data.ratio_per_block[variant], 3),
    ];
    for (const [i, text] of cells.entries()) {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.textContent = text;
      tr.append(cell);
    }
    return tr;
  });
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  tbody.append(...rows);
  table.replaceChildren(thead, tbody);
}

for (const key of ["depth", "width", "samples", "networks", "seed"]) {
  bindNumber($(`res-${key}`), state, key, reloadSoon, { output: key === "depth" ? $("res-depth-out") : undefined });
}
bindCheckbox($("res-log"), state, "log", onLocalChange);
bindNumber($("res-k"), state, "k", onLocalChange, { output: $("res-k-out") });

const questions = $("res-question-list");
const doubling = createQuestion(questions, {
  question: "residual.q1",
  questionVars: () => ({ k: Math.min(state.k, state.depth) }),
  compute: async () => {
    const k = Math.min(state.k, data.depth);
    return {
      value: data.theoretical.residual[k],
      formula: `2^${k} = ${data.theoretical.residual[k]}`,
      explanation: t("residual.a1", { k, measured: fmtSci(data.variances.residual[k], 4) }),
    };
  },
  tolerance: 0,
});
createQuestion(questions, {
  question: "residual.q2",
  compute: async () => ({
    value: 1,
    formula: "Var((h + F(h))/√2) = (σ² + σ²)/2 = σ²",
    explanation: t("residual.a2", { ratio: fmt(data.ratio_per_block.scaled, 3) }),
  }),
  tolerance: 0.05,
});

document.addEventListener("langchange", draw);
reload();
