// The image lab: a photo through a small layer stack, every feature map, and where each pixel looks.
// One state object; the server computes maps and the effective receptive field, the browser computes
// the theoretical boxes from the r, S, P the server returned (imagelab/view.js), so a click draws at once.
// Here: the state, the requests and the interaction; imagelab/source.js picks the photo.
import { ApiError, apiGet, apiPost } from "../common/api.js";
import { t } from "../common/i18n.js";
import { initShell } from "../common/shell.js";
import { readState, writeState, writeStateAfterPaint } from "../common/urlstate.js";
import { warningText } from "../common/layer-warnings.js";
import { pixelUnder } from "../common/mapdraw.js";
import { renderEditor } from "../imagelab/editor.js";
import { renderGap, renderMapCards } from "../imagelab/panels.js";
import { serially } from "../lessons/controls.js";
import { bindSource, renderSamples } from "../imagelab/source.js";
import { PROPS, parseLayers } from "../imagelab/state.js";
import { pageLimits } from "../common/limits.js";
import { drawErf, drawResult, watchWidths } from "../imagelab/view.js";
import "../imagelab/strings.js";

initShell();

const $ = (id) => document.getElementById(id);
const initial = readState(PROPS);
const state = {
  sample: initial.sample,
  color: initial.color,
  layers: parseLayers(initial.layers, pageLimits()),
  sel: initial.sel.length === 4 ? { layer: initial.sel[0], channel: initial.sel[1], row: initial.sel[2], col: initial.sel[3] } : null,
  erf: initial.erf,
  view: initial.view.slice(),
  upload: null,
  presets: [],
  samples: [],
  result: null,
  erfResult: null,
  half: null,
  error: null,
};
let images = new Map();
let mapCanvases = [];
let layouts = new Map();
let erfRequest = null;

function urlState() {
  return {
    sample: state.sample,
    color: state.color,
    layers: JSON.stringify(state.layers),
    sel: state.sel ? [state.sel.layer, state.sel.channel, state.sel.row, state.sel.col] : [],
    erf: state.erf,
    view: state.view,
  };
}

function saveUrl() {
  writeState(PROPS, urlState());
}

function decodeImage(src) {
  const img = new Image();
  img.src = src;
  return img.decode().then(() => img);
}

// Decoded images by data URL; one the page already has (the photo, an unchanged map) is not decoded again.
async function loadImages(sources, known) {
  const loaded = await Promise.all(sources.map((src) => known.get(src) ?? decodeImage(src)));
  return new Map(sources.map((src, i) => [src, loaded[i]]));
}

function imageForm(extra = {}) {
  const form = new FormData();
  form.set("layers", JSON.stringify(state.layers));
  form.set("color", state.color);
  if (state.upload) form.set("file", state.upload.blob, state.upload.name);
  else form.set("sample", state.sample);
  for (const [key, value] of Object.entries(extra)) form.set(key, String(value));
  return form;
}

function errorText(error) {
  // the proxy's or the middleware's 413 carries no code: say it here rather than in its English
  if (error instanceof ApiError) return error.status === 413 && !error.body.code ? t("image.error.413") : error.message;
  return t("error.network", { message: error.message });
}

function showError() {
  $("error").hidden = !state.error;
  $("error").textContent = state.error ? errorText(state.error) : "";
}

function drawOverlays() {
  layouts = drawResult(state, images, mapCanvases);
}

// ---- requests ----

async function fetchErf() {
  erfRequest?.abort();
  state.erfResult = null;
  if (!state.erf || !state.sel || !state.result) {
    drawErf(state, images, null);
    return;
  }
  const controller = new AbortController();
  erfRequest = controller;
  const { layer, channel, row, col } = state.sel;
  try {
    const body = await apiPost("/images/receptive-field", imageForm({ layer_index: layer, channel, row, col }), {
      signal: controller.signal,
    });
    const heat = await decodeImage(body.erf.image);
    if (controller.signal.aborted) return;
    images.set(body.erf.image, heat);
    state.erfResult = body;
    drawOverlays();
  } catch (error) {
    if (error.name === "AbortError") return;
    state.error = error;
    showError();
  }
}

function validSelection(result, sel) {
  if (!sel) return null;
  const layer = result.layers[sel.layer];
  if (!layer) return null;
  const { channels, height, width } = layer.output;
  return sel.channel < channels && sel.row < height && sel.col < width ? sel : null;
}

function renderSourceNote() {
  const note = $("source-note");
  const parts = [];
  if (state.upload) parts.push(t("image.uploaded", { name: state.upload.name }));
  const input = state.result?.input;
  if (input?.scaled) {
    parts.push(t("image.scaled", { ow: input.original.width, oh: input.original.height, w: input.width, h: input.height }));
  }
  note.hidden = parts.length === 0;
  note.textContent = parts.join(" ");
}

