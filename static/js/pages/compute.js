// Computing a convolution: the convolution theorem step by step on a small plane (lessons/fft.js, in the
// browser, float64), and the multiplication counts of the direct loop or im2col against the FFT route
// (lessons/convcost.js). The one number the server gives is the lecture question's multiply-add count
// (POST /api/v1/shapes), which the page's direct count must equal.
import { apiGet, apiPost } from "../common/api.js";
import { maxAbsOf } from "../common/colorscale.js";
import { fmtSci, groupDigits } from "../common/format.js";
import { getLang, t } from "../common/i18n.js";
import { pageLimits } from "../common/limits.js";
import { legend, linePlot, svgEl } from "../common/plot.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { bindCheckbox, bindNumber, bindRadio } from "../lessons/controls.js";
import { crossoverK, directMults, fft2Mults, fftMults, fftSize } from "../lessons/convcost.js";
import "../lessons/compute-strings.js";
import { conv2dDirect, conv2dFft, magnitude, maxAbsDifference, nextPow2 } from "../lessons/fft.js";
import { drawGrid } from "../lessons/grid.js";
import { drawHeatmap } from "../lessons/heatmap.js";
import { createQuestion } from "../lessons/question.js";
import { mulberry32, tensor } from "../lessons/rng.js";
import "../lessons/strings.js";

const LIMITS = pageLimits();
// the input sides offered: powers of two, so that the FFT of the circular mistake is the input's own size
const SIDES = [];
for (let n = LIMITS.n.min; n <= LIMITS.n.max; n *= 2) SIDES.push(n);
// the cost plot's kernel sizes
const K_MAX = 31;
const PROPS = [
  { key: "src", type: "string", default: "random" },
  { key: "n", type: "enum", default: "8", values: SIDES.map(String) },
  { key: "seed", type: "int", default: 1, ...LIMITS.seed },
  { key: "k", type: "int", default: 3, ...LIMITS.k },
  { key: "p", type: "int", default: 1, ...LIMITS.p },
  { key: "kernel", type: "enum", default: "sobel", values: ["box", "sobel", "random"] },
  { key: "nopad", type: "bool", default: false },
  { key: "noflip", type: "bool", default: false },
  { key: "map", type: "int", default: 32, ...LIMITS.map },
  { key: "cin", type: "int", default: 16, ...LIMITS.cin },
  { key: "cout", type: "int", default: 16, ...LIMITS.cout },
];

initShell();
const $ = (id) => document.getElementById(id);
const state = readState(PROPS);
let samples = [];
let plane = null; // the input as it was read: {key, values}
let clampNote = "";

// The kernel of a preset: box blur 1/k²; Sobel's x derivative (−1, 0, 1 across, smoothed 1, 2, 1 down, widened
// to any k as (column − centre)·(centre + 1 − |row − centre|)); or seeded uniform weights in [−1, 1).
function kernelOf(preset, k, seed) {
  if (preset === "box") return tensor([k, k], () => 1 / (k * k));
  const c = (k - 1) / 2;
  if (preset === "sobel") return tensor([k, k], ([a, b]) => (b - c) * (c + 1 - Math.abs(a - c)));
  const uniform = mulberry32(1000 + seed);
  return tensor([k, k], () => 2 * uniform() - 1);
}

function randomPlane(n, seed) {
  const uniform = mulberry32(seed);
  return tensor([n, n], () => uniform());
}

// A sample photo averaged down to n×n grey values in [0, 1] by the canvas.
function samplePlane(url, n) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = n;
      const ctx = canvas.getContext("2d");
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(image, 0, 0, n, n);
      const { data } = ctx.getImageData(0, 0, n, n);
      resolve(tensor([n, n], ([r, c]) => {
        const i = 4 * (r * n + c);
        return (0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]) / 255;
      }));
    };
    image.onerror = () => reject(new Error(url));
    image.src = url;
  });
}

