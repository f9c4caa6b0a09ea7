// The image lab's result panels as DOM built from data: feature-map cards, receptive-field numbers, the
// global-average-pooling comparison. No drawing here (draw.js) and no state changes (the page does those).
import { getLang, t } from "../common/i18n.js";
import { axisField, interval } from "../common/rfgeometry.js";
import { el } from "./editor.js";
import { drawLegend } from "../common/mapdraw.js";

export function fmt(x) {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

// The cards of the last render, per host. They are rebuilt only when the layers' types and shapes, the channel
// views or the language change: a kernel edit rewrites the numbers and keeps every canvas (a new canvas costs
// its 2-D context, and the page a new layout).
const built = new WeakMap();

function structureKey(result, views) {
  return JSON.stringify([getLang(), result.layers.map((layer, i) => [layer.type, layer.output, views[i] ?? -1])]);
}

// One card per layer: title, legend, channel view selector and a figure (with a canvas) per shown channel;
// onCanvas(canvas) is called once for each canvas made. Returns the canvases to draw: [{canvas, layer, channel}].
export function renderMapCards(host, result, views, onView, onCanvas) {
  const key = structureKey(result, views);
  let cards = built.get(host);
  if (cards?.key !== key) {
    cards = buildMapCards(host, result, views, (layer, view) => cards.onView(layer, view));
    cards.key = key;
    built.set(host, cards);
    for (const { canvas } of cards.canvases) onCanvas(canvas);
  }
  cards.onView = onView;
  fillMapCards(cards, result);
  return cards.canvases;
}

// The numbers of each card: its scale and each shown map's statistics.
function fillMapCards(cards, result) {
  for (const { layer, legend, low, high } of cards.scales) {
    const m = fmt(result.layers[layer].scale.max);
    legend.setAttribute("aria-label", t("image.legend", { m }));
    low.textContent = `−${m}`;
    high.textContent = `+${m}`;
  }
  for (const { layer, channel, stats } of cards.stats) {
    const item = result.layers[layer].maps[channel];
    stats.textContent = t("image.stats", { min: fmt(item.min), max: fmt(item.max), mean: fmt(item.mean) });
  }
}

function buildMapCards(host, result, views, onView) {
  const cards = { canvases: [], scales: [], stats: [] };
  const articles = result.layers.map((layer, i) => {
    const n = i;
    const { channels, height, width } = layer.output;
    const view = views[i] ?? -1;
    const legend = el("canvas", { className: "legend-bar", role: "img" });
    drawLegend(legend);
    const low = el("span", { className: "mono" });
    const high = el("span", { className: "mono" });
    cards.scales.push({ layer: i, legend, low, high });
    const head = el("div", { className: "card-head" }, [
      el("h3", { text: `${t("image.layerTitle", { n, type: t(`image.type.${layer.type}`) })}` }),
      el("p", { className: "note shape", text: t("image.layerShape", { c: channels, h: height, w: width }) }),
      el("div", { className: "legend" }, [low, legend, high]),
    ]);
    if (channels > 1) {
      const id = `view-${i}`;
      const select = el("select", { id });
      select.append(el("option", { value: "-1", text: t("image.allChannels"), selected: view === -1 }));
      for (let c = 0; c < channels; c++) {
        select.append(el("option", { value: String(c), text: t("image.channel", { c }), selected: view === c }));
      }
      select.addEventListener("change", () => onView(i, Number(select.value)));
      head.append(el("div", { className: "field inline" }, [el("label", { htmlFor: id, text: t("image.channelView", { n }) }), select]));
    }
    const grid = el("div", { className: view === -1 ? "map-grid" : "map-grid single" });
    for (const item of layer.maps) {
      if (view !== -1 && item.channel !== view) continue;
      const canvas = el("canvas", {
        className: "map",
        role: "img",
        tabIndex: 0,
        "aria-label": t("image.mapLabel", { n, c: item.channel }),
        "data-layer": String(i),
        "data-channel": String(item.channel),
      });
      cards.canvases.push({ canvas, layer: i, channel: item.channel });
      const stats = el("span", { className: "mono" });
      cards.stats.push({ layer: i, channel: item.channel, stats });
      const caption = el("figcaption", { className: "note" }, [
        el("span", { text: `${t("image.channel", { c: item.channel })} · ${height}×${width}: ` }),
        stats,
      ]);
      grid.append(el("figure", { className: "map-figure" }, [canvas, caption]));
    }
    return el("article", { className: "map-card", "aria-label": t("image.layerTitle", { n, type: t(`image.type.${layer.type}`) }) }, [head, grid]);
  });
  host.replaceChildren(...articles);
  return cards;
}

function box(b) {
  return b ? `[${b.top}…${b.bottom}] × [${b.left}…${b.right}]` : t("image.none");
}

// The numbers beside the drawing: which unit, r, S, P per axis, the boxes, and the formula with numbers.
export function renderRfNumbers(host, result, sel, photoBox) {
  if (!sel || !photoBox) {
    host.replaceChildren(el("p", { className: "note", text: t("image.rfHint") }));
    return;
  }
  const layer = result.layers[sel.layer];
  const rf = layer.receptive_field;
  const unit = el("p", {
    id: "rf-unit",
    text: t("image.rfUnit", { n: sel.layer, type: t(`image.type.${layer.type}`), c: sel.channel, row: sel.row, col: sel.col }),
  });
  const table = el("table", { className: "data", id: "rf-table" });
  const headRow = el("tr");
  for (const text of [t("image.axis"), "r", "S", "P"]) headRow.append(el("th", { scope: "col", text }));
  table.append(el("thead", {}, [headRow]));
  const body = el("tbody");
  const formulas = el("div", { className: "formulas" });
  [
    ["image.rows", 0, sel.row],
    ["image.cols", 1, sel.col],
  ].forEach(([label, axis, u]) => {
    const f = axisField(rf, axis);
    body.append(
      el("tr", { "data-axis": String(axis) }, [
        el("td", { text: t(label) }),
        el("td", { className: "mono", text: String(f.size) }),
        el("td", { className: "mono", text: String(f.stride) }),
        el("td", { className: "mono", text: String(f.padding) }),
      ]),
    );
    const [a, b] = interval(f, u);
    formulas.append(
      el("p", { className: "formula", text: t("image.rfFormula", { axis: t(label), u, S: f.stride, P: f.padding, a, r: f.size, b }) }),
    );
  });
  table.append(body);
  const boxes = el("dl", { className: "boxes" }, [
    el("dt", { text: t("image.box") }),
    el("dd", { className: "mono", id: "rf-box", text: box(photoBox.unclipped) }),
    el("dt", { text: t("image.clipped") }),
    el("dd", { className: "mono", id: "rf-clipped", text: box(photoBox.clipped) }),
  ]);
  host.replaceChildren(unit, el("div", { className: "table-wrap" }, [table]), boxes, formulas);
}

// The GAP panel: the pooled vector, and (after the button) the shapes for this photo and for half of it.
export function renderGap(host, result, half, gapIndex, onCompare) {
  if (gapIndex < 0 || !result) {
    host.replaceChildren(el("p", { className: "note", text: t("image.noGap") }));
    return;
  }
  const maps = result.layers[gapIndex].maps;
  const values = maps.map((m) => m.value);
  const peak = Math.max(...values.map(Math.abs), 1e-12);
  const bars = el("ol", { className: "gap-bars", id: "gap-vector" });
  values.forEach((v, c) => {
    const bar = el("span", { className: v < 0 ? "bar neg" : "bar" });
    bar.style.width = `${(Math.abs(v) / peak) * 100}%`;
    bars.append(el("li", {}, [el("span", { className: "mono", text: `${c}: ${fmt(v)}` }), bar]));
  });
  const button = el("button", { type: "button", id: "gap-compare", text: t("image.gapCompare") });
  button.addEventListener("click", onCompare);
  const parts = [el("p", { text: t("image.gapVector", { count: values.length }) }), bars, button];
  if (half) {
    const table = el("table", { className: "data", id: "gap-table", "aria-label": t("image.gapTable") });
    table.append(
      el("thead", {}, [
        el("tr", {}, [el("th", { text: t("image.gapLayer") }), el("th", { text: t("image.gapFull") }), el("th", { text: t("image.gapHalf") })]),
      ]),
    );
    const body = el("tbody");
    const shape = (o) => t("image.shape", { c: o.channels, h: o.height, w: o.width });
    body.append(el("tr", {}, [el("td", { text: t("image.photo") }), el("td", { text: shape(result.input) }), el("td", { text: shape(half.input) })]));
    result.layers.forEach((layer, i) => {
      const other = half.layers[i];
      body.append(
        el("tr", {}, [
          el("td", { text: t("image.layerTitle", { n: i, type: t(`image.type.${layer.type}`) }) }),
          el("td", { className: "mono", text: shape(layer.output) }),
          el("td", { className: "mono", text: other ? shape(other.output) : "—" }),
        ]),
      );
    });
    table.append(body);
    parts.push(el("div", { className: "table-wrap" }, [table]), el("p", { id: "gap-same", text: t("image.gapSame", { count: values.length }) }));
  }
  host.replaceChildren(...parts);
}
