// Painting a grid too fine for numbers on a canvas, with the same meanings as the SVG cells' CSS classes:
// padding dashed and grey (a dashed outline over the copied value in reflect, replicate or circular padding),
// a ceil_mode window's overhang past the padded input white with a dotted orange outline, inserted zeros dotted,
// unread cells crossed by a diagonal, outputs not yet computed faded, output_padding long-dashed; the window,
// hover, feeds and current marks as outlines.
// Two stacked canvases: the cells, repainted only when they change, are one RGBA pixel each, put into a small
// canvas and scaled up to cells in one drawImage (filling thousands of rectangles of hundreds of colours cost
// most of a re-render); the marks, which move on every animation step, have a transparent canvas of their own.
import { divergingInto } from "../common/colorscale.js";
import { CELL_CLASSES } from "./cellcodes.js";

const LINE = "#c4cad2";
const STYLES = {
  pad: { fill: [236, 239, 243], stroke: "#8b95a1", dash: [3, 2], width: 1 },
  ins: { fill: [247, 247, 249], stroke: "#c4cad2", dash: [1, 2], width: 1 },
  copy: { stroke: "#4d5661", dash: [3, 2], width: 1.5 },
  past: { fill: [255, 255, 255], stroke: "#b35c00", dash: [1, 2], width: 1 },
  oppad: { stroke: "#5b3d99", dash: [6, 2], width: 2 },
  "m-win": { stroke: "#111", dash: [], width: 2 },
  "m-hover": { stroke: "#111", dash: [2, 2], width: 2 },
  "m-feeds": { stroke: "#111", dash: [1, 2], width: 2.5 },
  "m-cur": { stroke: "#111", dash: [], width: 3 },
  "m-winner": { stroke: "#111", dash: [], width: 3 },
};
// The marks' styles by mark name (win, hover, …).
const MARK_STYLES = Object.fromEntries(Object.keys(STYLES).filter((k) => k.startsWith("m-")).map((k) => [k.slice(2), STYLES[k]]));
const UNREAD = { stroke: "#9a5b00", dash: [], width: 1 };
const BOXES = { "box-win": { width: 3, dash: [] }, "box-cur": { width: 2, dash: [] } };
const WHITE = [255, 255, 255];
// An output not computed yet: its colour at 35 % over white.
const FADED = 0.35;

// Classes drawn as outlines over the cell fills.
const OUTLINED = new Set(["unread", ...Object.keys(STYLES).filter((cls) => STYLES[cls].stroke)]);

// What each cell code (cellcodes.js) means for painting: a fill of its own (padding, inserted zeros, the
// overhang) or its value's colour, faded when not computed yet, and the classes drawn as outlines.
const PAINT = CELL_CLASSES.map((cls) => {
  const classes = cls.trim() ? cls.trim().split(/\s+/) : [];
  const special = ["pad", "ins", "past"].find((name) => classes.includes(name));
  return {
    fill: special ? STYLES[special].fill : null,
    faded: classes.includes("later"),
    outlines: classes.filter((name) => OUTLINED.has(name)),
  };
});

const stepUp = (length, step) => Math.ceil(length / step) * step;
const mix = (c, faded) => (faded ? Math.round(255 + (c - 255) * FADED) : c);

// One opaque RGBA pixel as ImageData stores it in a Uint32Array (little-endian: A B G R from the top byte).
function pixelOf(rgb, faded) {
  return ((255 << 24) | (mix(rgb[2], faded) << 16) | (mix(rgb[1], faded) << 8) | mix(rgb[0], faded)) >>> 0;
}

// The pixel of one cell: its fill, or its value's colour on the scale (white when it is not a number).
const scaled = [0, 0, 0];

function cellPixel(value, code, maxAbs) {
  const paint = PAINT[code];
  if (paint.fill) return pixelOf(paint.fill, paint.faded);
  if (!Number.isFinite(value)) return pixelOf(WHITE, paint.faded);
  return pixelOf(divergingInto(value, maxAbs, scaled), paint.faded);
}

