// The receptive-field explorer: a network's per-layer table (from the API), the 1-D cone, a sweepable box on
// a photo, r and S against depth, and a plain vs dilated stack. Geometry is drawn from the API's r, S, P.
import { apiGet, apiPost } from "../common/api.js";
import { showError as showErrorIn } from "../common/errorview.js";
import { getLang, t } from "../common/i18n.js";
import { stepRate } from "../common/motion.js";
import { axisField, inputBox, interval, isWhole } from "../common/rfgeometry.js";
import { initShell } from "../common/shell.js";
import { readState, writeState } from "../common/urlstate.js";
import { drawMap, pixelUnder } from "../imagelab/draw.js";
import {
  CUSTOM,
  PROPS,
  QUICK_LAYERS,
  chosenLayer,
  comparisonStacks,
  coneLevels,
  growthSeries,
  parseStack,
} from "../rfexplorer/model.js";
import "../rfexplorer/strings.js";
import { drawCone, drawPlot } from "../rfexplorer/svg.js";
import { groupDigits, renderTable } from "../rfexplorer/table.js";

initShell();

const $ = (id) => document.getElementById(id);
const SWEEP_STEPS_PER_SECOND = 1000 / 60;
const state = { ...readState(PROPS), architectures: [], report: null, chosen: -1, compare: null };
state.stackLayers = parseStack(state.stack);
const photos = new Map();
let coneMapper = null;
let overlayLayout = null;
let sweep = null;
let frame = 0;

function save() {
  const { arch, size, stack, layer, u, row, col, sample, log, dl } = state;
  writeState(PROPS, { arch, size, stack, layer, u, row, col, sample, log, dl });
}

function showError(error) {
  showErrorIn($("rf-error"), error);
}

function schedule(draw) {
  cancelAnimationFrame(frame);
  frame = requestAnimationFrame(draw);
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
    renderComparison();
  } catch (error) {
    showError(error);
  }
}

// ---- views ----

function renderLayerSelect() {
  const select = $("layer");
  const options = state.report.layers.map((row, i) => {
    const option = new Option(`${i}. ${row.name || row.type}`, String(i));
    option.disabled = !row.receptive_field || !row.output;
    return option;
  });
  select.replaceChildren(...options);
  select.value = String(state.chosen);
}

function renderDescription() {
  const arch = state.architectures.find((a) => a.name === state.arch);
  $("arch-description").textContent = arch ? (getLang() === "ru" ? arch.description_ru : arch.description) : "";
  $("custom-box").hidden = state.arch !== CUSTOM;
}

function chosenRow() {
  return state.report.layers[state.chosen];
}

function clampPositions() {
  const out = chosenRow().output;
  const clampTo = (v, n) => (v < 0 || v >= n ? Math.floor(n / 2) : v);
  state.u = clampTo(state.u, out.height);
  state.row = clampTo(state.row, out.height);
  state.col = clampTo(state.col, out.width);
}

function drawConeView() {
  const report = state.report;
  const levels = coneLevels(report.stack, report, state.chosen, state.u, t("rf.input"));
  const width = Math.max(300, $("cone-wrap").clientWidth);
  coneMapper = drawCone($("cone"), levels, width);
  const top = levels.at(-1);
  const input = levels[0];
  const real = input.positions.filter((p) => p >= 0 && p < input.size);
  const field = axisField(chosenRow().receptive_field, 0);
  const [a, b] = interval(field, state.u);
  $("cone-u").max = String(top.size - 1);
  $("cone-u").value = String(state.u);
  $("cone-u-out").textContent = String(state.u);
  const values = { u: state.u, n: state.chosen, a, b, r: field.size, count: real.length };
  $("cone-summary").textContent = t(field.whole ? "rf.coneWhole" : "rf.coneSummary", values);
}

function photo(name) {
  if (!photos.has(name)) {
    const img = new Image();
    img.src = `/static/samples/${name}.png`;
    photos.set(name, img.decode().then(() => img));
  }
  return photos.get(name);
}

async function drawOverlay() {
  const img = await photo(state.sample);
  const row = chosenRow();
  const size = state.report.input;
  const box = inputBox(row.receptive_field, state.row, state.col, size.height, size.width);
  const width = Math.min(520, Math.max(240, $("overlay").parentElement.clientWidth - 4));
  overlayLayout = drawMap($("overlay"), img, size.height, size.width, { box }, width);
  $("ov-row").max = String(row.output.height - 1);
  $("ov-col").max = String(row.output.width - 1);
  $("ov-row").value = String(state.row);
  $("ov-col").value = String(state.col);
  const c = box.clipped;
  $("overlay-box").textContent = isWhole(row.receptive_field)
    ? t("rf.overlayWhole", { row: state.row, col: state.col, height: size.height, width: size.width })
    : t("rf.overlayBox", {
        row: state.row,
        col: state.col,
        ...box.unclipped,
        clipped: c ? `${c.top}…${c.bottom} × ${c.left}…${c.right}` : t("rf.none"),
      });
}

function drawGrowth() {
  const { r, s } = growthSeries(state.report);
  const width = Math.max(300, Math.min(900, $("plot").parentElement.clientWidth));
  drawPlot($("plot"), [
    { name: "r", values: r, className: "r" },
    { name: "S", values: s, className: "s" },
  ], { width, height: 260, log: state.log, xLabel: t("rf.plotX"), yLabel: t("rf.plotY") });
}