// Keep the setup valid: the kernel fits the input (and, for the circular mistake, the input's own FFT grid),
// and padding stays at most half the kernel, as in a "same" layer.
function repair() {
  clampNote = "";
  const n = Number(state.n);
  if (state.k > n) {
    state.k = n;
    clampNote = t("fft.clampK", { n });
  }
  if (state.p > Math.floor(state.k / 2)) {
    state.p = Math.floor(state.k / 2);
    clampNote = t("fft.clampP", { p: state.p });
  }
}

async function readPlane() {
  const n = Number(state.n);
  const sample = samples.find((s) => s.name === state.src);
  const key = `${sample ? sample.name : `random:${state.seed}`}:${n}`;
  if (plane?.key === key) return plane.values;
  const values = sample ? await samplePlane(sample.url, n) : randomPlane(n, state.seed);
  plane = { key, values };
  return values;
}

const setData = (element, grid) => (element.dataset.values = JSON.stringify(grid));

async function drawTheorem() {
  repair();
  writeState(PROPS, state);
  $("fft-range-note").textContent = clampNote;
  $("fft-seed").disabled = state.src !== "random" && state.kernel !== "random";
  const x = await readPlane();
  const kernel = kernelOf(state.kernel, state.k, state.seed);
  const { p } = state;
  const n = x.length;
  const fast = conv2dFft(x, kernel, { padding: p, zeroPad: !state.nopad, flip: !state.noflip });
  const direct = conv2dDirect(x, kernel, p);
  const [rows, cols] = fast.size;
  const [outH, outW] = [direct.length, direct[0].length];

  drawHeatmap($("fft-input"), x, { label: t("fft.inputLabel", { n }) });
  setData($("fft-input"), x);
  $("fft-input-caption").textContent = t("fft.inputCaption", { n });
  const kernelScale = Math.max(1e-9, maxAbsOf(kernel));
  drawGrid($("fft-kernel"), kernel, { maxAbs: kernelScale, digits: 2, label: t("fft.kernelLabel", { k: state.k }) });
  setData($("fft-kernel"), kernel);
  $("fft-kernel-caption").textContent = t("fft.kernelCaption", { k: state.k });
  drawGrid($("fft-turned"), fast.kernel, { maxAbs: kernelScale, digits: 2, label: t(state.noflip ? "fft.unturnedLabel" : "fft.turnedLabel") });
  $("fft-turned-caption").textContent = t(state.noflip ? "fft.unturnedCaption" : "fft.turnedCaption");
  $("fft-flip-note").textContent = t(state.noflip ? "fft.noflipNote" : "fft.flipNote");

  const inputFrame = state.nopad ? null : { top: p, left: p, rows: n, cols: n };
  drawHeatmap($("fft-padded"), fast.input, { label: t("fft.paddedLabel", { rows, cols }), frame: inputFrame, maxAbs: maxAbsOf(x) });
  $("fft-padded-caption").textContent = t(state.nopad ? "fft.paddedCaptionNopad" : "fft.paddedCaption", { rows, cols, n, p });
  drawHeatmap($("fft-kpadded"), fast.kernelGrid, { label: t("fft.kpaddedLabel", { rows, cols }), maxAbs: kernelScale });
  $("fft-kpadded-caption").textContent = t("fft.kpaddedCaption", { rows, cols, k: state.k });
  $("fft-size-note").textContent = t(state.nopad ? "fft.sizeNoteNopad" : "fft.sizeNote", {
    n,
    p,
    k: state.k,
    need: n + 2 * p + state.k - 1,
    size: rows,
  });

  const logMagnitude = (spectrum) => magnitude(spectrum).map((row) => row.map((v) => Math.log10(1 + v)));
  const spectra = [
    ["fft-xspec", fast.inputSpectrum, "fft.xspec"],
    ["fft-kspec", fast.kernelSpectrum, "fft.kspec"],
    ["fft-product", fast.product, "fft.product"],
  ];
  for (const [id, spectrum, key] of spectra) {
    const grid = logMagnitude(spectrum);
    drawHeatmap($(id), grid, { label: t(key, { rows, cols }) });
    $(`${id}-caption`).textContent = t(key, { rows, cols });
  }

  const cropTop = fast.rowAt(0);
  const cropLeft = fast.colAt(0);
  const wraps = cropTop + outH > rows || cropLeft + outW > cols;
  const frame = wraps ? null : { top: cropTop, left: cropLeft, rows: outH, cols: outW };
  const scale = Math.max(maxAbsOf(direct), maxAbsOf(fast.output), 1e-9);
  drawHeatmap($("fft-inverse"), fast.inverse.re, { label: t("fft.inverseLabel", { rows, cols }), frame, maxAbs: scale });
  $("fft-inverse-caption").textContent = t(wraps ? "fft.inverseCaptionWrap" : "fft.inverseCaption", {
    rows,
    cols,
    top: cropTop,
    left: cropLeft,
    h: outH,
    w: outW,
    imag: fmtSci(fast.maxImag, 2),
  });
  drawHeatmap($("fft-result"), fast.output, { label: t("fft.resultLabel", { h: outH, w: outW }), maxAbs: scale });
  setData($("fft-result"), fast.output);
  $("fft-result-caption").textContent = t("fft.resultCaption", { h: outH, w: outW });
  drawHeatmap($("fft-direct"), direct, { label: t("fft.directLabel", { h: outH, w: outW }), maxAbs: scale });
  setData($("fft-direct"), direct);
  $("fft-direct-caption").textContent = t("fft.directCaption", { h: outH, w: outW, p });
  const difference = fast.output.map((row, r) => row.map((v, c) => Math.abs(v - direct[r][c])));
  const worst = maxAbsDifference(fast.output, direct);
  drawHeatmap($("fft-diff"), difference, { label: t("fft.diffLabel"), maxAbs: Math.max(worst, 1e-300) });
  $("fft-diff-caption").textContent = t("fft.diffCaption");
  $("fft-verdict").dataset.maxDiff = String(worst);
  const exact = worst < 1e-9;
  $("fft-verdict").textContent = t(exact ? "fft.verdictSame" : "fft.verdictDiffer", { diff: fmtSci(worst, 2) });
  $("fft-cell").textContent = t("fft.cell", { direct: direct[0][0].toPrecision(17), fast: fast.output[0][0].toPrecision(17) });
  const wrap = $("fft-wrap");
  wrap.hidden = !state.nopad && !state.noflip;
  wrap.textContent = state.nopad ? t(p > 0 ? "fft.wrapNote" : "fft.wrapNoteValid") : t(exact ? "fft.noflipSymmetric" : "fft.noflipWrong");
}

