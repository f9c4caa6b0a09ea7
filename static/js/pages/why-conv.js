// Why not dense layers: the three layers' counts (convcore.operations.dense via the API), parameters against image size,
// and the pixel-permutation experiment.
import { apiGet, apiPost } from "../common/api.js";
import { showError } from "../common/errorview.js";
import { formatCount, t } from "../common/i18n.js";
import { pageLimits } from "../common/limits.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindCheckbox, bindNumber, debounce, latest } from "../lessons/controls.js";
import { fmtFactor, fmtSci } from "../common/format.js";
import { bindImageSource } from "../lessons/imagesource.js";
import { legend, linePlot } from "../common/plot.js";
import { createQuestion } from "../lessons/question.js";
import "../lessons/strings.js";
import "../lessons/whyconv-strings.js";

const LAYERS = ["dense", "locally_connected", "conv"];
const KERNELS = ["sobel_x", "laplacian_4", "gaussian_blur_3", "emboss"];
const LIMITS = pageLimits();
const PROPS = [
  { key: "c", type: "int", default: 3, ...LIMITS.c },
  { key: "h", type: "int", default: 224, ...LIMITS.h },
  { key: "w", type: "int", default: 224, ...LIMITS.w },
  { key: "cout", type: "int", default: 64, ...LIMITS.cout },
  { key: "k", type: "int", default: 3, ...LIMITS.k },
  { key: "bias", type: "bool", default: true },
  { key: "sample", type: "string", default: "house" },
  { key: "side", type: "int", default: 32, ...LIMITS.side },
  { key: "kernel", type: "enum", values: KERNELS, default: "sobel_x" },
  { key: "seed", type: "int", default: 0, ...LIMITS.seed },
];

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
state.k = state.k % 2 === 0 ? state.k + 1 : state.k;
let costs = null;
let perm = null;

const fetchCosts = latest((signal) =>
  apiGet(
    "/experiments/why-conv",
    { channels: state.c, height: state.h, width: state.w, out_channels: state.cout, kernel_size: state.k, bias: state.bias },
    { signal },
  ),
);

async function reloadCosts() {
  writeState(PROPS, state);
  try {
    const result = await fetchCosts();
    if (result === undefined) return;
    showError($("why-error"), null);
    costs = result;
    drawCosts();
  } catch (error) {
    showError($("why-error"), error, "error.generic");
  }
}

function line(cls, text) {
  const p = document.createElement("p");
  p.className = cls;
  p.textContent = text;
  return p;
}

// an exact count, grouped by thousands, with its order of magnitude when it is too long to read at a glance
function bigCount(n) {
  return n >= 1e6 ? `${formatCount(n)} ≈ ${fmtSci(n, 3)}` : formatCount(n);
}

function drawCosts() {
  if (!costs) return;
  const cards = LAYERS.map((name, i) => {
    const layer = costs.layers[name];
    const card = document.createElement("article");
    card.className = `layer-card s${i + 1}`;
    card.dataset.layer = name;
    const title = document.createElement("h3");
    title.textContent = t(`why.${name}`);
    card.append(
      title,
      line("mono", layer.module),
      line("count params", `${t("why.params")}: ${bigCount(layer.params)}`),
      line("formula", layer.params_formula),
      line("count macs", `${t("why.macs")}: ${bigCount(layer.macs)}`),
      line("formula", layer.macs_formula),
    );
    return card;
  });
  $("why-cards").replaceChildren(...cards);
  const item = (text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  };
  $("why-savings").replaceChildren(
    item(t("why.locality", { count: fmtFactor(costs.locality_saving) })),
    item(t("why.sharing", { count: fmtFactor(costs.sharing_saving), hw: state.h * state.w })),
  );
  const series = LAYERS.map((name, i) => ({
    label: t(`why.${name}`),
    cls: `s${i + 1}`,
    points: costs.sweep.sides.map((side, j) => [side, costs.sweep[name][j]]),
  }));
  linePlot($("why-plot"), series, {
    logY: true,
    xLabel: t("why.x"),
    yLabel: t("why.y"),
    title: t("why.plotTitle"),
  });
  legend($("why-legend"), series);
  sharingQuestion.refresh();
}

let imageForm = null;
const fetchPerm = latest((signal) =>
  apiPost("/experiments/permutation", imageForm({ side: state.side, kernel: state.kernel, seed: state.seed }), { signal }),
);

async function reloadPerm() {
  writeState(PROPS, state);
  try {
    const result = await fetchPerm();
    if (result === undefined) return;
    showError($("perm-error"), null);
    perm = result;
    drawPerm();
  } catch (error) {
    showError($("perm-error"), error, "error.generic");
  }
}