// Canvas mode keeps each cell's colour (one RGBA pixel) and code; paintCanvas scales the pixels up to cells
// and draws the outlines, marks and boxes. The arrays only grow; spec: as Grid.draw takes it, {values, codes}:
// what its fill wrote. Neighbouring cells mostly share their value and code: the last pixel is kept.
export function storeCanvasCells(grid, spec, { values, codes }) {
  const { rows, cols, size, maxAbs } = spec;
  const count = rows * cols;
  const sameShape = grid.canvasRows === rows && grid.canvasCols === cols && grid.canvasSize === size;
  if (!grid.pixels || grid.pixels.length < count) {
    grid.pixels = new Uint32Array(count);
    grid.codes = new Uint8Array(count);
  }
  const { pixels, codes: stored } = grid;
  let changed = !sameShape;
  let classesChanged = !sameShape;
  let lastValue = Number.NaN;
  let lastCode = -1;
  let last = 0;
  for (let n = 0; n < count; n++) {
    const value = values[n];
    const code = codes[n];
    if (value !== lastValue || code !== lastCode) {
      last = cellPixel(value, code, maxAbs);
      lastValue = value;
      lastCode = code;
    }
    if (stored[n] !== code) {
      stored[n] = code;
      classesChanged = true;
    }
    if (pixels[n] !== last) {
      pixels[n] = last;
      changed = true;
    }
  }
  grid.canvasRows = rows;
  grid.canvasCols = cols;
  grid.canvasSize = size;
  if (changed) {
    grid.baseDirty = true;
    grid.dirty = true;
  }
  // the marks are painted at the cells' places: a new shape or cell size moves them
  if (!sameShape) grid.marksDirty = true;
  if (classesChanged) grid.outlines = null;
}

function setStroke(ctx, style) {
  ctx.strokeStyle = style.stroke;
  ctx.lineWidth = style.width;
  ctx.setLineDash(style.dash);
}

// `cells` are indices n = r * cols + c.
function outline(ctx, cells, cols, size, style) {
  ctx.beginPath();
  for (const n of cells) ctx.rect((n % cols) * size + 0.5, Math.floor(n / cols) * size + 0.5, size - 2, size - 2);
  setStroke(ctx, style);
  ctx.stroke();
}

// The cells' pixels, one per cell, put into the grid's own small canvas that drawImage scales up. Each grid has
// its own: with one canvas shared by every grid, a put and drawImage took one and a half to three times as long
// (timed in the page for eight 32×32 grids). The canvas only grows, BITMAP_STEP cells at a time (resizing one
// costs more than the pixels, and a grid one cell larger than before would resize it again), and a grid's
// ImageData (a view of grid.pixels) is made again only when its shape changes.
const BITMAP_STEP = 64;

function cellBitmap(grid) {
  const { cols, rows, pixels } = grid;
  if (!grid.bitmap) {
    const canvas = document.createElement("canvas");
    grid.bitmap = { canvas, ctx: canvas.getContext("2d") };
  }
  const { canvas, ctx } = grid.bitmap;
  if (canvas.width < cols || canvas.height < rows) {
    canvas.width = Math.max(canvas.width, stepUp(cols, BITMAP_STEP));
    canvas.height = Math.max(canvas.height, stepUp(rows, BITMAP_STEP));
  }
  if (grid.image?.data.buffer !== pixels.buffer || grid.image.width !== cols || grid.image.height !== rows) {
    grid.image = new ImageData(new Uint8ClampedArray(pixels.buffer, 0, cols * rows * 4), cols, rows);
  }
  ctx.putImageData(grid.image, 0, 0);
  return canvas;
}

// The cells' outlines as a path per class, made again only when a cell's classes change (storeCanvasCells then
// drops them): a change of values, or a repaint after the canvas grew, strokes the same paths (a 4-channel
// padded input has over 500 padding cells, and adding their rectangles to a path cost most of its repaint).
// The loops that make paths store nothing on the grid: V8 compiles such a loop while it first runs, and a store
// after it, not run yet then, threw that code away on every later call.
function outlinePaths(grid) {
  grid.outlines ??= cellOutlines(grid);
  return grid.outlines;
}

function cellOutlines({ rows, cols, size, codes }) {
  const paths = new Map();
  for (let n = 0; n < rows * cols; n++) {
    const { outlines } = PAINT[codes[n]];
    for (let k = 0; k < outlines.length; k++) {
      const cls = outlines[k];
      let path = paths.get(cls);
      if (!path) paths.set(cls, (path = new Path2D()));
      const r = Math.floor(n / cols);
      const c = n % cols;
      if (cls === "unread") {
        path.moveTo(c * size, (r + 1) * size - 1);
        path.lineTo((c + 1) * size - 1, r * size);
      } else {
        path.rect(c * size + 0.5, r * size + 0.5, size - 2, size - 2);
      }
    }
  }
  return paths;
}

