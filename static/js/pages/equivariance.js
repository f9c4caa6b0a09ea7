// Equivariance and invariance: shift the image and compare conv(shift(x)) with shift(conv(x)) (convcore.operations.equivariance
// via the API); stride and Zhang's blur, pooling, GAP and rotations measured on the same image.
import { apiPost } from "../common/api.js";
import { showError as showErrorIn } from "../common/errorview.js";
import { t } from "../common/i18n.js";
import { pageLimits } from "../common/limits.js";
import { initShell } from "../common/shell.js";
import { fillTable } from "../common/table.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindNumber, bindRadio, debounce, latest } from "../lessons/controls.js";
import { answerRows, drawMaps } from "../lessons/equivariance-view.js";
import { fmt, fmtFactor, fmtSci } from "../common/format.js";
import { bindImageSource } from "../lessons/imagesource.js";
import { legend, linePlot } from "../common/plot.js";
import { createQuestion } from "../lessons/question.js";
import "../lessons/strings.js";
import "../lessons/equivariance-strings.js";

const LIMITS = pageLimits();
const PROPS = [
  { key: "sample", type: "string", default: "landscape" },
  { key: "dy", type: "int", default: 0, ...LIMITS.dy },
  { key: "dx", type: "int", default: 3, ...LIMITS.dx },
  { key: "layers", type: "int", default: 3, ...LIMITS.layers },
  { key: "channels", type: "int", default: 4, ...LIMITS.channels },
  { key: "k", type: "int", default: 3, ...LIMITS.k },
  { key: "stride", type: "int", default: 1, ...LIMITS.stride },
  { key: "blur", type: "enum", values: ["1", "3", "5"], default: "1" },
  { key: "ch", type: "int", default: 0, ...LIMITS.ch },
  { key: "seed", type: "int", default: 0, ...LIMITS.seed },
];

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
state.k = state.k % 2 === 0 ? state.k + 1 : state.k;
let shiftData = null;
let summary = null;
let imageForm = null;
let shiftStarted = null;
// x and net(x) do not change with the shift: kept from the last answer for these settings, so a slider
// change asks for (and redraws) only the three maps that do
let stillMaps = null; // {key, maps: {input, original}, scale}
let imageVersion = 0;
const stillKey = () => JSON.stringify([imageVersion, netFields(), state.blur, state.ch]);

const netFields = () => ({
  layers: state.layers,
  channels: state.channels,
  kernel_size: state.k,
  stride: state.stride,
  seed: state.seed,
});
const fetchShift = latest(async (signal) => {
  const key = stillKey();
  const still = stillMaps?.key !== key;
  const fields = { ...netFields(), dy: state.dy, dx: state.dx, blur: state.blur, channel: state.ch, still };
  const result = await apiPost("/experiments/equivariance", imageForm(fields), { signal });
  if (still) stillMaps = { key, maps: { input: result.maps.input, original: result.maps.original } };
  return { ...result, maps: { ...stillMaps.maps, ...result.maps } };
});
// the aliasing curves need a stride that subsamples: 2 while the page's own stride is 1
const fetchSummary = latest((signal) =>
  apiPost("/experiments/equivariance/summary", imageForm({ ...netFields(), stride: Math.max(2, state.stride) }), {
    signal,
  }),
);

function showError(error) {
  showErrorIn($("eq-error"), error, "error.generic");
}

async function reloadShift() {
  writeState(PROPS, state);
  try {
    const result = await fetchShift();
    if (result === undefined) return;
    showErrorIn($("eq-error"), null);
    shiftData = result;
    await drawShift();
  } catch (error) {
    showError(error);
  }
}

async function reloadSummary() {
  try {
    const result = await fetchSummary();
    if (result === undefined) return;
    summary = result;
    drawSummary();
  } catch (error) {
    showError(error);
  }
}

