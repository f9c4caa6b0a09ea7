// The image lab: a photo through a small layer stack, every feature map, and where each pixel looks.
// One state object; the server computes maps and the effective receptive field, the browser computes
// the theoretical boxes from the r, S, P the server returned (rfgeometry.js), so a click draws at once.
import { ApiError, apiGet, apiPost } from "../common/api.js";
import { getLang, t } from "../common/i18n.js";
import { boxOnMap, inputBox } from "../common/rfgeometry.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { warningText } from "../common/layer-warnings.js";
import { drawMap, drawZoom, pixelUnder } from "../common/mapdraw.js";
import { renderEditor } from "../imagelab/editor.js";
import { renderGap, renderMapCards, renderRfNumbers } from "../imagelab/panels.js";
import { PROPS, parseLayers } from "../imagelab/state.js";
import "../imagelab/strings.js";

initShell();

const $ = (id) => document.getElementById(id);
const initial = readState(PROPS);
const state = {
  sample: initial.sample,
  color: initial.color,
  layers: parseLayers(initial.layers),
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
let mapsRequest = null;
let erfRequest = null;
let runTimer = 0;

function saveUrl() {
  writeState(PROPS, {
    sample: state.sample,
    color: state.color,
    layers: JSON.stringify(state.layers),
    sel: state.sel ? [state.sel.layer, state.sel.channel, state.sel.row, state.sel.col] : [],
    erf: state.erf,
    view: state.view,
  });
}

function decodeImage(src) {
  const img = new Image();
  img.src = src;
  return img.decode().then(() => img);
}

async function loadImages(sources) {
  const loaded = await Promise.all(sources.map(decodeImage));
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

// ---- the theoretical receptive field, all client-side ----

function selectionBoxes() {
  const result = state.result;
  const sel = state.sel;
  if (!result || !sel) return null;
  const target = result.layers[sel.layer]?.receptive_field;
  if (!target) return null;
  const photo = inputBox(target, sel.row, sel.col, result.input.height, result.input.width);
  const maps = result.layers.map((layer, j) =>
    j < sel.layer && layer.receptive_field
      ? boxOnMap(target, layer.receptive_field, sel.row, sel.col, layer.output.height, layer.output.width)
      : null,
  );
  return { photo, maps };
}

function photoWidth() {
  const row = $("photo").closest(".photo-row");
  const full = Math.max(200, row.clientWidth - 8);
  return Math.min(480, state.erf && state.sel ? Math.floor((full - 16) / 2) : full);
}

function mapWidth(layer, single) {
  const host = $("maps");
  const avail = Math.max(160, host.clientWidth - 8);
  const natural = Math.max(layer.output.width * (single ? 2 : 1), 96);
  return Math.min(avail, single ? 520 : 240, Math.max(natural, 160));
}

// Redraw every canvas with the current selection: called on a click, so it does no I/O.
function drawOverlays() {
  const result = state.result;
  if (!result) return;
  const boxes = selectionBoxes();
  const photo = images.get(result.input.image);
  drawMap($("photo"), photo, result.input.height, result.input.width, { box: boxes?.photo ?? null }, photoWidth());
  layouts = new Map();
  for (const { canvas, layer, channel } of mapCanvases) {
    const info = result.layers[layer];
    const item = info.maps[channel];
    const pixel = state.sel && state.sel.layer === layer && state.sel.channel === channel ? state.sel : null;
    const overlay = { box: boxes?.maps[layer] ?? null, pixel };
    const single = (state.view[layer] ?? -1) !== -1;
    layouts.set(canvas, drawMap(canvas, images.get(item.image), info.output.height, info.output.width, overlay, mapWidth(info, single)));
  }
  renderRfNumbers($("rf-numbers"), result, state.sel, boxes?.photo ?? null);
  drawErf(boxes);
}

function drawErf(boxes) {
  const show = state.erf && state.sel && state.erfResult && boxes;
  $("erf-figure").hidden = !show;
  $("erf-note").hidden = !show;
  if (!show) return;
  const erf = state.erfResult.erf;
  const result = state.result;
  drawZoom($("erf"), images.get(erf.image), result.input.height, result.input.width, boxes.photo, photoWidth());
  const s = erf.support;
  $("erf-note").textContent = `${t("image.erfNote")} ${s ? t("image.erfSupport", s) : t("image.erfZero")}`;
}

// ---- requests ----

async function fetchErf() {
  erfRequest?.abort();
  state.erfResult = null;
  if (!state.erf || !state.sel || !state.result) {
    drawErf(null);
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
  mapCanvases = renderMapCards($("maps"), result, state.view, (layer, view) => {
    state.view = result.layers.map((_, i) => (i === layer ? view : (state.view[i] ?? -1)));
    saveUrl();
    renderResult();
  });
  for (const { canvas } of mapCanvases) {
    canvas.addEventListener("click", (event) => selectAt(event, canvas));
    canvas.addEventListener("keydown", (event) => moveSelection(event, canvas));
  }
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
  mapsRequest?.abort();
  const controller = new AbortController();
  mapsRequest = controller;
  const start = performance.now();
  $("status").textContent = t("image.loading");
  try {
    const body = await apiPost("/images/feature-maps", imageForm(), { signal: controller.signal });
    const loaded = await loadImages([body.input.image, ...body.layers.flatMap((l) => l.maps.map((m) => m.image))]);
    if (controller.signal.aborted) return;
    images = loaded;
    state.result = body;
    state.error = null;
    state.sel = validSelection(body, state.sel);
    state.half = null;
    saveUrl();
    renderResult();
    // benchmarks/playground_render.py reads this: request sent → maps drawn
    performance.clearMeasures("image-run");
    performance.measure("image-run", { start, end: performance.now() });
    fetchErf();
  } catch (error) {
    if (error.name === "AbortError") return;
    state.error = error;
  } finally {
    if (mapsRequest === controller) {
      $("status").textContent = "";
      showError();
    }
  }
}

function scheduleRun() {
  clearTimeout(runTimer);
  runTimer = setTimeout(run, 200);
}

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
  saveUrl();
  scheduleRun();
}

function renderStackEditor() {
  renderEditor($("editor"), () => state.layers, state.presets, setLayers);
}

function useFile(file) {
  if (!file) return;
  state.upload = { blob: file, name: file.name || "pasted image" };
  $("sample").value = "";
  renderSourceNote();
  run();
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

function renderSamples() {
  const select = $("sample");
  const options = [new Option("—", "")];
  for (const s of state.samples) {
    options.push(new Option(`${getLang() === "ru" ? s.title_ru : s.title_en} (${s.width}×${s.height})`, s.name));
  }
  select.replaceChildren(...options);
  select.value = state.upload ? "" : state.sample;
}

function bindSource() {
  $("sample").addEventListener("change", () => {
    if (!$("sample").value) return;
    state.sample = $("sample").value;
    state.upload = null;
    $("upload").value = "";
    saveUrl();
    run();
  });
  $("upload").addEventListener("change", () => useFile($("upload").files[0]));
  const zone = $("dropzone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    useFile(event.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (event) => {
    const file = [...(event.clipboardData?.files ?? [])][0];
    if (file) useFile(file);
  });
  for (const radio of document.querySelectorAll("input[name=color]")) {
    radio.checked = radio.value === state.color;
    radio.addEventListener("change", () => {
      state.color = radio.value;
      saveUrl();
      run();
    });
  }
  $("erf-toggle").checked = state.erf;
  $("erf-toggle").addEventListener("change", () => {
    state.erf = $("erf-toggle").checked;
    saveUrl();
    drawOverlays();
    fetchErf();
  });
}

document.addEventListener("langchange", () => {
  renderSamples();
  renderStackEditor();
  renderResult();
  showError();
});

let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => requestAnimationFrame(drawOverlays), 100);
});

async function start() {
  bindSource();
  try {
    const [kernels, samples] = await Promise.all([apiGet("/kernels"), apiGet("/images/samples")]);
    state.presets = kernels.kernels;
    state.samples = samples.samples;
  } catch (error) {
    state.error = error;
    showError();
    return;
  }
  renderSamples();
  renderStackEditor();
  await run();
}

start();
