// "Your model": the per-node table of an uploaded ONNX file or a built-in network, the receptive-field growth
// along the main path, the path itself, and the chosen node's receptive field on a photo.
import { apiGet, apiPost } from "../common/api.js";
import { showError as showErrorIn } from "../common/errorview.js";
import { pair } from "../common/format.js";
import { getLang, t } from "../common/i18n.js";
import { createLoop } from "../common/loop.js";
import { pageLimits } from "../common/limits.js";
import { inputBox } from "../common/rfgeometry.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { drawMap, pixelUnder } from "../common/mapdraw.js";
import { bindNumber } from "../lessons/controls.js";
import { drawGrowth, renderPath } from "../model/plot.js";
import {
  BUILTIN,
  modelProps,
  UPLOAD,
  chosenIndex,
  growthSeries,
  outputMap,
  pathSteps,
  position,
} from "../model/state.js";
import "../model/strings.js";
import { renderTable } from "../model/table.js";
import { wireCopyButtons } from "../model/export.js";
import "../model/field-strings.js";
import { drawnField, fieldSummary, globalCaption, wholeAxes } from "../model/fields.js";

initShell();

const $ = (id) => document.getElementById(id);
const PROPS = modelProps(pageLimits());
const state = { ...readState(PROPS), summary: null, chosen: -1, loading: false };
const photos = new Map();
let overlayLayout = null;
let request = null;

function save() {
  const { model, size, node, row, col, sample, log, main } = state;
  writeState(PROPS, { model, size, node, row, col, sample, log, main });
}

const loop = createLoop({
  render: () => {
    drawAll();
    save();
  },
});
const schedule = () => loop.schedule();

function showError(error) {
  showErrorIn($("model-error"), error);
}

function setStatus(text) {
  $("model-status").textContent = text;
}

// ---- data ----

async function postModel(file, input) {
  const form = new FormData();
  form.append("file", file);
  const query = input ? `?${new URLSearchParams({ input })}` : "";
  request?.abort();
  request = new AbortController();
  return apiPost(`/models/summary${query}`, form, { signal: request.signal });
}

async function load() {
  showError(null);
  setStatus(t("model.loading"));
  try {
    if (state.model === UPLOAD) {
      const file = $("file").files[0];
      if (!file) {
        setStatus(t("model.noFile"));
        return;
      }
      state.summary = await postModel(file, $("input-shape").value.trim());
    } else {
      request?.abort();
      request = new AbortController();
      state.summary = await apiGet(`/models/builtin/${state.model}`, { size: state.size }, { signal: request.signal });
    }
  } catch (error) {
    if (error.name === "AbortError") return;
    state.summary = null;
    setStatus("");
    showError(error);
    drawAll();
    return;
  }
  state.chosen = chosenIndex(state.summary, state.node);
  state.node = state.summary.nodes[state.chosen].name;
  setStatus("");
  drawAll();
  save();
}

function choose(index) {
  state.chosen = index;
  state.node = state.summary.nodes[index].name;
  state.row = state.col = -1;
  schedule();
}

// ---- drawing ----

function drawTotals(summary) {
  const merges = summary.nodes.filter((n) => n.role === "merge");
  $("totals").textContent = t("model.totals", {
    source: summary.source,
    input: summary.input.join("×"),
    nodes: t("count.nodes", { count: summary.nodes.length }),
    main: summary.main_path.length,
    params: t("count.params", { count: summary.total_params }),
    macs: t("count.macs", { count: summary.total_macs }),
    merges: t("count.merges", { count: merges.length }),
    misaligned: merges.filter((n) => n.aligned === false).length,
  });
}

function photo(name) {
  if (!photos.has(name)) {
    const img = new Image();
    img.src = `/static/samples/${name}.png`;
    photos.set(name, img.decode().then(() => img));
  }
  return photos.get(name);
}

async function drawOverlay(summary) {
  const node = summary.nodes[state.chosen];
  const [, height, width] = summary.input;
  const map = outputMap(node);
  const row = position(state.row, map.height);
  const col = position(state.col, map.width);
  $("ov-row").max = String(map.height - 1);
  $("ov-col").max = String(map.width - 1);
  $("ov-row").value = String(row);
  $("ov-col").value = String(col);
  $("ov-row").disabled = map.height < 2;
  $("ov-col").disabled = map.width < 2;
  const img = await photo(state.sample);
  const cssWidth = Math.min(480, Math.max(200, $("overlay").parentElement.clientWidth - 4));
  const rf = node.receptive_field;
  if (!rf) {
    overlayLayout = drawMap($("overlay"), img, height, width, { box: null }, cssWidth);
    $("overlay-box").textContent = t("model.overlayNone", { node: node.target || node.name });
    return;
  }
  const box = inputBox(drawnField(rf), row, col, height, width);
  overlayLayout = drawMap($("overlay"), img, height, width, { box }, cssWidth);
  if (wholeAxes(rf).some(Boolean)) {
    $("overlay-box").textContent = globalCaption(node, row, col);
    return;
  }
  const c = box.clipped;
  $("overlay-box").textContent = t("model.overlayBox", {
    node: node.target || node.name,
    row,
    col,
    ...box.unclipped,
    r: pair(rf.size),
    clipped: c ? `${c.top}…${c.bottom} × ${c.left}…${c.right}` : t("model.none"),
  });
}