function comparisonTable(table, report) {
  const head = document.createElement("tr");
  for (const text of ["#", "d", "r", t("rf.col.params")]) {
    const th = document.createElement("th");
    th.textContent = text;
    head.append(th);
  }
  const rows = report.layers.map((row, i) => {
    const tr = document.createElement("tr");
    for (const text of [String(i), String(report.stack[i].dilation), String(row.receptive_field.size[0]), groupDigits(row.params)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  tbody.append(...rows);
  table.replaceChildren(thead, tbody);
}

function renderComparison() {
  const compare = state.compare;
  if (!compare) return;
  $("dl").value = String(state.dl);
  $("dl-out").textContent = String(state.dl);
  for (const [key, svg, table] of [["plain", "cone-plain", "tab-plain"], ["dilated", "cone-dilated", "tab-dilated"]]) {
    const report = compare[key];
    const last = report.layers.length - 1;
    const u = Math.floor(report.layers[last].output.height / 2);
    const width = Math.max(280, $(svg).parentElement.clientWidth);
    drawCone($(svg), coneLevels(report.stack, report, last, u, t("rf.input")), width);
    comparisonTable($(table), report);
  }
  const r = (key) => compare[key].layers.at(-1).receptive_field.size[0];
  $("dil-summary").textContent = t("rf.dilatedSummary", {
    params: groupDigits(compare.plain.total_params),
    plain: r("plain"),
    dilated: r("dilated"),
    count: state.dl,
  });
}

function renderAll() {
  const report = state.report;
  if (!report) return;
  state.chosen = chosenLayer(report, state.layer);
  clampPositions();
  renderDescription();
  renderLayerSelect();
  renderTable($("rf-table"), report, state.chosen, chooseLayer);
  $("totals").textContent = t("rf.totals", {
    params: t("count.params", { count: report.total_params }),
    macs: t("count.macs", { count: report.total_macs }),
  });
  drawConeView();
  drawOverlay();
  drawGrowth();
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
  const field = axisField(chosenRow().receptive_field, axis);
  if (field.whole) return current;
  const out = chosenRow().output;
  const n = axis === 0 ? out.height : out.width;
  const u = Math.round((pixel + field.padding - (field.size - 1) / 2) / field.stride);
  return Math.min(n - 1, Math.max(0, u));
}

function stopSweep() {
  if (!sweep) return;
  cancelAnimationFrame(sweep.frame);
  sweep = null;
  $("sweep").textContent = t("rf.sweep");
}

function startSweep() {
  const interval = 1000 / stepRate(SWEEP_STEPS_PER_SECOND);
  sweep = { last: 0, frame: 0 };
  $("sweep").textContent = t("rf.stop");
  const tick = (time) => {
    if (!sweep) return;
    if (time - sweep.last >= interval) {
      sweep.last = time;
      const out = chosenRow().output;
      state.col += 1;
      if (state.col >= out.width) {
        state.col = 0;
        state.row = (state.row + 1) % out.height;
      }
      drawOverlay();
    }
    sweep.frame = requestAnimationFrame(tick);
  };
  sweep.frame = requestAnimationFrame(tick);
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
  $("size").value = String(state.size);
  $("size").addEventListener("change", () => {
    const v = Number.parseInt($("size").value, 10);
    if (!Number.isFinite(v)) return;
    state.size = Math.min(1024, Math.max(8, v));
    $("size").value = String(state.size);
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
    schedule(() => {
      drawConeView();
      save();
    });
  });
  $("cone").addEventListener("pointermove", (event) => {
    if (!coneMapper) return;
    const rect = $("cone").getBoundingClientRect();
    const scale = Number($("cone").getAttribute("width")) / rect.width;
    const u = coneMapper((event.clientX - rect.left) * scale);
    if (u === state.u) return;
    state.u = u;
    schedule(() => {
      drawConeView();
      save();
    });
  });
  for (const [id, key] of [["ov-row", "row"], ["ov-col", "col"]]) {
    $(id).addEventListener("input", () => {
      state[key] = Number($(id).value);
      schedule(() => {
        drawOverlay();
        save();
      });
    });
  }
  $("overlay").addEventListener("pointermove", (event) => {
    if (!overlayLayout || sweep) return;
    const size = state.report.input;
    const hit = pixelUnder(event, $("overlay"), overlayLayout, size.height, size.width);
    if (!hit) return;
    state.row = nearestUnit(hit.row, 0, state.row);
    state.col = nearestUnit(hit.col, 1, state.col);
    schedule(() => {
      drawOverlay();
      save();
    });
  });
  $("sweep").addEventListener("click", () => (sweep ? stopSweep() : startSweep()));
  $("sample").addEventListener("change", () => {
    state.sample = $("sample").value;
    drawOverlay();
    save();
  });
  $("log").checked = state.log;
  $("log").addEventListener("change", () => {
    state.log = $("log").checked;
    drawGrowth();
    save();
  });
  $("dl").value = String(state.dl);
  $("dl").addEventListener("change", () => {
    state.dl = Number($("dl").value);
    save();
    loadComparison();
  });
  window.addEventListener("resize", () => schedule(() => {
    if (state.report) renderAll();
    renderComparison();
  }));
  document.addEventListener("langchange", () => {
    renderArchitectures();
    renderSamples();
    if (state.report) renderAll();
    renderComparison();
    if (!sweep) $("sweep").textContent = t("rf.sweep");
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
