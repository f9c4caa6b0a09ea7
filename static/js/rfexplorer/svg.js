// SVG drawings of the explorer, as pure functions of their data: the 1-D cone (Distill style) and the
// plot of r and S against depth. No library; text through textContent.
const NS = "http://www.w3.org/2000/svg";

export function svgEl(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

// Where position p of a level sits on the input axis: the centre of its receptive field, p·S − P + (r − 1)/2.
export function centerOf(field, p) {
  return p * field.stride - field.padding + (field.size - 1) / 2;
}

function hatchDefs(svg, id) {
  const defs = svgEl("defs");
  const pattern = svgEl("pattern", { id, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  pattern.append(svgEl("rect", { width: 6, height: 6, fill: "#f3e1c4" }), svgEl("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#b7791f", "stroke-width": 2 }));
  defs.append(pattern);
  svg.append(defs);
}

// levels: [{label, size, field: {size, stride, padding}, positions: [..]}] from the input (0) up to the chosen
// layer (last). Draws bars, fed cells, padding cells and the cone between levels; returns the x→position mapper
// of the top level for hovering.
export function drawCone(svg, levels, width) {
  const rowH = 26;
  const top = 8;
  const height = top + levels.length * rowH + 8;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.replaceChildren();
  hatchDefs(svg, "pad-hatch");
  let lo = Infinity;
  let hi = -Infinity;
  for (const level of levels) {
    const half = level.field.stride / 2;
    lo = Math.min(lo, centerOf(level.field, 0) - half, ...level.positions.map((p) => centerOf(level.field, p) - half));
    hi = Math.max(hi, centerOf(level.field, level.size - 1) + half, ...level.positions.map((p) => centerOf(level.field, p) + half));
  }
  const x = (v) => 4 + ((v - lo) / (hi - lo)) * (width - 8);
  const rows = levels.map((_, i) => top + (levels.length - 1 - i) * rowH);
  const coneLayer = svgEl("g", { class: "cone" });
  svg.append(coneLayer);
  levels.forEach((level, i) => {
    const y = rows[i] + 12;
    const f = level.field;
    // One cell per position, 80 % of the spacing between neighbouring centres, never thinner than a line.
    const cell = Math.max(1.2, ((width - 8) * f.stride * 0.8) / (hi - lo));
    const g = svgEl("g", { class: "level", "data-level": i });
    g.append(svgEl("title", {}, level.label));
    g.append(svgEl("text", { x: 4, y: rows[i] + 8, class: "level-label" }, level.label));
    g.append(svgEl("rect", { x: x(centerOf(f, 0) - f.stride / 2), y, width: Math.max(1, x(centerOf(f, level.size - 1) + f.stride / 2) - x(centerOf(f, 0) - f.stride / 2)), height: 8, class: "bar" }));
    for (const p of level.positions) {
      const padding = p < 0 || p >= level.size;
      const attrs = { x: x(centerOf(f, p)) - cell / 2, y: y - 1, width: cell, height: 10, class: padding ? "pad" : "fed" };
      if (padding) attrs.fill = "url(#pad-hatch)";
      g.append(svgEl("rect", attrs));
    }
    svg.append(g);
    if (i > 0) {
      const below = levels[i - 1];
      const a = Math.min(...level.positions.map((p) => centerOf(f, p)));
      const b = Math.max(...level.positions.map((p) => centerOf(f, p)));
      const c = Math.min(...below.positions.map((p) => centerOf(below.field, p)));
      const d = Math.max(...below.positions.map((p) => centerOf(below.field, p)));
      const points = [[x(a), y + 9], [x(b), y + 9], [x(d), rows[i - 1] + 11], [x(c), rows[i - 1] + 11]];
      coneLayer.append(svgEl("polygon", { points: points.map((pt) => pt.join(",")).join(" "), class: "cone-fill" }));
    }
  });
  const last = levels.at(-1);
  return (px) => {
    const v = lo + ((px - 4) / (width - 8)) * (hi - lo);
    const u = Math.round((v + last.field.padding - (last.field.size - 1) / 2) / last.field.stride);
    return Math.min(last.size - 1, Math.max(0, u));
  };
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

// A line plot of series [{name, values: [{x, y}], className}] with linear or log-2 y axis.
export function drawPlot(svg, series, { width, height, log = false, xLabel, yLabel }) {
  const left = 46;
  const bottom = 30;
  const top = 24;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.replaceChildren();
  const points = series.flatMap((s) => s.values);
  if (points.length === 0) return;
  const xMax = Math.max(1, ...points.map((p) => p.x));
  const yMax = Math.max(2, ...points.map((p) => p.y));
  const fy = log ? (v) => Math.log2(Math.max(1, v)) : (v) => v;
  const X = (v) => left + (v / xMax) * (width - left - 10);
  const Y = (v) => height - bottom - (fy(v) / fy(yMax)) * (height - bottom - top);
  const axes = svgEl("g", { class: "axes" });
  axes.append(svgEl("line", { x1: left, y1: height - bottom, x2: width - 10, y2: height - bottom }));
  axes.append(svgEl("line", { x1: left, y1: top, x2: left, y2: height - bottom }));
  const yTicks = log
    ? Array.from({ length: Math.floor(Math.log2(yMax)) + 1 }, (_, i) => 2 ** i).filter((_, i, a) => i % Math.ceil(a.length / 6) === 0)
    : Array.from({ length: Math.floor(yMax / niceStep(yMax, 5)) + 1 }, (_, i) => i * niceStep(yMax, 5));
  for (const v of yTicks) {
    axes.append(svgEl("line", { x1: left - 4, y1: Y(v), x2: width - 10, y2: Y(v), class: "grid" }));
    axes.append(svgEl("text", { x: left - 6, y: Y(v) + 4, "text-anchor": "end" }, String(v)));
  }
  const step = niceStep(xMax, 8);
  for (let v = 0; v <= xMax; v += step) axes.append(svgEl("text", { x: X(v), y: height - bottom + 14, "text-anchor": "middle" }, String(v)));
  axes.append(svgEl("text", { x: width - 10, y: height - 4, "text-anchor": "end" }, xLabel));
  axes.append(svgEl("text", { x: 4, y: 12 }, yLabel));
  svg.append(axes);
  for (const s of series) {
    const d = s.values.map((p, i) => `${i ? "L" : "M"}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(" ");
    const g = svgEl("g", { class: `series ${s.className}` });
    g.append(svgEl("title", {}, s.name));
    g.append(svgEl("path", { d }));
    for (const p of s.values) g.append(svgEl("circle", { cx: X(p.x), cy: Y(p.y), r: 2.5 }));
    svg.append(g);
  }
  const legend = svgEl("g", { class: "plot-legend" });
  series.forEach((s, i) => {
    legend.append(svgEl("rect", { x: left + 10, y: top + 4 + i * 16, width: 12, height: 4, class: `swatch ${s.className}` }));
    legend.append(svgEl("text", { x: left + 26, y: top + 10 + i * 16 }, s.name));
  });
  svg.append(legend);
}
