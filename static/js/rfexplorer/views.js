// The explorer's views, drawn from the page's state and the API's reports: the layer picker, the cone, the
// box on the photo, r and S against depth, and the plain vs dilated comparison.
import { groupDigits } from "../common/format.js";
import { getLang, t } from "../common/i18n.js";
import { axisField, inputBox, interval, isWhole } from "../common/rfgeometry.js";
import { drawMap } from "../common/mapdraw.js";
import { CUSTOM, coneLevels, growthSeries } from "./model.js";
import { drawCone, drawPlot } from "./svg.js";
import { comparisonTable } from "./table.js";

const $ = (id) => document.getElementById(id);

// The layer picker: one option per layer, the ones without a receptive field disabled.
export function renderLayerSelect(state) {
  const select = $("layer");
  const options = state.report.layers.map((row, i) => {
    const option = new Option(`${i}. ${row.name || row.type}`, String(i));
    option.disabled = !row.receptive_field || !row.output;
    return option;
  });
  select.replaceChildren(...options);
  select.value = String(state.chosen);
}

export function renderDescription(state) {
  const arch = state.architectures.find((a) => a.name === state.arch);
  $("arch-description").textContent = arch ? (getLang() === "ru" ? arch.description_ru : arch.description) : "";
  $("custom-box").hidden = state.arch !== CUSTOM;
}

export function chosenRow(state) {
  return state.report.layers[state.chosen];
}

// Positions off the chosen layer's map (−1 after a change of layer) go to its centre.
export function clampPositions(state) {
  const out = chosenRow(state).output;
  const clampTo = (v, n) => (v < 0 || v >= n ? Math.floor(n / 2) : v);
  state.u = clampTo(state.u, out.height);
  state.row = clampTo(state.row, out.height);
  state.col = clampTo(state.col, out.width);
}

// The cone of output u of the chosen layer; returns the cone's x → position mapper for hovering.
export function drawConeView(state) {
  const report = state.report;
  const levels = coneLevels(report.stack, report, state.chosen, state.u, t("rf.input"));
  const width = Math.max(300, $("cone-wrap").clientWidth);
  const mapper = drawCone($("cone"), levels, width);
  const top = levels.at(-1);
  const input = levels[0];
  const real = input.positions.filter((p) => p >= 0 && p < input.size);
  const field = axisField(chosenRow(state).receptive_field, 0);
  const [a, b] = interval(field, state.u);
  $("cone-u").max = String(top.size - 1);
  $("cone-u").value = String(state.u);
  $("cone-u-out").textContent = String(state.u);
  const values = { u: state.u, n: state.chosen, a, b, r: field.size, count: real.length };
  $("cone-summary").textContent = t(field.whole ? "rf.coneWhole" : "rf.coneSummary", values);
  return mapper;
}

// The sample photos, each loaded once.
const photos = new Map();
function photo(name) {
  if (!photos.has(name)) {
    const img = new Image();
    img.src = `/static/samples/${name}.png`;
    photos.set(name, img.decode().then(() => img));
  }
  return photos.get(name);
}

// The chosen position's receptive field on the photo; resolves to the canvas layout for pointer hits.
export async function drawOverlay(state) {
  const img = await photo(state.sample);
  const row = chosenRow(state);
  const size = state.report.input;
  const box = inputBox(row.receptive_field, state.row, state.col, size.height, size.width);
  const width = Math.min(520, Math.max(240, $("overlay").parentElement.clientWidth - 4));
  const layout = drawMap($("overlay"), img, size.height, size.width, { box }, width);
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
  return layout;
}

export function drawGrowth(state) {
  const { r, s, whole } = growthSeries(state.report);
  const width = Math.max(300, Math.min(900, $("plot").parentElement.clientWidth));
  const series = [
    { name: "r", values: r, className: "r" },
    { name: "S", values: s, className: "s" },
  ];
  if (whole.length) series.push({ name: t("rf.seriesWhole"), values: whole, className: "whole" });
  drawPlot($("plot"), series, { width, height: 260, log: state.log, xLabel: t("rf.plotX"), yLabel: t("rf.plotY") });
}

// The plain and the dilated stack side by side: cones, tables and the summary sentence.
export function renderComparison(state) {
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