function reloadAll() {
  state.ch = Math.min(state.ch, state.channels - 1);
  $("eq-ch").max = String(state.channels - 1);
  $("eq-ch").value = String(state.ch);
  reloadShift();
  reloadSummary();
}

function drawNetText() {
  const b = Number(state.blur);
  $("eq-net-text").textContent = t(state.stride === 1 ? "equi.netText1" : "equi.netText", {
    count: state.layers,
    k: state.k,
    p: Math.floor(state.k / 2),
    c: state.channels,
    seed: state.seed,
    s: state.stride,
    blur: b > 1 ? t("equi.netBlur", { b }) : t("equi.netNoBlur"),
    h: shiftData?.input.height ?? "…",
    w: shiftData?.input.width ?? "…",
  });
}

async function drawShift() {
  drawNetText();
  if (!shiftData) return;
  const d = shiftData;
  const [oy, ox] = d.output_shift;
  const exact = d.max_error_inside === 0;
  const verdict = $("eq-verdict");
  verdict.className = `verdict-line ${exact ? "ok" : "no"}`;
  verdict.dataset.error = String(d.max_error_inside);
  verdict.textContent = exact
    ? t("equi.exact", { err: "0", oy, ox })
    : t("equi.broken", { s: d.stride, dy: d.shift[0], dx: d.shift[1], oy, ox, err: fmtSci(d.max_error_inside, 3) });
  $("eq-stats").textContent = t("equi.stats", {
    inside: fmtSci(d.max_error_inside, 3),
    outside: fmtSci(d.max_error_outside, 3),
    rel: fmtSci(d.relative_error, 3),
  });
  $("eq-gap").textContent = t("equi.gap", {
    circular: fmtSci(d.gap.circular, 2),
    filled: fmtSci(d.gap.filled, 3),
    dy: d.shift[0],
    dx: d.shift[1],
  });
  await drawMaps($("eq-maps"), d);
  if (shiftStarted !== null) {
    // slider input → request → decoded maps in the DOM → the next frame (benchmarks/equivariance_render.py)
    const start = shiftStarted;
    shiftStarted = null;
    requestAnimationFrame(() => performance.measure("equivariance-render", { start, end: performance.now() }));
  }
  drawAnswer();
}

function drawSummary() {
  if (!summary) return;
  const s = summary.stride;
  $("eq-alias-text").textContent = t("equi.aliasText", { s });
  const alias = [
    { label: t("equi.aliasNone", { s }), cls: "s2", key: "1" },
    { label: t("equi.aliasBlur", { s }), cls: "s1", key: "3" },
  ].map((x) => ({ ...x, points: summary.alias.shifts.map((d, i) => [d, summary.alias.relative_error[x.key][i]]) }));
  linePlot($("eq-alias-plot"), alias, {
    xLabel: t("equi.aliasX"),
    yLabel: t("equi.aliasY"),
    title: t("equi.aliasTitle"),
    height: 240,
  });
  legend($("eq-alias-legend"), alias);
  const none = summary.alias.relative_error["1"][1];
  const blur = summary.alias.relative_error["3"][1];
  $("eq-alias-stat").textContent = t("equi.aliasStat", {
    none: fmtSci(none, 3),
    blur: fmtSci(blur, 3),
    count: blur > 0 ? fmtFactor(none / blur) : t("equi.notComputed"),
  });
  const pools = Object.keys(summary.pooling.unchanged).map((k, i) => ({
    label: k === "1" ? t("equi.poolNone") : t("equi.pool", { k }),
    cls: `s${i + 1}`,
    points: summary.pooling.shifts.map((d, j) => [d, summary.pooling.unchanged[k][j]]),
  }));
  linePlot($("eq-pool-plot"), pools, {
    xLabel: t("equi.poolX"),
    yLabel: t("equi.poolY"),
    title: t("equi.poolTitle"),
    height: 240,
  });
  legend($("eq-pool-legend"), pools);
  const rows = Object.entries(summary.transforms).map(([name, c]) => [
    t(`equi.${name}`),
    fmtSci(c.relative_error, 3),
    fmtSci(c.max_error_inside, 3),
  ]);
  rows.push([
    t("equi.shiftRef"),
    fmtSci(summary.stride1_shift1.relative_error, 3),
    fmtSci(summary.stride1_shift1.max_error_inside, 3),
  ]);
  fillTable($("eq-transforms"), [t("equi.transform"), t("equi.relError"), t("equi.maxError")], rows, { rowHeaders: true });
  drawAnswer();
}