function figure(src, caption, name) {
  const fig = document.createElement("figure");
  fig.dataset.map = name;
  const img = document.createElement("img");
  img.src = src;
  img.alt = caption;
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  fig.append(img, cap);
  return fig;
}

function drawPerm() {
  if (!perm) return;
  const im = perm.images;
  $("perm-figures").replaceChildren(
    figure(im.image, t("why.figImage", { h: perm.height, w: perm.width }), "image"),
    figure(im.scrambled, t("why.figScrambled"), "scrambled"),
    figure(im.conv, t("why.figConv"), "conv"),
    figure(im.conv_scrambled, t("why.figConvScrambled"), "conv_scrambled"),
    figure(im.conv_unscrambled, t("why.figUnscrambled"), "conv_unscrambled"),
  );
  $("perm-dense-stat").textContent = t("why.denseStat", { count: perm.units, diff: fmtSci(perm.dense_max_difference, 2) });
  $("perm-conv-stat").textContent = t("why.convStat", { rel: fmtSci(perm.conv_relative_difference, 3) });
  const series = [
    { label: t("why.denseOriginal"), cls: "s1", points: perm.dense.map((v, i) => [i, v]) },
    { label: t("why.denseScrambled"), cls: "s2", dashed: true, points: perm.dense_scrambled.map((v, i) => [i, v]) },
  ];
  linePlot($("perm-plot"), series, {
    xLabel: t("why.unit"),
    yLabel: t("why.value"),
    title: t("why.permTitle"),
    height: 220,
  });
  legend($("perm-legend"), series);
}

const reloadCostsSoon = debounce(reloadCosts, 150);
for (const key of ["c", "h", "w", "cout"]) bindNumber($(`why-${key}`), state, key, reloadCostsSoon);
bindNumber($("why-k"), state, "k", reloadCostsSoon, { output: $("why-k-out"), format: (k) => `${k}×${k}` });
bindCheckbox($("why-bias"), state, "bias", reloadCosts);
const reloadPermSoon = debounce(reloadPerm, 150);
bindNumber($("perm-side"), state, "side", reloadPermSoon, { output: $("perm-side-out") });
bindNumber($("perm-seed"), state, "seed", reloadPerm);
$("perm-kernel").value = state.kernel;
$("perm-kernel").addEventListener("change", () => {
  state.kernel = $("perm-kernel").value;
  reloadPerm();
});

const questions = $("why-question-list");
createQuestion(questions, {
  question: "why.q1",
  hint: "why.h1",
  compute: async () => {
    const r = await apiGet("/experiments/parameter-count", {
      layer: "linear",
      in_channels: 224 * 224 * 3,
      out_channels: 1000,
      bias: false,
    });
    return { value: r.params, formula: r.formula, explanation: t("why.a1") };
  },
});
createQuestion(questions, {
  question: "why.q2",
  hint: "why.h2",
  compute: async () => {
    const r = await apiGet("/experiments/parameter-count", {
      layer: "conv2d",
      in_channels: 3,
      out_channels: 64,
      kernel_size: 3,
    });
    return { value: r.params, formula: r.formula, explanation: t("why.a2") };
  },
});
const sharingQuestion = createQuestion(questions, {
  question: "why.q3",
  hint: "why.h3",
  questionVars: () => ({ h: state.h, w: state.w }),
  compute: async () => ({
    value: costs.layers.locally_connected.params / costs.layers.conv.params,
    formula: `${costs.layers.locally_connected.params} / ${costs.layers.conv.params}`,
    explanation: t("why.a3"),
  }),
  tolerance: 1e-9,
});
createQuestion(questions, {
  question: "why.q4",
  hint: "why.h4",
  compute: async () => ({
    value: 0,
    formula: `max |W·x − W_π·π(x)| = ${fmtSci(perm.dense_max_difference, 2)}`,
    explanation: t("why.a4", {
      diff: fmtSci(perm.dense_max_difference, 2),
      rel: fmtSci(perm.conv_relative_difference, 3),
    }),
  }),
  tolerance: 1e-9,
});

const redraw = () => {
  drawCosts();
  drawPerm();
};
document.addEventListener("langchange", redraw);
// the plots draw in their own pixel width, so a rotated phone or a resized window redraws them
window.addEventListener("resize", debounce(redraw, 150));
reloadCosts();
bindImageSource($("perm-sample"), $("perm-upload"), state, reloadPerm).then((form) => {
  imageForm = form;
  reloadPerm();
});