function renderResult() {
  const result = state.result;
  if (!result) return;
  $("photo-caption").textContent = `${t("image.photo")}: ${t("image.shape", { c: result.input.channels, h: result.input.height, w: result.input.width })}`;
  const onView = (layer, view) => {
    state.view = result.layers.map((_, i) => (i === layer ? view : (state.view[i] ?? -1)));
    saveUrl();
    renderResult();
  };
  mapCanvases = renderMapCards($("maps"), result, state.view, onView, (canvas) => {
    canvas.addEventListener("click", (event) => selectAt(event, canvas));
    canvas.addEventListener("keydown", (event) => moveSelection(event, canvas));
  });
  const warnings = result.warnings.map((w) => {
    const p = document.createElement("p");
    p.className = "warning";
    const layer = result.layers[w.layer];
    p.textContent = `${t("image.layerTitle", { n: w.layer, type: t(`image.type.${layer.type}`) })}: ${warningText(w)}`;
    return p;
  });
  $("warnings").replaceChildren(...warnings);
  renderSourceNote();
  renderGapPanel();
  drawOverlays();
}

function gapIndex() {
  return state.result ? state.result.layers.findIndex((l) => l.type === "global_avg_pool2d") : -1;
}

function renderGapPanel() {
  renderGap($("gap"), state.result, state.half, gapIndex(), compareHalf);
}

async function run() {
  const start = performance.now();
  $("status").textContent = t("image.loading");
  try {
    const body = await apiPost("/images/feature-maps", imageForm());
    images = await loadImages([body.input.image, ...body.layers.flatMap((l) => l.maps.map((m) => m.image))], images);
    state.result = body;
    state.error = null;
    state.sel = validSelection(body, state.sel);
    state.half = null;
    renderResult();
    // benchmarks/playground_render.py reads this: request sent → maps drawn
    performance.clearMeasures("image-run");
    performance.measure("image-run", { start, end: performance.now() });
    fetchErf();
  } catch (error) {
    state.error = error;
  } finally {
    $("status").textContent = "";
    showError();
    // an edit's address once its maps (or its error) are on screen
    writeStateAfterPaint(PROPS, urlState);
  }
}

// One feature-map request at a time, sent at once; edits made meanwhile make one more with the latest state.
const requestRun = serially(run);

// ---- interaction ----

function select(sel) {
  state.sel = sel;
  saveUrl();
  drawOverlays();
  fetchErf();
}

function selectAt(event, canvas) {
  const layer = Number(canvas.dataset.layer);
  const channel = Number(canvas.dataset.channel);
  const out = state.result.layers[layer].output;
  const hit = pixelUnder(event, canvas, layouts.get(canvas), out.height, out.width);
  if (hit) select({ layer, channel, ...hit });
}

const STEPS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

function moveSelection(event, canvas) {
  const step = STEPS[event.key];
  if (!step && event.key !== "Enter" && event.key !== " ") return;
  event.preventDefault();
  const layer = Number(canvas.dataset.layer);
  const channel = Number(canvas.dataset.channel);
  const out = state.result.layers[layer].output;
  const here = state.sel && state.sel.layer === layer && state.sel.channel === channel ? state.sel : null;
  const base = here ?? { row: Math.floor(out.height / 2), col: Math.floor(out.width / 2) };
  const [dr, dc] = step ?? [0, 0];
  const row = Math.min(out.height - 1, Math.max(0, base.row + dr));
  const col = Math.min(out.width - 1, Math.max(0, base.col + dc));
  select({ layer, channel, row, col });
}

function setLayers(layers, structural) {
  state.layers = layers;
  state.view = [];
  if (structural) renderStackEditor();
  requestRun();
}

function renderStackEditor() {
  renderEditor($("editor"), () => state.layers, state.presets, setLayers);
}

async function compareHalf() {
  const result = state.result;
  const img = images.get(result.input.image);
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.floor(result.input.width / 2));
  canvas.height = Math.max(1, Math.floor(result.input.height / 2));
  canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const form = imageForm();
  form.delete("sample");
  form.set("file", blob, "half.png");
  try {
    state.half = await apiPost("/images/feature-maps", form);
    renderGapPanel();
  } catch (error) {
    state.error = error;
    showError();
  }
}

document.addEventListener("langchange", () => {
  renderSamples(state);
  renderStackEditor();
  renderResult();
  showError();
});

watchWidths(() => requestAnimationFrame(drawOverlays));

function bindErfToggle() {
  $("erf-toggle").checked = state.erf;
  $("erf-toggle").addEventListener("change", () => {
    state.erf = $("erf-toggle").checked;
    saveUrl();
    drawOverlays();
    fetchErf();
  });
}

async function start() {
  bindSource(state, () => {
    renderSourceNote();
    requestRun();
  });
  bindErfToggle();
  try {
    const [kernels, samples] = await Promise.all([apiGet("/kernels"), apiGet("/images/samples")]);
    state.presets = kernels.kernels;
    state.samples = samples.samples;
  } catch (error) {
    state.error = error;
    showError();
    return;
  }
  renderSamples(state);
  renderStackEditor();
  await requestRun();
}

start();
