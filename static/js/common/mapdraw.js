// Pure drawing of a map (or the photo) on a canvas, with the padding margin and a receptive-field box.
// Everything is in map pixels; the canvas is scaled so the map plus its margin fills the given CSS width.
import { divergingRgb } from "./colorscale.js";
import { unitAt } from "./rfgeometry.js";

const BOX_DARK = "#111";
const BOX_LIGHT = "#ffd54f";
const PAD_FILL = "#cfd4db";
const PAD_LINE = "#9aa3ad";

let hatch = null;
function padPattern(ctx) {
  if (!hatch) {
    hatch = document.createElement("canvas");
    hatch.width = hatch.height = 8;
    const h = hatch.getContext("2d");
    h.fillStyle = PAD_FILL;
    h.fillRect(0, 0, 8, 8);
    h.strokeStyle = PAD_LINE;
    h.beginPath();
    h.moveTo(0, 8);
    h.lineTo(8, 0);
    h.stroke();
  }
  return ctx.createPattern(hatch, "repeat");
}

// How many map pixels of padding the box needs around the map so that all of it can be drawn (capped).
export function marginFor(box, height, width) {
  if (!box) return 0;
  const u = box.unclipped;
  const need = Math.max(0, -u.top, -u.left, u.bottom - (height - 1), u.right - (width - 1));
  return Math.min(need, Math.ceil(Math.max(height, width) / 2));
}

// The part of box u that fits on a map drawn with margin m, and which sides were cut: a receptive field
// can be much larger than the image (ResNet-50: r = 435 on 224), and its cut sides are drawn at the edge
// of the canvas with an arrow outwards, so all four sides are always seen.
export function visibleBox(u, m, height, width) {
  const lo = -m;
  const box = {
    top: Math.max(u.top, lo),
    left: Math.max(u.left, lo),
    bottom: Math.min(u.bottom, height - 1 + m),
    right: Math.min(u.right, width - 1 + m),
  };
  const cut = { top: box.top > u.top, left: box.left > u.left, bottom: box.bottom < u.bottom, right: box.right < u.right };
  return { ...box, cut };
}

function arrowsOut(ctx, x, y, w, h, cut) {
  const s = 7;
  const tips = [
    [cut.top, x + w / 2, y + 1, 0, -1],
    [cut.bottom, x + w / 2, y + h - 1, 0, 1],
    [cut.left, x + 1, y + h / 2, -1, 0],
    [cut.right, x + w - 1, y + h / 2, 1, 0],
  ];
  ctx.fillStyle = BOX_DARK;
  for (const [on, tx, ty, dx, dy] of tips) {
    if (!on) continue;
    // a triangle inside the canvas, pointing out of it: the box goes on that way
    ctx.beginPath();
    ctx.moveTo(tx, ty);
    ctx.lineTo(tx - dx * s * 1.6 + dy * s, ty - dy * s * 1.6 + dx * s);
    ctx.lineTo(tx - dx * s * 1.6 - dy * s, ty - dy * s * 1.6 - dx * s);
    ctx.closePath();
    ctx.fill();
  }
}

// A box in two strokes, dark under light, so it shows on any colour of the map.
export function strokeBox(ctx, x, y, w, h, dashed) {
  ctx.setLineDash(dashed ? [6, 4] : []);
  ctx.lineWidth = 4;
  ctx.strokeStyle = BOX_DARK;
  ctx.strokeRect(x, y, w, h);
  ctx.lineWidth = 2;
  ctx.strokeStyle = BOX_LIGHT;
  ctx.strokeRect(x, y, w, h);
  ctx.setLineDash([]);
}

