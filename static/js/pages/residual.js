// Residual connections: the measured variance of activations vs depth (convcore.networks.residual via the API).
import { apiGet } from "../common/api.js";
import { showError } from "../common/errorview.js";
import { formatCount, t } from "../common/i18n.js";
import { pageLimits } from "../common/limits.js";
import { initShell } from "../common/shell.js";
import { readState, writeState, writeStateAfterPaint } from "../common/urlstate.js";
import { bindCheckbox, bindNumber, serially } from "../lessons/controls.js";
import { fmt, fmtSci } from "../common/format.js";
import { residualMaxima } from "../lessons/budget.js";
import { legend, linePlot } from "../common/plot.js";
import { createQuestion } from "../lessons/question.js";
import "../lessons/strings.js";
import "../lessons/residual-strings.js";

const VARIANTS = ["plain", "residual", "scaled", "batch_norm"];
const LIMITS = pageLimits();
const PROPS = [
  { key: "depth", type: "int", default: 50, ...LIMITS.depth },
  { key: "width", type: "int", default: 64, ...LIMITS.width },
  { key: "samples", type: "int", default: 16, ...LIMITS.samples },
  { key: "networks", type: "int", default: 32, ...LIMITS.networks },
  { key: "seed", type: "int", default: 0, ...LIMITS.seed },
  { key: "log", type: "bool", default: true },
  { key: "k", type: "int", default: 10, min: 0, max: LIMITS.depth.max },
];
const BUDGET = LIMITS.work.max;

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
let data = null;

const fetchExperiment = () =>
  apiGet("/experiments/residual", {
    depth: state.depth,
    width: state.width,
    samples: state.samples,
    networks: state.networks,
    seed: state.seed,
  });

const SIZE_KEYS = ["depth", "width", "samples", "networks"];
const BOUNDS = Object.fromEntries(SIZE_KEYS.map((key) => [key, LIMITS[key].max]));

// Each field's max is what the budget leaves with the others as they are, so no combination is refused.
function limitRanges() {
  const maxima = residualMaxima(state, BOUNDS, BUDGET);
  for (const key of SIZE_KEYS) $(`res-${key}`).max = String(maxima[key]);
}

function showClamp(key, typed, kept) {
  const limit = kept < BOUNDS[key] ? "residual.clampBudget" : "residual.clampField";
  $("res-clamp").hidden = false;
  const field = t(key === "seed" ? "lesson.seed" : `residual.${key}`);
  $("res-clamp").textContent = t(limit, { field, typed, kept, budget: formatCount(BUDGET) });
}

// A refused or failed request leaves no plot of other settings behind.
function clearResult() {
  data = null;
  for (const id of ["res-plot", "res-legend", "res-table"]) $(id).replaceChildren();
  $("res-meta").textContent = "";
}

async function reload() {
  const start = performance.now();
  const response = fetchExperiment();
  limitRanges();
  showError($("res-error"), null);
  try {
    data = await response;
    draw();
    // benchmarks/playground_render.py reads this: request sent → plot and table drawn
    performance.clearMeasures("residual-recompute");
    performance.measure("residual-recompute", { start, end: performance.now() });
  } catch (error) {
    clearResult();
    showError($("res-error"), error);
  } finally {
    writeStateAfterPaint(PROPS, () => state);
  }
}
// One request at a time, sent at once; changes made meanwhile make one more with the settings as they are then.
const reloadNow = serially(reload);

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
    formatY: (v) => fmtSci(v, 2),
    title: t("residual.plotTitle"),
  });
  legend($("res-legend"), series);
  $("res-meta").textContent = t("residual.meta", {
    seed: data.seed,
    networks: t("count.networks", { count: data.networks }),
    samples: t("count.samples", { count: data.samples }),
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

function onSizeChange() {
  $("res-clamp").hidden = true;
  reloadNow();
}

limitRanges();
for (const key of [...SIZE_KEYS, "seed"]) {
  bindNumber($(`res-${key}`), state, key, onSizeChange, {
    output: key === "depth" ? $("res-depth-out") : undefined,
    onClamp: (typed, kept) => showClamp(key, typed, kept),
  });
}
bindCheckbox($("res-log"), state, "log", onLocalChange);
bindNumber($("res-k"), state, "k", onLocalChange, { output: $("res-k-out") });

const questions = $("res-question-list");
const doubling = createQuestion(questions, {
  question: "residual.q1",
  hint: "residual.h1",
  questionVars: () => ({ count: Math.min(state.k, state.depth) }),
  compute: async () => {
    const k = Math.min(state.k, data.depth);
    return {
      value: data.theoretical.residual[k],
      formula: `2^${k} = ${data.theoretical.residual[k]}`,
      explanation: t("residual.a1", { count: k, measured: fmtSci(data.variances.residual[k], 4) }),
    };
  },
  tolerance: 0,
});
createQuestion(questions, {
  question: "residual.q2",
  hint: "residual.h2",
  compute: async () => ({
    value: 1,
    formula: "Var((h + F(h))/√2) = (σ² + σ²)/2 = σ²",
    explanation: t("residual.a2", { ratio: fmt(data.ratio_per_block.scaled, 3) }),
  }),
  tolerance: 0.05,
});

document.addEventListener("langchange", draw);
reloadNow();
