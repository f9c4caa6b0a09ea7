// A small SVG line plot, no library: linear or log-10 y axis, tick labels, a legend, optional bands.
// The scale and tick helpers are pure (tests/js/lessons.test.js); linePlot draws into an <svg>.

import { fmtLogTicks } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

// Round-number ticks covering [min, max]: steps of 1, 2 or 5 times a power of ten.
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

// Powers of ten covering [min, max] (min > 0), thinned to at most `count` ticks; over less than two
// decades also 2× and 5× each power, so a short log axis still has labels.
export function logTicks(min, max, count = 6) {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const multiples = Math.log10(max / min) <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((hi - lo + 1) / count));
  const ticks = [];
  for (let e = lo; e <= hi; e += every) {
    for (const m of multiples) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  }
  return ticks.filter((v) => v >= min * 0.999 && v <= max * 1.001);
}

// Maps a data value to a pixel in [from, to]; log scales map log10 of the value.
export function scale(domain, range, log = false) {
  const f = log ? Math.log10 : (v) => v;
  const [d0, d1] = domain.map(f);
  const [r0, r1] = range;
  return (v) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((f(v) - d0) / (d1 - d0)) * (r1 - r0));
}

// The extent of every y in the series and bands (positive values only on a log scale).
export function yExtent(series, bands = [], log = false) {
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...bands.flatMap((b) => [...b.low, ...b.high])];
  const valid = ys.filter((y) => Number.isFinite(y) && (!log || y > 0));
  if (valid.length === 0) return [log ? 0.1 : 0, 1];
  let lo = Math.min(...valid);
  let hi = Math.max(...valid);
  if (!log) lo = Math.min(lo, 0);
  if (hi === lo) hi = lo + 1;
  return [lo, hi];
}

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Draws series [{label, points: [[x, y]...], cls, dashed}] and bands [{xs, low, high, cls}] into svg.
// options: {width (at most), height, xLabel, yLabel, logY, formatY (a linear axis's labels), title}; the svg gets a viewBox and scales
// to its box.
export function linePlot(svg, series, options = {}) {
  const { xLabel = "", yLabel = "", logY = false, bands = [], title = "" } = options;
  // draw in the svg's own pixel width (when laid out), so 12 px labels stay 12 px on a phone
  const width = Math.round(Math.max(300, Math.min(options.width ?? 640, svg.clientWidth || Infinity)));
  const height = Math.min(options.height ?? 320, Math.round(width * 0.8));
  const formatY = options.formatY ?? ((v) => String(v));
  const margin = { left: 72, right: 12, top: 12, bottom: 42 };
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  // the plot's accessible name: its title, else what it plots against what
  svg.setAttribute("aria-label", title || [yLabel, xLabel].filter(Boolean).join(" — "));
  if (title) svg.append(el("title", {}, title));
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = yExtent(series, bands, logY);
  const sx = scale([x0, x1], [margin.left, width - margin.right]);
  const sy = scale([y0, y1], [height - margin.bottom, margin.top], logY);

  const axes = el("g", { class: "plot-axes" });
  const yTicks = logY ? logTicks(y0, y1) : niceTicks(y0, y1).filter((t) => t >= y0 - 1e-12 && t <= y1 + 1e-12);
  const yLabels = logY ? fmtLogTicks(yTicks) : yTicks.map(formatY);
  yTicks.forEach((t, n) => {
    axes.append(el("line", { x1: margin.left, x2: width - margin.right, y1: sy(t), y2: sy(t), class: "plot-grid" }));
    axes.append(el("text", { x: margin.left - 6, y: sy(t) + 4, "text-anchor": "end" }, yLabels[n]));
  });
  const integerX = xs.every(Number.isInteger);
  for (const t of niceTicks(x0, x1, 8).filter((v) => !integerX || Number.isInteger(v))) {
    axes.append(el("text", { x: sx(t), y: height - margin.bottom + 16, "text-anchor": "middle" }, String(t)));
  }
  axes.append(el("line", { x1: margin.left, x2: margin.left, y1: margin.top, y2: height - margin.bottom }));
  axes.append(
    el("line", { x1: margin.left, x2: width - margin.right, y1: height - margin.bottom, y2: height - margin.bottom }),
  );
  axes.append(el("text", { x: (margin.left + width) / 2, y: height - 6, "text-anchor": "middle" }, xLabel));
  axes.append(
    el("text", { x: 14, y: height / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${height / 2})` }, yLabel),
  );
  svg.append(axes);

  const clip = (y) => (logY ? Math.max(y, y0) : y);
  for (const band of bands) {
    const top = band.xs.map((x, i) => `${sx(x)},${sy(clip(band.high[i]))}`);
    const bottom = band.xs.map((x, i) => `${sx(x)},${sy(clip(band.low[i]))}`).reverse();
    svg.append(el("polygon", { points: [...top, ...bottom].join(" "), class: `plot-band ${band.cls ?? ""}` }));
  }
  for (const s of series) {
    const points = s.points.filter(([, y]) => Number.isFinite(y) && (!logY || y > 0));
    const path = points.map(([x, y], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join("");
    svg.append(el("path", { d: path, class: `plot-line ${s.cls ?? ""} ${s.dashed ? "dashed" : ""}` }));
  }
  return { sx, sy };
}

// A legend as HTML (wraps on narrow screens, unlike text inside the SVG).
export function legend(container, series) {
  container.replaceChildren(
    ...series.map((s) => {
      const item = document.createElement("span");
      item.className = `legend-item ${s.cls ?? ""} ${s.dashed ? "dashed" : ""}`;
      const swatch = document.createElement("span");
      swatch.className = "legend-swatch";
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, document.createTextNode(s.label));
      return item;
    }),
  );
}