// Draw `image` (a loaded <img> of a height × width map) into `canvas` at CSS width `cssWidth`.
// overlay: {box: {unclipped, clipped} | null, pixel: {row, col} | null}.
export function drawMap(canvas, image, height, width, overlay, cssWidth) {
  const m = marginFor(overlay?.box, height, width);
  const scale = cssWidth / (width + 2 * m);
  const cssHeight = (height + 2 * m) * scale;
  const ratio = globalThis.devicePixelRatio || 1;
  // A canvas keeps its bitmap while its size stays (setting the size, even to the same value, reallocates it).
  const pixelWidth = Math.round(cssWidth * ratio);
  const pixelHeight = Math.round(cssHeight * ratio);
  if (canvas.width !== pixelWidth) canvas.width = pixelWidth;
  if (canvas.height !== pixelHeight) canvas.height = pixelHeight;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  if (m > 0) {
    ctx.fillStyle = padPattern(ctx);
    ctx.fillRect(0, 0, cssWidth, cssHeight);
  }
  ctx.imageSmoothingEnabled = false;
  if (image) ctx.drawImage(image, m * scale, m * scale, width * scale, height * scale);
  const at = (i) => (i + m) * scale;
  const box = overlay?.box;
  if (box) {
    const u = visibleBox(box.unclipped, m, height, width);
    // inset by the line width where a side sits on the canvas edge, so that side is drawn whole
    const x0 = Math.max(at(u.left), 2);
    const y0 = Math.max(at(u.top), 2);
    const x1 = Math.min(at(u.right + 1), cssWidth - 2);
    const y1 = Math.min(at(u.bottom + 1), cssHeight - 2);
    strokeBox(ctx, x0, y0, x1 - x0, y1 - y0, true);
    arrowsOut(ctx, x0, y0, x1 - x0, y1 - y0, u.cut);
    const c = box.clipped;
    if (c) strokeBox(ctx, at(c.left), at(c.top), (c.right - c.left + 1) * scale, (c.bottom - c.top + 1) * scale, false);
  }
  // What is drawn, readable from the page (tests compare it with the API; screen readers get the text panel).
  const edges = (b) => (b ? `${b.top},${b.left},${b.bottom},${b.right}` : "");
  canvas.dataset.unclipped = edges(box?.unclipped);
  canvas.dataset.clipped = edges(box?.clipped);
  const pixel = overlay?.pixel;
  if (pixel) strokeBox(ctx, at(pixel.col), at(pixel.row), scale, scale, false);
  return { margin: m, scale };
}

// The neighbourhood of a box, magnified: the box plus a quarter of its size on each side (at least 2 pixels),
// with whatever falls outside the image drawn as padding. Used for the effective receptive field, whose
// interesting part is often a few pixels of a large photo.
export function drawZoom(canvas, image, height, width, box, cssWidth) {
  const u = box.unclipped;
  const margin = Math.max(2, Math.ceil(Math.max(u.bottom - u.top + 1, u.right - u.left + 1) / 4));
  const top = u.top - margin;
  const left = u.left - margin;
  const rows = u.bottom - u.top + 1 + 2 * margin;
  const cols = u.right - u.left + 1 + 2 * margin;
  const scale = cssWidth / Math.max(rows, cols);
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(cols * scale * ratio);
  canvas.height = Math.round(rows * scale * ratio);
  canvas.style.width = `${cols * scale}px`;
  canvas.style.height = `${rows * scale}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = padPattern(ctx);
  ctx.fillRect(0, 0, cols * scale, rows * scale);
  const sx = Math.max(0, left);
  const sy = Math.max(0, top);
  const ex = Math.min(width, left + cols);
  const ey = Math.min(height, top + rows);
  ctx.imageSmoothingEnabled = false;
  if (image && ex > sx && ey > sy) {
    ctx.drawImage(image, sx, sy, ex - sx, ey - sy, (sx - left) * scale, (sy - top) * scale, (ex - sx) * scale, (ey - sy) * scale);
  }
  const rect = (b, dashed) =>
    strokeBox(ctx, (b.left - left) * scale, (b.top - top) * scale, (b.right - b.left + 1) * scale, (b.bottom - b.top + 1) * scale, dashed);
  rect(u, true);
  if (box.clipped) rect(box.clipped, false);
}

// The map pixel under a pointer event on a canvas drawn by drawMap (null when on the padding margin).
export function pixelUnder(event, canvas, layout, height, width) {
  const rect = canvas.getBoundingClientRect();
  const offset = layout.margin * layout.scale;
  const x = event.clientX - rect.left - offset;
  const y = event.clientY - rect.top - offset;
  const w = width * layout.scale;
  const h = height * layout.scale;
  if (x < 0 || y < 0 || x >= w || y >= h) return null;
  return unitAt(x, y, w, h, height, width);
}

// The legend's pixels by size: every map card draws the same bar, so its colours are worked out once.
const legends = new Map();

function legendPixels(width, height) {
  const key = `${width}×${height}`;
  let image = legends.get(key);
  if (!image) {
    image = new ImageData(width, height);
    for (let x = 0; x < width; x++) {
      const rgb = divergingRgb((x / (width - 1)) * 2 - 1, 1);
      for (let y = 0; y < height; y++) image.data.set([...rgb, 255], (y * width + x) * 4);
    }
    legends.set(key, image);
  }
  return image;
}

// The legend: a horizontal two-sided colour bar from −m to +m, with the colours of colorscale.js.
export function drawLegend(canvas, cssWidth = 160, cssHeight = 12) {
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(cssWidth * ratio);
  canvas.height = Math.round(cssHeight * ratio);
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext("2d");
  ctx.putImageData(legendPixels(canvas.width, canvas.height), 0, 0);
  ctx.strokeStyle = "#888";
  ctx.strokeRect(0.5, 0.5, canvas.width - 1, canvas.height - 1);
}