// The layer the cost section counts: the student's map side and channels.
const costSetup = () => ({ side: state.map, cin: state.cin, cout: state.cout });

function drawCost() {
  writeState(PROPS, state);
  const setup = costSetup();
  const ks = Array.from({ length: K_MAX }, (_, i) => i + 1);
  const series = [
    { label: t("fft.seriesDirect"), points: ks.map((k) => [k, directMults({ ...setup, k })]), cls: "s1" },
    { label: t("fft.seriesFft"), points: ks.map((k) => [k, fftMults({ ...setup, k })]), cls: "s2" },
  ];
  const svg = $("cost-plot");
  const { sx } = linePlot(svg, series, { xLabel: t("fft.xLabel"), yLabel: t("fft.yLabel"), logY: true, title: t("fft.plotTitle") });
  legend($("cost-legend"), series);
  const crossover = crossoverK(setup, K_MAX);
  svg.dataset.crossover = String(crossover);
  svg.dataset.direct3 = String(directMults({ ...setup, k: 3 }));
  if (crossover !== null) {
    const x = sx(crossover);
    const box = svg.viewBox.baseVal;
    svg.append(svgEl("line", { x1: x, x2: x, y1: 12, y2: box.height - 42, class: "plot-marker" }));
    svg.append(svgEl("text", { x: x + 4, y: 26, class: "plot-marker-label" }, `k = ${crossover}`));
  }
  $("cost-k3").textContent = costFormula(setup, 3);
  $("cost-kx").textContent = costFormula(setup, crossover ?? K_MAX);
  $("cost-crossover").textContent =
    crossover === null ? t("fft.noCrossover", { kmax: K_MAX }) : t("fft.crossover", { k: crossover, n: fftSize(setup.side, crossover) });
}