function drawAll() {
  const summary = state.summary;
  $("results").hidden = !summary;
  if (!summary) return;
  drawTotals(summary);
  $("field-summary").textContent = fieldSummary(summary);
  renderTable($("model-table"), summary, state.chosen, state.main, choose);
  const steps = pathSteps(summary);
  renderPath($("path"), summary, steps, state.chosen, choose);
  const width = Math.min(900, Math.max(300, $("plot").parentElement.clientWidth - 4));
  drawGrowth($("plot"), growthSeries(summary), { width, height: 260, log: state.log, chosen: state.chosen }, choose);
  drawOverlay(summary);
}

// ---- controls ----

function syncSource() {
  const upload = state.model === UPLOAD;
  $("upload-box").hidden = !upload;
  $("export-box").hidden = !upload;
  $("size-box").hidden = upload;
}

function wire() {
  wireCopyButtons($("export-box"), $("copy-status"));
  const select = $("model");
  select.replaceChildren(
    ...BUILTIN.map((name) => new Option(name, name)),
    new Option(t("model.upload"), UPLOAD),
  );
  select.value = state.model;
  select.addEventListener("change", () => {
    state.model = select.value;
    state.node = "";
    state.row = state.col = -1;
    syncSource();
    save();
    if (state.model !== UPLOAD) load();
    else {
      state.summary = null;
      drawAll();
    }
  });
  bindNumber($("size"), state, "size", () => {
    state.row = state.col = -1;
    load();
  });
  $("upload-box").addEventListener("submit", (event) => {
    event.preventDefault();
    state.node = "";
    load();
  });
  $("main-only").checked = state.main;
  $("main-only").addEventListener("change", () => {
    state.main = $("main-only").checked;
    schedule();
  });
  $("log").checked = state.log;
  $("log").addEventListener("change", () => {
    state.log = $("log").checked;
    schedule();
  });
  for (const [id, key] of [["ov-row", "row"], ["ov-col", "col"]]) {
    $(id).addEventListener("input", () => {
      state[key] = Number($(id).value);
      schedule();
    });
  }
  $("overlay").addEventListener("pointermove", (event) => {
    if (!overlayLayout || !state.summary) return;
    const node = state.summary.nodes[state.chosen];
    if (!node.receptive_field) return;
    const [, height, width] = state.summary.input;
    const hit = pixelUnder(event, $("overlay"), overlayLayout, height, width);
    if (!hit) return;
    // the output unit whose field is centred nearest to the pointer
    const map = outputMap(node);
    const rf = node.receptive_field;
    const unit = (p, axis, n) => {
      if (wholeAxes(rf)[axis]) return position(axis === 0 ? state.row : state.col, n);
      const u = Math.round((p + rf.padding[axis] - (rf.size[axis] - 1) / 2) / rf.stride[axis]);
      return Math.min(n - 1, Math.max(0, u));
    };
    const row = unit(hit.row, 0, map.height);
    const col = unit(hit.col, 1, map.width);
    if (row === position(state.row, map.height) && col === position(state.col, map.width)) return;
    state.row = row;
    state.col = col;
    schedule();
  });
  $("sample").addEventListener("change", () => {
    state.sample = $("sample").value;
    schedule();
  });
  document.addEventListener("langchange", () => {
    select.options[select.options.length - 1].textContent = t("model.upload");
    fillSamples();
    drawAll();
  });
  let resize = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(schedule, 150);
  });
}

let samples = [];
function fillSamples() {
  if (!samples.length) return;
  $("sample").replaceChildren(...samples.map((s) => new Option(getLang() === "ru" ? s.title_ru : s.title_en, s.name)));
  $("sample").value = state.sample;
}

async function start() {
  wire();
  syncSource();
  try {
    samples = (await apiGet("/images/samples")).samples;
  } catch {
    samples = PROPS.find((p) => p.key === "sample").values.map((name) => ({ name, title_ru: name, title_en: name }));
  }
  fillSamples();
  // an uploaded file is never stored, so its link can bring back the settings but not the model
  if (state.model === UPLOAD) setStatus(t("model.reupload"));
  else await load();
}

start();