// The lines between the cells as one path, made again only when the grid's shape or cell size changes.
function gridLines(grid) {
  const { rows, cols, size } = grid;
  if (grid.lines?.rows !== rows || grid.lines.cols !== cols || grid.lines.size !== size) {
    grid.lines = { rows, cols, size, path: linesPath(rows, cols, size) };
  }
  return grid.lines.path;
}

function linesPath(rows, cols, size) {
  const path = new Path2D();
  for (let c = 1; c < cols; c++) path.rect(c * size - 1, 0, 1, rows * size - 1);
  for (let r = 1; r < rows; r++) path.rect(0, r * size - 1, cols * size - 1, 1);
  return path;
}

function paintBase(base, grid, ratio) {
  const { cols, rows, size } = grid;
  const ctx = base.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, base.width, base.height);
  ctx.setTransform(ratio, 0, 0, ratio, ratio, ratio);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(cellBitmap(grid), 0, 0, cols, rows, 0, 0, cols * size, rows * size);
  // The 1-px grid lines between cells, and nothing past the last cell's edge.
  ctx.fillStyle = LINE;
  ctx.fill(gridLines(grid));
  ctx.clearRect(cols * size - 1, 0, 1, rows * size);
  ctx.clearRect(0, rows * size - 1, cols * size, 1);
  for (const [cls, path] of outlinePaths(grid)) {
    setStroke(ctx, cls === "unread" ? UNREAD : STYLES[cls]);
    ctx.stroke(path);
  }
}

// The painted canvases only grow, in steps of GROW_STEP device pixels, and the stack clips them to the cells:
// reallocating a canvas costs a few milliseconds in Chromium, too much for eight of them on every change of
// the layer's shape. Only the sizing canvas under them, which has no bitmap, follows the grid exactly.
const GROW_STEP = 128;

function grow(canvas, width, height, ratio) {
  const w = Math.max(canvas.width, stepUp(width * ratio, GROW_STEP));
  const h = Math.max(canvas.height, stepUp(height * ratio, GROW_STEP));
  if (canvas.width === w && canvas.height === h) return false;
  canvas.width = w;
  canvas.height = h;
  canvas.style.width = `${w / ratio}px`;
  canvas.style.height = `${h / ratio}px`;
  return true;
}

// `surface` sizes the stack, `base` holds the cells, `overlay` (on top) the marks, boxes and keyboard cursor.
export function paintCanvas(surface, base, overlay, grid) {
  const { rows, cols, size } = grid;
  const ratio = globalThis.devicePixelRatio || 1;
  const width = cols * size + 2;
  const height = rows * size + 2;
  // the size last set is kept on the grid: reading an inline style back costs more than comparing two numbers
  if (grid.surfaceWidth !== width || grid.surfaceHeight !== height) {
    grid.surfaceWidth = width;
    grid.surfaceHeight = height;
    surface.style.width = `${width}px`;
    surface.style.height = `${height}px`;
  }
  if (grow(base, width, height, ratio) || grid.baseDirty) {
    paintBase(base, grid, ratio);
    grid.baseDirty = false;
  }
  // a change of the cells alone leaves the marks' canvas as it is
  if (grow(overlay, width, height, ratio) || grid.marksDirty) {
    paintMarks(overlay, grid, ratio);
    grid.marksDirty = false;
  }
}

// The marks, boxes and keyboard cursor on the transparent canvas over the cells.
function paintMarks(overlay, grid, ratio) {
  const { cols, size, marks } = grid;
  const ctx = overlay.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  ctx.setTransform(ratio, 0, 0, ratio, ratio, ratio);
  for (const [name, set] of marks) {
    if (set.size && MARK_STYLES[name]) outline(ctx, set, cols, size, MARK_STYLES[name]);
  }
  for (const box of grid.boxList) {
    const style = BOXES[box.cls] ?? BOXES["box-cur"];
    ctx.strokeStyle = "#111";
    ctx.lineWidth = style.width;
    ctx.setLineDash(style.dash);
    ctx.strokeRect(box.c0 * size - 0.5, box.r0 * size - 0.5, (box.c1 - box.c0 + 1) * size, (box.r1 - box.r0 + 1) * size);
  }
  if (grid.cursorShown && grid.cursor) {
    ctx.strokeStyle = "#b35c00";
    ctx.lineWidth = 3;
    ctx.setLineDash([]);
    ctx.strokeRect(grid.cursor[1] * size - 1.5, grid.cursor[0] * size - 1.5, size + 2, size + 2);
  }
}