// The two counts at one k with the numbers plugged in.
function costFormula({ side, cin, cout }, k) {
  const n = fftSize(side, k);
  const setup = { side, cin, cout, k };
  const transforms = `(${cin} + ${cin}·${cout} + ${cout})·4·${n}²·${Math.log2(n)}`;
  return t("fft.formula", {
    k,
    direct: `${side}·${side}·${k}²·${cin}·${cout} = ${groupDigits(directMults(setup))}`,
    n,
    fft: `${transforms} + 4·${cin}·${cout}·${n}² = ${groupDigits(fftMults(setup))}`,
    per: groupDigits(fft2Mults(n)),
  });
}

function onTheoremChange() {
  for (const show of shows) show();
  drawTheorem();
}

const shows = [
  ...["k", "p", "seed"].map((key) => bindNumber($(`fft-${key}`), state, key, onTheoremChange)),
  bindRadio(document, "fft-preset", state, "kernel", onTheoremChange),
  bindCheckbox($("fft-nopad"), state, "nopad", onTheoremChange),
  bindCheckbox($("fft-noflip"), state, "noflip", onTheoremChange),
];
for (const key of ["map", "cin", "cout"]) bindNumber($(`cost-${key}`), state, key, drawCost);

function renderSelects() {
  const ru = getLang() === "ru";
  $("fft-source").replaceChildren(
    new Option(t("fft.randomInput"), "random"),
    ...samples.map((s) => new Option(ru ? s.title_ru : s.title_en, s.name)),
  );
  $("fft-source").value = samples.some((s) => s.name === state.src) ? state.src : "random";
  $("fft-n").replaceChildren(...SIDES.map((n) => new Option(`${n}×${n}`, String(n))));
  $("fft-n").value = state.n;
}
$("fft-source").addEventListener("change", () => {
  state.src = $("fft-source").value;
  drawTheorem();
});
$("fft-n").addEventListener("change", () => {
  state.n = $("fft-n").value;
  onTheoremChange();
});

const list = $("fft-question-list");
const questions = [
  createQuestion(list, {
    question: "fft.q1",
    hint: "fft.h1",
    compute: async () => {
      const body = await apiPost("/shapes", {
        input: { channels: 16, height: 32, width: 32 },
        layers: [{ type: "conv2d", out_channels: 16, kernel_size: 3, stride: 1, padding: 1, bias: false }],
      });
      return { value: body.layers[0].macs, formula: "32·32·3²·16·16", explanation: t("fft.a1") };
    },
  }),
  createQuestion(list, {
    question: "fft.q2",
    hint: "fft.h2",
    compute: async () => ({ value: nextPow2(8 + 2 * 1 + 3 - 1), formula: "8 + 2·1 + 3 − 1 = 12 → 16", explanation: t("fft.a2") }),
  }),
  createQuestion(list, {
    question: "fft.q3",
    hint: "fft.h3",
    questionVars: costSetup,
    compute: async () => {
      const k = crossoverK(costSetup(), K_MAX);
      if (k === null) return { value: t("fft.none"), explanation: t("fft.noCrossover", { kmax: K_MAX }) };
      return { value: k, formula: costFormula(costSetup(), k), explanation: t("fft.a3") };
    },
  }),
];

document.addEventListener("langchange", () => {
  renderSelects();
  drawTheorem();
  drawCost();
  for (const q of questions) q.refresh();
});

repair();
renderSelects();
drawCost();
try {
  samples = (await apiGet("/images/samples")).samples;
} finally {
  renderSelects();
  await drawTheorem();
}
