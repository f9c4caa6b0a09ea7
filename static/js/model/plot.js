// Pure SVG drawing: the receptive-field growth plot and the main path's chips.
import { t } from "../common/i18n.js";

const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

function ticks(hi, log) {
  if (log) {
    const out = [];
    for (let v = 1; v <= hi; v *= 10) out.push(v);
    return out;
  }
  let step = 10 ** Math.floor(Math.log10(hi));
  if (hi / step < 2) step /= 5;
  else if (hi / step < 5) step /= 2;
  const out = [];
  for (let v = 0; v <= hi; v += step) out.push(v);
  return out;
}

// series: {r: [{x, y, index}], s: [...]}; chosen: the chosen node index; onChoose(index) on a point click.
export function drawGrowth(svg, series, { width, height, log, chosen }, onChoose) {
  const pad = { left: 48, right: 12, top: 24, bottom: 36 };
  const all = [...series.r, ...series.s];
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const yMax = Math.max(2, ...all.map((p) => p.y));
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const x = (v) => pad.left + (v / xMax) * w;
  const y = log
    ? (v) => pad.top + h - (Math.log10(Math.max(v, 1)) / Math.log10(yMax)) * h
    : (v) => pad.top + h - (v / yMax) * h;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  const axes = el("g", { class: "axes" });
  for (const v of ticks(yMax, log)) {
    axes.append(el("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: "grid" }));
    axes.append(el("text", { x: pad.left - 6, y: y(v) + 4, "text-anchor": "end" }, String(v)));
  }
  axes.append(el("line", { x1: pad.left, x2: pad.left, y1: pad.top, y2: pad.top + h }));
  axes.append(el("line", { x1: pad.left, x2: width - pad.right, y1: pad.top + h, y2: pad.top + h }));
  axes.append(el("text", { x: pad.left + w / 2, y: height - 6, "text-anchor": "middle" }, t("model.xLabel")));
  axes.append(el("text", { x: 4, y: 14 }, t("model.yLabel")));
  const groups = [axes];
  for (const [key, points] of [["r", series.r], ["s", series.s]]) {
    const g = el("g", { class: `series ${key}` });
    if (points.length) {
      g.append(el("path", { d: points.map((p, i) => `${i ? "L" : "M"}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join("") }));
    }
    for (const p of points) {
      const circle = el("circle", { cx: x(p.x), cy: y(p.y), r: p.index === chosen ? 5 : 3, "data-index": p.index });
      if (p.index === chosen) circle.classList.add("chosen");
      circle.append(el("title", {}, `${key === "r" ? "r" : "S"} = ${p.y}`));
      circle.addEventListener("click", () => onChoose(p.index));
      g.append(circle);
    }
    groups.push(g);
  }
  const legend = el("g", { class: "plot-legend" });
  [["r", t("model.seriesR")], ["s", t("model.seriesS")]].forEach(([key, label], i) => {
    legend.append(el("rect", { x: pad.left + 8 + i * 120, y: 6, width: 10, height: 10, class: `swatch ${key}` }));
    legend.append(el("text", { x: pad.left + 22 + i * 120, y: 15 }, label));
  });
  groups.push(legend);
  svg.replaceChildren(...groups);
}

// The main path as a list of buttons (one per step); ⊕ marks merges, a warning class misaligned ones.
export function renderPath(list, summary, steps, chosen, onChoose) {
  const items = steps.map((index) => {
    const node = summary.nodes[index];
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chip";
    if (node.role === "merge") button.classList.add("merge", ...(node.aligned ? [] : ["misaligned"]));
    const r = node.receptive_field ? node.receptive_field.size[0] : "—";
    const label = `${node.role === "merge" ? "⊕ " : ""}${t("model.pathItem", { node: node.target || node.name, r })}`;
    button.textContent = label;
    button.setAttribute("aria-pressed", String(index === chosen));
    button.disabled = node.receptive_field === null;
    button.addEventListener("click", () => onChoose(index));
    li.append(button);
    return li;
  });
  list.replaceChildren(...items);
}
