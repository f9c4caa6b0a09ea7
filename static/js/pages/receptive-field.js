// The receptive-field explorer: a network's per-layer table (from the API), the 1-D cone, a sweepable box on
// a photo, r and S against depth, and a plain vs dilated stack. Geometry is drawn from the API's r, S, P.
import { apiGet, apiPost } from "../common/api.js";
import { showError as showErrorIn } from "../common/errorview.js";
import { getLang, t } from "../common/i18n.js";
import { createLoop } from "../common/loop.js";
import { axisField } from "../common/rfgeometry.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { pixelUnder } from "../common/mapdraw.js";
import { bindNumber } from "../lessons/controls.js";
import { CUSTOM, QUICK_LAYERS, chosenLayer, comparisonStacks, explorerProps, parseStack } from "../rfexplorer/model.js";
import { pageLimits } from "../common/limits.js";
import "../rfexplorer/strings.js";
import { renderTable } from "../rfexplorer/table.js";
import {
  chosenRow,
  clampPositions,
  drawConeView,
  drawGrowth,
  drawOverlay,
  renderComparison,
  renderDescription,
  renderLayerSelect,
} from "../rfexplorer/views.js";

initShell();

const $ = (id) => document.getElementById(id);
const SWEEP_STEPS_PER_SECOND = 1000 / 60;
const PROPS = explorerProps(pageLimits());
const state = { ...readState(PROPS), architectures: [], report: null, chosen: -1, compare: null };
state.stackLayers = parseStack(state.stack);
let coneMapper = null;
let overlayLayout = null;

function save() {
  const { arch, size, stack, layer, u, row, col, sample, log, dl } = state;
  writeState(PROPS, { arch, size, stack, layer, u, row, col, sample, log, dl });
}

function showError(error) {
  showErrorIn($("rf-error"), error);
}

// What a pointer move, a slider or a resize redraws: each at most once a frame.
function redrawCone() {
  coneMapper = drawConeView(state);
}
async function redrawOverlay() {
  overlayLayout = await drawOverlay(state);
}
function coneFrame() {
  redrawCone();
  save();
}
function overlayFrame() {
  redrawOverlay();
  save();
}
function resizeFrame() {
  if (state.report) renderAll();
  renderComparison(state);
}

// ---- data ----

async function loadReport() {
  try {
    let report;
    if (state.arch === CUSTOM) {
      const input = { channels: 3, height: state.size, width: state.size };
      report = { ...(await apiPost("/shapes", { input, layers: state.stackLayers })), input, stack: state.stackLayers };
    } else {
      report = await apiGet(`/architectures/${encodeURIComponent(state.arch)}`, { size: state.size });
    }
    state.report = report;
    showError(null);
  } catch (error) {
    showError(error);
    return;
  }
  renderAll();
}

async function loadComparison() {
  const { plain, dilated } = comparisonStacks(state.dl);
  const input = { channels: 16, height: 64, width: 64 };
  try {
    const [a, b] = await Promise.all([apiPost("/shapes", { input, layers: plain }), apiPost("/shapes", { input, layers: dilated })]);
    state.compare = { plain: { ...a, input, stack: plain }, dilated: { ...b, input, stack: dilated } };
    renderComparison(state);
  } catch (error) {
    showError(error);
  }
}

function renderAll() {
  const report = state.report;
  if (!report) return;
  state.chosen = chosenLayer(report, state.layer);
  clampPositions(state);
  renderDescription(state);
  renderLayerSelect(state);
  renderTable($("rf-table"), report, state.chosen, chooseLayer);
  $("totals").textContent = t("rf.totals", {
    params: t("count.params", { count: report.total_params }),
    macs: t("count.macs", { count: report.total_macs }),
  });
  redrawCone();
  redrawOverlay();
  drawGrowth(state);
  save();
}

function chooseLayer(index) {
  state.layer = index;
  state.u = state.row = state.col = -1;
  renderAll();
}

// ---- interaction ----

// The unit whose field is centred nearest the pixel; a whole field is the same for every unit, so it stays put.
function nearestUnit(pixel, axis, current) {
  const field = axisField(chosenRow(state).receptive_field, axis);
  if (field.whole) return current;
  const out = chosenRow(state).output;
  const n = axis === 0 ? out.height : out.width;
  const u = Math.round((pixel + field.padding - (field.size - 1) / 2) / field.stride);
  return Math.min(n - 1, Math.max(0, u));
}

// The sweep: the box walks over every output position, row by row.
function sweepStep() {
  const out = chosenRow(state).output;
  state.col += 1;
  if (state.col >= out.width) {
    state.col = 0;
    state.row = (state.row + 1) % out.height;
  }
  return true;
}

const loop = createLoop({ render: redrawOverlay, advance: sweepStep });

