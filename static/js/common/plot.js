// The site's SVG plots, no library: scales, ticks and their labels (one number format everywhere), axes, and
// the line plot of the lesson pages. The pure helpers are tested in tests/js/plot.test.js; the receptive-field
// explorer and the model page draw their own series and legends on the same axes (drawAxes).
import { fmt, fmtSci, pow10 } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

export function svgEl(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

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

// Powers of `base` covering [min, max] (min > 0), thinned to at most `count` ticks; on a base-10 axis of less
// than two decades also 2× and 5× each power, so a short log axis still has labels.
export function logTicks(min, max, count = 6, base = 10) {
  const log = (v) => Math.log(v) / Math.log(base);
  const lo = Math.floor(log(min) + 1e-9);
  const hi = Math.ceil(log(max) - 1e-9);
  const multiples = base === 10 && Math.log10(max / min) <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((hi - lo + 1) / count));
  const ticks = [];
  for (let e = lo; e <= hi; e += every) {
    for (const m of multiples) ticks.push(Number((m * base ** e).toPrecision(12)));
  }
  return ticks.filter((v) => v >= min * 0.999 && v <= max * 1.001);
}

const isPow10 = (v) => v > 0 && Math.abs(v / 10 ** Math.round(Math.log10(v)) - 1) < 1e-9;

// The labels of one axis, in one format: an axis that reaches 10⁵ (or goes below 0.001) in powers of ten
// (10³, 10⁶) when every label is one, else all as mantissa·10ⁿ; otherwise plain decimals with a real minus, and on a linear axis every label
// with the same number of decimals (0.0, 0.5, 1.0), on a log axis as short as each value (0.05, 0.1, 1).
export function tickLabels(ticks, log = false) {
  const nonzero = ticks.filter((v) => v !== 0).map(Math.abs);
  const huge = nonzero.some((v) => v >= 1e5 || v < 1e-3);
  if (huge && nonzero.every(isPow10)) return ticks.map((v) => (v === 0 ? "0" : `${v < 0 ? "−" : ""}${pow10(Math.round(Math.log10(Math.abs(v))))}`));
  if (huge) return ticks.map((v) => (v === 0 ? "0" : fmtSci(v, 2)));
  if (log) return ticks.map((v) => String(Number(v.toPrecision(3))));
  const decimals = Math.max(0, ...ticks.map(decimalsNeeded));
  return ticks.map((v) => fmt(v, decimals));
}

// The fewest decimals (at most 3) that write v exactly.
function decimalsNeeded(v) {
  for (let d = 0; d < 3; d++) if (Math.abs(Number(v.toFixed(d)) - v) < 1e-9 * Math.max(1, Math.abs(v))) return d;
  return 3;
}

// Maps a data value to a pixel in [from, to]; log scales map the log of the value.
export function scale(domain, range, log = false) {
  const f = log ? Math.log10 : (v) => v;
  const [d0, d1] = domain.map(f);
  const [r0, r1] = range;
  return (v) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((f(v) - d0) / (d1 - d0)) * (r1 - r0));
}

// The extent of every y in the series and bands (positive values only on a log scale). A log axis, which has no
// zero to start from, reaches LOG_MARGIN of its decades past the data at each end, so that a series at the
// smallest value (a convolution's 1 792 parameters beside a dense layer's 10¹¹) is not drawn on the axis line.
const LOG_MARGIN = 0.04;

export function yExtent(series, bands = [], log = false) {
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...bands.flatMap((b) => [...b.low, ...b.high])];
  const valid = ys.filter((y) => Number.isFinite(y) && (!log || y > 0));
  if (valid.length === 0) return [log ? 0.1 : 0, 1];
  let lo = Math.min(...valid);
  let hi = Math.max(...valid);
  if (!log) lo = Math.min(lo, 0);
  if (!log) return [lo, hi === lo ? lo + 1 : hi];
  const margin = hi === lo ? Math.sqrt(10) : (hi / lo) ** LOG_MARGIN;
  return [lo / margin, hi * margin];
}

// An SVG path through [[x, y]...] in pixels.
export function pathThrough(points) {
  return points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join("");
}

