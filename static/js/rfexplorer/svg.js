// SVG drawings of the explorer, as pure functions of their data: the 1-D cone (Distill style) and the
// plot of r and S against depth (on the site's axes, common/plot.js). Text through textContent.
import { drawAxes, logTicks, niceTicks, pathThrough, scale, sizeSvg, svgEl } from "../common/plot.js";

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
  sizeSvg(svg, width, height, true);
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

// A line plot of series [{name, values: [{x, y}], className}] with a linear or log-2 y axis, dots on the points
// and the legend inside the plot.
export function drawPlot(svg, series, { width, height, log = false, xLabel, yLabel }) {
  const box = { left: 46, right: width - 10, top: 24, bottom: height - 30 };
  sizeSvg(svg, width, height, true);
  svg.replaceChildren();
  const points = series.flatMap((s) => s.values);
  if (points.length === 0) return;
  const xMax = Math.max(1, ...points.map((p) => p.x));
  const yMax = Math.max(2, ...points.map((p) => p.y));
  const X = scale([0, xMax], [box.left, box.right]);
  const Y = scale(log ? [1, yMax] : [0, yMax], [box.bottom, box.top], log);
  const yTicks = log ? logTicks(1, yMax, 6, 2) : niceTicks(0, yMax, 5);
  const axes = drawAxes({ box, sx: X, sy: Y, yTicks, xTicks: niceTicks(0, xMax, 8), log });
  axes.append(svgEl("text", { x: box.right, y: height - 4, "text-anchor": "end" }, xLabel));
  axes.append(svgEl("text", { x: 4, y: 12 }, yLabel));
  svg.append(axes);
  for (const s of series) {
    const g = svgEl("g", { class: `series ${s.className}` });
    g.append(svgEl("title", {}, s.name));
    g.append(svgEl("path", { d: pathThrough(s.values.map((p) => [X(p.x), Y(Math.max(1, p.y))])) }));
    for (const p of s.values) g.append(svgEl("circle", { cx: X(p.x), cy: Y(Math.max(1, p.y)), r: 2.5 }));
    svg.append(g);
  }
  const legend = svgEl("g", { class: "plot-legend" });
  series.forEach((s, i) => {
    legend.append(svgEl("rect", { x: box.left + 10, y: box.top + 4 + i * 16, width: 12, height: 4, class: `swatch ${s.className}` }));
    legend.append(svgEl("text", { x: box.left + 26, y: box.top + 10 + i * 16 }, s.name));
  });
  svg.append(legend);
}