function toggleSweep() {
  if (loop.playing) loop.stop();
  else loop.play(SWEEP_STEPS_PER_SECOND);
  $("sweep").textContent = t(loop.playing ? "rf.stop" : "rf.sweep");
}

function bind() {
  $("arch").addEventListener("change", () => {
    state.arch = $("arch").value;
    state.layer = -1;
    state.u = state.row = state.col = -1;
    const arch = state.architectures.find((a) => a.name === state.arch);
    if (arch) state.size = arch.input_size;
    $("size").value = String(state.size);
    loadReport();
  });
  bindNumber($("size"), state, "size", () => {
    state.u = state.row = state.col = -1;
    loadReport();
  });
  $("layer").addEventListener("change", () => chooseLayer(Number($("layer").value)));
  $("stack-json").value = JSON.stringify(state.stackLayers, null, 1);
  const useStack = (layers) => {
    state.stackLayers = layers;
    state.stack = JSON.stringify(layers);
    state.layer = -1;
    state.u = state.row = state.col = -1;
    loadReport();
  };
  $("apply").addEventListener("click", () => {
    try {
      const layers = JSON.parse($("stack-json").value);
      if (!Array.isArray(layers)) throw new Error(t("rf.notAList"));
      useStack(layers);
    } catch (error) {
      showError(error);
    }
  });
  for (const button of document.querySelectorAll(".quick-add [data-add]")) {
    button.addEventListener("click", () => {
      const layers = [...state.stackLayers, structuredClone(QUICK_LAYERS[button.dataset.add])];
      $("stack-json").value = JSON.stringify(layers, null, 1);
      useStack(layers);
    });
  }
  $("remove-last").addEventListener("click", () => {
    if (state.stackLayers.length <= 1) return;
    const layers = state.stackLayers.slice(0, -1);
    $("stack-json").value = JSON.stringify(layers, null, 1);
    useStack(layers);
  });
  $("cone-u").addEventListener("input", () => {
    state.u = Number($("cone-u").value);
    loop.schedule(coneFrame);
  });
  $("cone").addEventListener("pointermove", (event) => {
    if (!coneMapper) return;
    const rect = $("cone").getBoundingClientRect();
    const scale = Number($("cone").getAttribute("width")) / rect.width;
    const u = coneMapper((event.clientX - rect.left) * scale);
    if (u === state.u) return;
    state.u = u;
    loop.schedule(coneFrame);
  });
  for (const [id, key] of [["ov-row", "row"], ["ov-col", "col"]]) {
    $(id).addEventListener("input", () => {
      state[key] = Number($(id).value);
      loop.schedule(overlayFrame);
    });
  }
  $("overlay").addEventListener("pointermove", (event) => {
    if (!overlayLayout || loop.playing) return;
    const size = state.report.input;
    const hit = pixelUnder(event, $("overlay"), overlayLayout, size.height, size.width);
    if (!hit) return;
    state.row = nearestUnit(hit.row, 0, state.row);
    state.col = nearestUnit(hit.col, 1, state.col);
    loop.schedule(overlayFrame);
  });
  $("sweep").addEventListener("click", toggleSweep);
  $("sample").addEventListener("change", () => {
    state.sample = $("sample").value;
    redrawOverlay();
    save();
  });
  $("log").checked = state.log;
  $("log").addEventListener("change", () => {
    state.log = $("log").checked;
    drawGrowth(state);
    save();
  });
  $("dl").value = String(state.dl);
  $("dl").addEventListener("change", () => {
    state.dl = Number($("dl").value);
    save();
    loadComparison();
  });
  window.addEventListener("resize", () => loop.schedule(resizeFrame));
  document.addEventListener("langchange", () => {
    renderArchitectures();
    renderSamples();
    if (state.report) renderAll();
    renderComparison(state);
    $("sweep").textContent = t(loop.playing ? "rf.stop" : "rf.sweep");
  });
}

function renderArchitectures() {
  const options = state.architectures.map((a) => new Option(a.title, a.name));
  options.push(new Option(t("rf.custom"), CUSTOM));
  $("arch").replaceChildren(...options);
  if (![...state.architectures.map((a) => a.name), CUSTOM].includes(state.arch)) state.arch = PROPS[0].default;
  $("arch").value = state.arch;
}

async function renderSamples() {
  try {
    const { samples } = await apiGet("/images/samples");
    $("sample").replaceChildren(...samples.map((s) => new Option(getLang() === "ru" ? s.title_ru : s.title_en, s.name)));
    $("sample").value = state.sample;
  } catch (error) {
    showError(error);
  }
}

async function start() {
  bind();
  try {
    state.architectures = await apiGet("/architectures");
  } catch (error) {
    showError(error);
    return;
  }
  renderArchitectures();
  await Promise.all([renderSamples(), loadReport(), loadComparison()]);
}

start();
