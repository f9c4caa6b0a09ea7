// Drawing the image lab's result: the photo, every map card and the effective receptive field, each with the
// selected unit's theoretical boxes. Nothing here does I/O, so a click redraws at once.
import { t } from "../common/i18n.js";
import { boxOnMap, inputBox } from "../common/rfgeometry.js";
import { drawMap, drawZoom } from "../common/mapdraw.js";
import { renderRfNumbers } from "./panels.js";

const $ = (id) => document.getElementById(id);

// The selected unit's box on the photo and on every earlier map, from the r, S, P the server returned.
function selectionBoxes(result, sel) {
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

// The photo row's and the maps column's widths, kept up to date by a ResizeObserver: reading them while drawing
// would lay out the page just rebuilt with new map cards (5 ms a run on a loaded machine). Read directly only
// before the observer's first report.
const widths = new Map();

function widthOf(element) {
  return widths.get(element) ?? element.clientWidth;
}

// Calls onResize() when either width changes after the first report.
export function watchWidths(onResize) {
  const observer = new ResizeObserver((entries) => {
    let changed = false;
    for (const { target } of entries) {
      const width = target.clientWidth;
      changed ||= widths.has(target) && widths.get(target) !== width;
      widths.set(target, width);
    }
    if (changed) onResize();
  });
  observer.observe($("photo").closest(".photo-row"));
  observer.observe($("maps"));
}

function photoWidth(state) {
  const full = Math.max(200, widthOf($("photo").closest(".photo-row")) - 8);
  return Math.min(480, state.erf && state.sel ? Math.floor((full - 16) / 2) : full);
}

// `avail` is the maps' column width.
function mapWidth(layer, single, avail) {
  const natural = Math.max(layer.output.width * (single ? 2 : 1), 96);
  return Math.min(avail, single ? 520 : 240, Math.max(natural, 160));
}

// The effective receptive field beside the photo, hidden while there is none for the selection.
export function drawErf(state, images, boxes, photoPx = null) {
  const show = Boolean(state.erf && state.sel && state.erfResult && boxes);
  $("erf-figure").hidden = !show;
  $("erf-note").hidden = !show;
  if (!show) return;
  const erf = state.erfResult.erf;
  const { height, width } = state.result.input;
  drawZoom($("erf"), images.get(erf.image), height, width, boxes.photo, photoPx ?? photoWidth(state));
  const s = erf.support;
  $("erf-note").textContent = `${t("image.erfNote")} ${s ? t("image.erfSupport", s) : t("image.erfZero")}`;
}

// Redraw the photo, the map canvases ({canvas, layer, channel}) and the ERF panel with the current selection;
// the layout of each map canvas, for turning a click into a pixel.
export function drawResult(state, images, mapCanvases) {
  const layouts = new Map();
  const result = state.result;
  if (!result) {
    drawErf(state, images, null);
    return layouts;
  }
  const boxes = selectionBoxes(result, state.sel);
  const photo = images.get(result.input.image);
  const photoPx = photoWidth(state);
  const avail = Math.max(160, widthOf($("maps")) - 8);
  drawMap($("photo"), photo, result.input.height, result.input.width, { box: boxes?.photo ?? null }, photoPx);
  for (const { canvas, layer, channel } of mapCanvases) {
    const info = result.layers[layer];
    const sel = state.sel;
    const pixel = sel && sel.layer === layer && sel.channel === channel ? sel : null;
    const overlay = { box: boxes?.maps[layer] ?? null, pixel };
    const single = (state.view[layer] ?? -1) !== -1;
    const image = images.get(info.maps[channel].image);
    layouts.set(canvas, drawMap(canvas, image, info.output.height, info.output.width, overlay, mapWidth(info, single, avail)));
  }
  renderRfNumbers($("rf-numbers"), result, state.sel, boxes?.photo ?? null);
  drawErf(state, images, boxes, photoPx);
  return layouts;
}
