// Drawing of the normalization lesson, as functions of the page's state and the API's answers: the channel
// sliders, the batch grids, the statistics and their history, the batch-mates, the affine step and the cubes.
import { fmt } from "../common/format.js";
import { t } from "../common/i18n.js";
import { legend, linePlot } from "../common/plot.js";
import { fillTable } from "../common/table.js";
import { drawCube } from "./cube.js";
import { drawGrid } from "./grid.js";
import { CHANNEL_SLIDERS, nonlinearity, sigmoid } from "./normalization-state.js";

const $ = (id) => document.getElementById(id);

// One fieldset of sliders per channel; onInput() after a slider moved state[key][ch].
export function channelControls(container, state, onInput) {
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
        onInput();
      });
      show();
      field.append(label, input, output);
      fieldset.append(field);
    }
    container.append(fieldset);
  }
}

// N rows (samples) × C columns (channels) of H×W grids.
export function drawBatch(container, batch, { highlightSample = -1 } = {}) {
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

// The statistics table and the running mean and variance against the number of batches seen (runs: one
// /ops/batch_norm2d answer per batch).
export function drawStats(state, view, runs) {
  const train = view.trainA;
  const after = runs[state.steps - 1];
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
  const steps = runs.slice(0, state.steps).map((_, i) => i + 1);
  const meanSeries = [];
  const varSeries = [];
  for (let ch = 0; ch < state.c; ch++) {
    const cls = `s${ch + 1}`;
    const label = `c${ch}`;
    // torch starts the running statistics at mean 0 and variance 1 (step 0)
    meanSeries.push({ label, cls, points: [[0, 0], ...steps.map((k) => [k, runs[k - 1].running_mean[ch]])] });
    meanSeries.push({ label, cls, dashed: true, points: [[0, state.shift[ch]], [state.steps, state.shift[ch]]] });
    varSeries.push({ label, cls, points: [[0, 1], ...steps.map((k) => [k, runs[k - 1].running_var[ch]])] });
    varSeries.push({ label, cls, dashed: true, points: [[0, state.scale[ch] ** 2], [state.steps, state.scale[ch] ** 2]] });
  }
  const options = { width: 420, height: 240, xLabel: t("norm.batches") };
  linePlot($("bn-mean-plot"), meanSeries, { ...options, yLabel: t("norm.runMean") });
  linePlot($("bn-var-plot"), varSeries, { ...options, yLabel: t("norm.runVar") });
  legend($("bn-mean-legend"), meanSeries.filter((s) => !s.dashed));
  legend($("bn-var-legend"), varSeries.filter((s) => !s.dashed));
}

// Sample 1's output with its old and new batch-mates, in training and in inference.
export function drawMates(state, view) {
  $("bn-mates-seed").textContent = t("norm.matesSeed", { k: state.mates });
  const first = (r) => fmt(r.output[0][0][0][0], 4);
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

// sigmoid(x̂), its tangent and sigmoid(γ·x̂ + β) for the page's γ and β.
export function drawAffine(state) {
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

// The four normalizations as cubes: which elements share one mean.
export function drawCubes(view) {
  const container = $("bn-cubes");
  container.replaceChildren();
  const axes = { batch: "norm.axesBatch", layer: "norm.axesLayer", instance: "norm.axesInstance", group: "norm.axesGroup" };
  for (const kind of ["batch", "layer", "instance", "group"]) {
    const result = view.norms[kind];
    const figure = document.createElement("figure");
    figure.className = "cube-figure";
    figure.dataset.kind = kind;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    const labels = kind === "batch" ? batchLabels(view) : result?.statistics_index;
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
function batchLabels(view) {
  return view.x.map((sample) => sample.map((plane, ch) => plane.map((row) => row.map(() => ch))));
}
