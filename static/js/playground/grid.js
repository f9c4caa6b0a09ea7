// One grid of cells: values as numbers and as a two-sided colour, classes that carry meaning by outline and
// text as well as colour, a keyboard cursor and an in-place editor. Cells large enough to show their number
// are SVG (gridsvg.js); smaller ones, where no number fits, are painted on a canvas (gridcanvas.js) so a
// 4-channel 42×42 padded input still redraws within a frame. The pointer and the keyboard: gridinput.js.
import { paintCanvas, storeCanvasCells } from "./gridcanvas.js";
import { bindInput, editCell } from "./gridinput.js";
import { TEXT_MAX_CELLS, TEXT_MIN_SIZE, clearSvgCells, drawSvgCells, svgEl } from "./gridsvg.js";

// What Grid.draw has spec.fill write, a value and a code (cellcodes.js) per cell, shared by every grid: each
// draw reads them at once into its SVG cells or canvas pixels. They only grow.
const filled = { values: new Float64Array(0), codes: new Uint8Array(0) };

function fillCells(spec, count) {
  if (filled.values.length < count) {
    filled.values = new Float64Array(count);
    filled.codes = new Uint8Array(count);
  }
  spec.fill(filled.values, filled.codes);
  return filled;
}

// The cells of a mark on no cell (never added to).
const NONE = new Set();

function sameBox(a, b) {
  return a.r0 === b.r0 && a.c0 === b.c0 && a.r1 === b.r1 && a.c1 === b.c1 && a.cls === b.cls && a.label === b.label;
}

function sameBoxes(a, b) {
  if (a.length !== b.length) return false;
  for (let n = 0; n < a.length; n++) if (!sameBox(a[n], b[n])) return false;
  return true;
}

function sameItems(a, b) {
  if (!b || a.length !== b.length) return false;
  for (let n = 0; n < a.length; n++) if (a[n] !== b[n]) return false;
  return true;
}

export class Grid {
  // options: {kind, onHover(r, c | null), onActivate(r, c), initialCursor() → [r, c], label}
  constructor(host, options) {
    this.options = options;
    this.figure = document.createElement("figure");
    this.figure.className = `pg-grid pg-grid-${options.kind}`;
    this.caption = document.createElement("figcaption");
    this.scroll = document.createElement("div");
    this.scroll.className = "pg-grid-scroll";
    this.scroll.setAttribute("role", "application");
    this.scroll.tabIndex = 0;
    this.svg = svgEl("svg");
    this.cellLayer = svgEl("g");
    this.overlay = svgEl("g", { class: "pg-overlay", "aria-hidden": "true" });
    this.svg.append(this.cellLayer, this.overlay);
    this.canvasBox = document.createElement("div");
    this.canvasBox.className = "pg-canvas-stack";
    this.canvasBox.hidden = true;
    // `canvas` is never drawn on: it gives the stack its size and takes the pointer. The cells and the marks
    // are painted on the two canvases stacked over it.
    this.canvas = document.createElement("canvas");
    this.cellsCanvas = document.createElement("canvas");
    this.marksCanvas = document.createElement("canvas");
    this.canvasBox.append(this.canvas, this.cellsCanvas, this.marksCanvas);
    this.scroll.append(this.svg, this.canvasBox);
    this.useCanvas = false;
    this.boxList = [];
    this.figure.append(this.caption, this.scroll);
    host.append(this.figure);
    this.cells = [];
    this.byKey = new Map();
    this.spare = [];
    this.marks = new Map();
    this.rows = 0;
    this.cols = 0;
    this.size = 0;
    this.cursor = null;
    this.initState();
    bindInput(this);
  }

  // Every field the grid's modules set later (gridsvg.js, gridcanvas.js, gridinput.js) is made here, so that
  // every grid has one shape from the start: fields added on first use gave grids of several shapes, and V8 threw
  // away the optimised drawing code that had met only one of them, on a student's first changes.
  initState() {
    this.key = null;
    this.cursorRect = null;
    this.cursorShown = false;
    this.editor = null;
    this.hoverKey = null;
    this.looks = null;
    this.looksMaxAbs = Number.NaN;
    this.canvasRows = 0;
    this.canvasCols = 0;
    this.canvasSize = 0;
    this.pixels = null;
    this.codes = null;
    this.dirty = false;
    this.baseDirty = false;
    this.marksDirty = false;
    this.outlines = null;
    this.bitmap = null;
    this.image = null;
    this.lines = null;
    this.surfaceWidth = 0;
    this.surfaceHeight = 0;
  }

  remove() {
    this.figure.remove();
  }