function drawAnswer() {
  $("eq-lecture-q").textContent = t("equi.lectureQ");
  const head = [t("equi.operation"), t("equi.property"), t("equi.measured")];
  fillTable($("eq-answer"), head, answerRows(summary, shiftData), { rowHeaders: true });
}

function onShiftInput() {
  shiftStarted = performance.now();
  reloadShift();
}
const reloadAllSoon = debounce(reloadAll, 200);
bindNumber($("eq-dy"), state, "dy", onShiftInput, { output: $("eq-dy-out") });
bindNumber($("eq-dx"), state, "dx", onShiftInput, { output: $("eq-dx-out") });
for (const key of ["layers", "channels", "seed"]) bindNumber($(`eq-${key}`), state, key, reloadAllSoon);
bindNumber($("eq-k"), state, "k", reloadAllSoon, { output: $("eq-k-out"), format: (k) => `${k}×${k}` });
bindNumber($("eq-stride"), state, "stride", reloadAllSoon, { output: $("eq-stride-out") });
bindNumber($("eq-ch"), state, "ch", reloadShift);
bindRadio(document, "eq-blur", state, "blur", reloadShift);

const questions = $("eq-question-list");
createQuestion(questions, {
  question: "equi.q1",
  questionVars: () => ({ s: state.stride, count: 2 * state.stride }),
  hint: "equi.h1",
  compute: async () => {
    const r = await apiPost(
      "/experiments/equivariance",
      imageForm({ ...netFields(), dy: 0, dx: 2 * state.stride, blur: state.blur }),
    );
    return {
      value: r.output_shift[1],
      formula: `${2 * state.stride} / ${state.stride} = ${r.output_shift[1]}`,
      explanation: t("equi.a1", { ox: r.output_shift[1], err: fmtSci(r.max_error_inside, 3) }),
    };
  },
});
createQuestion(questions, {
  question: "equi.q2",
  hint: "equi.h2",
  questionVars: () => ({ dy: state.dy, dx: state.dx }),
  compute: async () => {
    const r = await apiPost(
      "/experiments/equivariance",
      imageForm({ ...netFields(), stride: 1, blur: 1, dy: state.dy, dx: state.dx }),
    );
    return {
      value: r.max_error_inside,
      formula: `max |conv(shift(x)) − shift(conv(x))| = ${r.max_error_inside}`,
      explanation: t("equi.a2", { err: fmtSci(r.max_error_inside, 3), outside: fmtSci(r.max_error_outside, 3) }),
    };
  },
  tolerance: 1e-9,
});
createQuestion(questions, {
  question: "equi.q3",
  hint: "equi.h3",
  compute: async () => {
    const u = summary.pooling.unchanged;
    return {
      value: Number(u["2"][1].toFixed(3)),
      explanation: t("equi.a3", { none: fmt(u["1"][1], 3), four: fmt(u["4"][1], 3) }),
    };
  },
  tolerance: 0.05,
});

document.addEventListener("langchange", () => {
  drawShift();
  drawSummary();
});
// the plots draw in their own pixel width, so a rotated phone or a resized window redraws them
window.addEventListener("resize", debounce(drawSummary, 150));
drawNetText();
drawAnswer();
const reloadImage = () => {
  imageVersion += 1;
  reloadAll();
};
bindImageSource($("eq-sample"), $("eq-upload"), state, reloadImage).then((form) => {
  imageForm = form;
  reloadAll();
});