// Horizontal grid lines with y labels, x labels under the plot area and the two axis lines, as one <g>.
// box: {left, right, top, bottom} of the plot area in pixels; yTicks/xTicks: values; log: the y axis is log.
export function drawAxes({ box, sx, sy, yTicks, xTicks = [], log = false }) {
  const axes = svgEl("g", { class: "plot-axes" });
  tickLabels(yTicks, log).forEach((label, n) => {
    const y = sy(yTicks[n]);
    axes.append(svgEl("line", { x1: box.left, x2: box.right, y1: y, y2: y, class: "plot-grid" }));
    axes.append(svgEl("text", { x: box.left - 6, y: y + 4, "text-anchor": "end" }, label));
  });
  tickLabels(xTicks).forEach((label, n) => {
    axes.append(svgEl("text", { x: sx(xTicks[n]), y: box.bottom + 16, "text-anchor": "middle" }, label));
  });
  axes.append(svgEl("line", { x1: box.left, x2: box.left, y1: box.top, y2: box.bottom }));
  axes.append(svgEl("line", { x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom }));
  return axes;
}

// Sets the svg's drawing size: a viewBox, and width/height attributes when `fixed` (else it scales to its box).
export function sizeSvg(svg, width, height, fixed = false) {
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  if (fixed) {
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
  }
}

// Draws series [{label, points: [[x, y]...], cls, dashed}] and bands [{xs, low, high, cls}] into svg.
// options: {width (at most), height, xLabel, yLabel, logY, title}; the svg gets a viewBox and scales to its box.
export function linePlot(svg, series, options = {}) {
  const { xLabel = "", yLabel = "", logY = false, bands = [], title = "" } = options;
  // draw in the svg's own pixel width (when laid out), so 12 px labels stay 12 px on a phone
  const width = Math.round(Math.max(300, Math.min(options.width ?? 640, svg.clientWidth || Infinity)));
  const height = Math.min(options.height ?? 320, Math.round(width * 0.8));
  const box = { left: 72, right: width - 12, top: 12, bottom: height - 42 };
  svg.replaceChildren();
  sizeSvg(svg, width, height);
  svg.setAttribute("role", "img");
  // the plot's accessible name: its title, else what it plots against what
  svg.setAttribute("aria-label", title || [yLabel, xLabel].filter(Boolean).join(" — "));
  if (title) svg.append(svgEl("title", {}, title));
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = yExtent(series, bands, logY);
  const sx = scale([x0, x1], [box.left, box.right]);
  const sy = scale([y0, y1], [box.bottom, box.top], logY);
  const yTicks = logY ? logTicks(y0, y1) : niceTicks(y0, y1).filter((v) => v >= y0 - 1e-12 && v <= y1 + 1e-12);
  const integerX = xs.every(Number.isInteger);
  const xTicks = niceTicks(x0, x1, 8).filter((v) => !integerX || Number.isInteger(v));
  const axes = drawAxes({ box, sx, sy, yTicks, xTicks, log: logY });
  axes.append(svgEl("text", { x: (box.left + width) / 2, y: height - 6, "text-anchor": "middle" }, xLabel));
  axes.append(
    svgEl("text", { x: 14, y: height / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${height / 2})` }, yLabel),
  );
  svg.append(axes);

  const clip = (y) => (logY ? Math.max(y, y0) : y);
  for (const band of bands) {
    const top = band.xs.map((x, i) => `${sx(x)},${sy(clip(band.high[i]))}`);
    const bottom = band.xs.map((x, i) => `${sx(x)},${sy(clip(band.low[i]))}`).reverse();
    svg.append(svgEl("polygon", { points: [...top, ...bottom].join(" "), class: `plot-band ${band.cls ?? ""}` }));
  }
  for (const s of series) {
    const points = s.points.filter(([, y]) => Number.isFinite(y) && (!logY || y > 0));
    const d = pathThrough(points.map(([x, y]) => [sx(x), sy(y)]));
    svg.append(svgEl("path", { d, class: `plot-line ${s.cls ?? ""} ${s.dashed ? "dashed" : ""}` }));
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