  // spec: {rows, cols, size, caption, label, maxAbs, origin: [r, c] of the first real input cell,
  // fill(values, codes) writing each cell n = r·cols + c's value and code (cellcodes.js), padText: what a
  // padding cell shows, key}. key lists everything the cells depend on besides rows, cols and size (arrays by
  // identity, the page replaces them on every edit): when it matches the last draw's item by item, the cells
  // are as drawn and only the caption and label are written.
  draw(spec) {
    const { rows, cols, size } = spec;
    if (this.caption.textContent !== spec.caption) this.caption.textContent = spec.caption;
    if (this.scroll.getAttribute("aria-label") !== spec.label) this.scroll.setAttribute("aria-label", spec.label);
    if (rows === this.rows && cols === this.cols && size === this.size && sameItems(spec.key, this.key)) return;
    this.key = spec.key;
    const resized = rows !== this.rows || cols !== this.cols || size !== this.size;
    this.rows = rows;
    this.cols = cols;
    this.size = size;
    const useCanvas = size < TEXT_MIN_SIZE || rows * cols > TEXT_MAX_CELLS;
    if (useCanvas !== this.useCanvas) {
      this.useCanvas = useCanvas;
      this.canvasBox.hidden = !useCanvas;
      this.svg.style.display = useCanvas ? "none" : "";
      this.clearSvg();
    }
    const cells = fillCells(spec, rows * cols);
    if (useCanvas) {
      storeCanvasCells(this, spec, cells);
      return;
    }
    this.marks.clear();
    if (resized && this.cursor && (this.cursor[0] >= rows || this.cursor[1] >= cols)) this.cursor = null;
    drawSvgCells(this, spec, cells, resized);
    for (let n = 0; n < rows * cols; n++) this.applyClass(n);
  }

  clearSvg() {
    clearSvgCells(this);
    this.cells = [];
    this.canvasSize = 0;
    this.overlay.replaceChildren();
    this.cursorRect = null;
  }

  // Paint the canvas if anything changed since the last paint (SVG mode updates the DOM as it goes).
  flush() {
    if (!this.useCanvas || !this.dirty) return;
    this.dirty = false;
    paintCanvas(this.canvas, this.cellsCanvas, this.marksCanvas, this);
  }

  applyClass(n) {
    if (this.useCanvas) {
      this.dirty = true;
      this.marksDirty = true;
      return;
    }
    const cell = this.cells[n];
    let cls = cell.base;
    for (const [name, set] of this.marks) if (set.has(n)) cls += ` m-${name}`;
    if (cell.cls !== cls) {
      cell.cls = cls;
      cell.g.setAttribute("class", cls);
    }
  }

  // Mark cells [[r, c], …] with class m-<name>, clearing the previous set of that name.
  mark(name, cells) {
    const previous = this.marks.get(name) ?? NONE;
    // most marks are empty on most grids, and stay so: nothing to make or compare
    if (cells.length === 0 && previous.size === 0) return;
    const next = cells.length === 0 ? NONE : new Set();
    for (const [r, c] of cells) if (r >= 0 && c >= 0 && r < this.rows && c < this.cols) next.add(r * this.cols + c);
    this.marks.set(name, next);
    for (const n of previous) if (!next.has(n) && n < this.rows * this.cols) this.applyClass(n);
    for (const n of next) if (!previous.has(n)) this.applyClass(n);
  }

  // Outlined rectangles over the cells (the window, unread bands): [{r0, c0, r1, c1, cls, label}].
  boxes(list) {
    if (this.useCanvas) {
      // Painting is the cost on a canvas: repaint only when the boxes actually moved.
      if (!sameBoxes(list, this.boxList)) {
        this.dirty = true;
        this.marksDirty = true;
      }
      this.boxList = list;
      return;
    }
    this.boxList = list;
    const s = this.size;
    this.ensureCursorRect();
    while (this.overlay.children.length > list.length + 1) this.overlay.lastChild.remove();
    list.forEach((b, n) => {
      let g = this.overlay.children[n + 1];
      if (!g) {
        g = svgEl("g");
        g.append(svgEl("rect"), svgEl("text"));
        this.overlay.append(g);
      }
      g.setAttribute("class", b.cls);
      const rect = g.firstChild;
      rect.setAttribute("x", b.c0 * s - 1);
      rect.setAttribute("y", b.r0 * s - 1);
      rect.setAttribute("width", (b.c1 - b.c0 + 1) * s + 1);
      rect.setAttribute("height", (b.r1 - b.r0 + 1) * s + 1);
      const text = g.lastChild;
      text.textContent = b.label ?? "";
      text.setAttribute("x", b.c0 * s + 2);
      text.setAttribute("y", b.r0 * s + 9);
    });
  }

  ensureCursorRect() {
    if (!this.cursorRect) {
      this.cursorRect = svgEl("rect", { class: "pg-cursor" });
      this.cursorRect.style.display = "none";
    }
    if (this.overlay.firstChild !== this.cursorRect) this.overlay.insertBefore(this.cursorRect, this.overlay.firstChild);
  }

  drawCursor(hide = false) {
    this.cursorShown = !hide && this.cursor !== null;
    if (this.useCanvas) {
      this.dirty = true;
      this.marksDirty = true;
      this.flush();
      return;
    }
    this.ensureCursorRect();
    if (hide || !this.cursor) {
      this.cursorRect.style.display = "none";
      return;
    }
    const s = this.size;
    this.cursorRect.style.display = "";
    this.cursorRect.setAttribute("x", this.cursor[1] * s - 2);
    this.cursorRect.setAttribute("y", this.cursor[0] * s - 2);
    this.cursorRect.setAttribute("width", s + 3);
    this.cursorRect.setAttribute("height", s + 3);
  }

  // An <input> over cell (r, c); commit(value) on Enter or blur, nothing on Escape.
  edit(r, c, value, label, commit) {
    editCell(this, r, c, value, label, commit);
  }
}
