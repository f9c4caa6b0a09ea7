// One grid of cells: values as numbers and as a two-sided colour, classes that carry meaning by outline and
// text as well as colour, a keyboard cursor and an in-place editor. Cells large enough to show their number
// are SVG (text a screen reader and a test can read); smaller ones, where no number fits, are painted on a
// canvas so a 4-channel 42×42 padded input still redraws within a frame.
import { divergingColor, textColorOn } from "../common/colorscale.js";
import { canvasCell, paintCanvas } from "./gridcanvas.js";

// Below this cell size no number fits, and the grid is painted on a canvas.
const TEXT_MIN_SIZE = 18;

const SVG = "http://www.w3.org/2000/svg";

export function formatValue(v) {
  if (v === -Infinity) return "−∞";
  if (!Number.isFinite(v)) return "?";
  const rounded = Math.round(v * 100) / 100;
  const text = Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(2).replace(/0$/, "");
  return text.replace("-", "−");
}

function svgEl(name, attrs = {}) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

export class Grid {
  // options: {kind, onHover(r, c | null), onActivate(r, c), label}
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
    this.bindEvents();
  }

  remove() {
    this.figure.remove();
  }

  bindEvents() {
    const cellOf = (event) => {
      const box = (this.useCanvas ? this.canvas : this.svg).getBoundingClientRect();
      const r = Math.floor((event.clientY - box.top - 1) / this.size);
      const c = Math.floor((event.clientX - box.left - 1) / this.size);
      return r >= 0 && c >= 0 && r < this.rows && c < this.cols ? [r, c] : null;
    };
    const surface = this.scroll;
    surface.addEventListener("pointermove", (e) => {
      if (e.target === this.editor) return;
      const rc = cellOf(e);
      const key = rc ? rc.join(",") : "";
      if (key === this.hoverKey) return;
      this.hoverKey = key;
      this.options.onHover?.(rc);
    });
    surface.addEventListener("pointerleave", () => {
      this.hoverKey = "";
      this.options.onHover?.(null);
    });
    surface.addEventListener("click", (e) => {
      if (e.target === this.editor) return;
      const rc = cellOf(e);
      if (rc) {
        this.cursor = rc;
        this.options.onActivate?.(rc[0], rc[1]);
      }
    });
    surface.addEventListener("keydown", (e) => this.onKey(e));
    // The keyboard cursor appears only for keyboard focus; a click already points at its cell.
    surface.addEventListener("focus", () => {
      if (!surface.matches(":focus-visible")) return;
      if (!this.cursor) this.cursor = this.options.initialCursor?.() ?? [0, 0];
      this.drawCursor();
      this.options.onHover?.(this.cursor);
    });
    surface.addEventListener("blur", (e) => {
      if (e.relatedTarget === this.editor) return;
      this.drawCursor(true);
      this.options.onHover?.(null);
    });
  }

  onKey(e) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (!this.cursor) this.cursor = this.options.initialCursor?.() ?? [0, 0];
    if (moves[e.key]) {
      const [dr, dc] = moves[e.key];
      this.cursor = [
        Math.min(this.rows - 1, Math.max(0, this.cursor[0] + dr)),
        Math.min(this.cols - 1, Math.max(0, this.cursor[1] + dc)),
      ];
      this.drawCursor();
      this.options.onHover?.(this.cursor);
      e.preventDefault();
      e.stopPropagation();
    } else if (e.key === "Enter" || e.key === " ") {
      this.options.onActivate?.(this.cursor[0], this.cursor[1]);
      e.preventDefault();
      e.stopPropagation();
    }
  }

  // spec: {rows, cols, size, caption, label, maxAbs, cell(r, c) → {value, text, cls}}
  draw(spec) {
    const { rows, cols, size } = spec;
    const resized = rows !== this.rows || cols !== this.cols || size !== this.size;
    this.rows = rows;
    this.cols = cols;
    this.size = size;
    if (this.caption.textContent !== spec.caption) this.caption.textContent = spec.caption;
    if (this.scroll.getAttribute("aria-label") !== spec.label) this.scroll.setAttribute("aria-label", spec.label);
    const useCanvas = size < TEXT_MIN_SIZE;
    if (useCanvas !== this.useCanvas) {
      this.useCanvas = useCanvas;
      this.canvasBox.hidden = !useCanvas;
      this.svg.style.display = useCanvas ? "none" : "";
      this.clearSvg();
    }
    if (useCanvas) {
      this.drawCanvasCells(spec);
      return;
    }
    this.marks.clear();
    if (resized) {
      this.svg.setAttribute("width", cols * size + 2);
      this.svg.setAttribute("height", rows * size + 2);
      this.svg.setAttribute("viewBox", `-1 -1 ${cols * size + 2} ${rows * size + 2}`);
      this.svg.style.setProperty("--cell-font", `${Math.max(8, Math.round(size * 0.36))}px`);
      this.svg.style.setProperty("--cell", `${size - 1}px`);
      this.svg.style.setProperty("--half", `${(size - 1) / 2}px`);
      if (this.cursor && (this.cursor[0] >= rows || this.cursor[1] >= cols)) this.cursor = null;
    }
    // Cells are keyed by their position relative to `origin` (the first real input cell), so a change of
    // padding moves the existing cells instead of rewriting every value, colour and class.
    const [top, left] = spec.origin ?? [0, 0];
    const count = rows * cols;
    const cells = new Array(count);
    const byKey = new Map();
    const showText = size >= TEXT_MIN_SIZE;
    for (let n = 0; n < count; n++) {
      const r = Math.floor(n / cols);
      const c = n % cols;
      const key = (r - top + 128) * 1024 + (c - left + 128);
      const cell = this.byKey.get(key) ?? this.makeCell();
      byKey.set(key, cell);
      cells[n] = cell;
      const info = spec.cell(r, c);
      if (cell.pos !== n || resized) {
        cell.pos = n;
        cell.g.setAttribute("transform", `translate(${c * size} ${r * size})`);
        cell.g.setAttribute("data-i", String(n));
      }
      // Presentation attributes, not inline styles: Chrome restyles an SVG element far faster that way, and
      // the CSS rules for padding and inserted zeros still win over them.
      const plain = info.pad || !Number.isFinite(info.value);
      const fill = plain ? "#fff" : divergingColor(info.value, spec.maxAbs);
      if (cell.fill !== fill) {
        cell.fill = fill;
        cell.rect.setAttribute("fill", fill);
      }
      const text = showText ? info.text ?? formatValue(info.value) : "";
      if (text && !cell.text) {
        cell.text = svgEl("text", { "text-anchor": "middle", "dominant-baseline": "central" });
        cell.g.append(cell.text);
      }
      if (cell.text) {
        const ink = plain ? "#111" : textColorOn(info.value, spec.maxAbs);
        if (cell.ink !== ink) {
          cell.ink = ink;
          cell.text.setAttribute("fill", ink);
        }
        if (cell.label !== text) {
          // Five characters ("−0.67") need a smaller font to stay inside the cell.
          if ((cell.label ?? "").length >= 5 !== text.length >= 5) cell.text.classList.toggle("long", text.length >= 5);
          cell.label = text;
          cell.text.textContent = text;
        }
      }
      cell.base = info.cls || "";
    }
    for (const [key, cell] of this.byKey) if (!byKey.has(key)) this.retire(cell);
    this.byKey = byKey;
    this.cells = cells;
    for (let n = 0; n < count; n++) this.applyClass(n);
  }

  clearSvg() {
    for (const cell of this.byKey.values()) this.retire(cell);
    this.byKey = new Map();
    this.cells = [];
    this.canvasSize = 0;
    this.overlay.replaceChildren();
    this.cursorRect = null;
  }

  // Canvas mode keeps only each cell's colour (one RGBA pixel) and classes; paint() scales the pixels up to
  // cells and draws the outlines, marks and boxes.
  drawCanvasCells(spec) {
    const count = spec.rows * spec.cols;
    const sameShape = this.cells.length === count && this.canvasSize === spec.size && this.canvasCols === spec.cols;
    const sameScale = this.canvasMaxAbs === spec.maxAbs;
    let same = sameShape && sameScale;
    const cells = sameShape ? this.cells : new Array(count);
    if (!sameShape) this.pixels = new Uint32Array(count);
    const pixels = this.pixels;
    // Cells with the same value and classes share one painted cell: a map holds a few dozen distinct values,
    // so the colour is worked out per value, not per cell. It starts afresh with the colour scale.
    if (!sameScale || !this.painted || this.paintedCount > 4 * count) {
      this.painted = new Map();
      this.paintedCount = 0;
    }
    // Neighbouring cells mostly share their classes, and padding its value: the last lookup is kept.
    let byValue = null;
    let last = null;
    for (let r = 0, n = 0; r < spec.rows; r++) {
      for (let c = 0; c < spec.cols; c++, n++) {
        const info = spec.cell(r, c);
        const value = info.pad || !Number.isFinite(info.value) ? null : info.value;
        const cls = info.cls ?? "";
        const old = cells[n];
        if (sameScale && old && old.value === value && old.cls === cls) continue;
        same = false;
        if (last && last.value === value && last.cls === cls) {
          cells[n] = last;
          pixels[n] = last.pixel;
          continue;
        }
        if (!byValue || last?.cls !== cls) byValue = this.paintedFor(cls);
        last = byValue.get(value);
        if (!last) {
          last = canvasCell(value, cls, spec.maxAbs);
          byValue.set(value, last);
          this.paintedCount += 1;
        }
        cells[n] = last;
        pixels[n] = last.pixel;
      }
    }
    this.cells = cells;
    this.canvasSize = spec.size;
    this.canvasCols = spec.cols;
    this.canvasMaxAbs = spec.maxAbs;
    if (!same) {
      this.baseDirty = true;
      this.dirty = true;
    }
  }

  // The painted cells of one class string, by value.
  paintedFor(cls) {
    let byValue = this.painted.get(cls);
    if (!byValue) {
      byValue = new Map();
      this.painted.set(cls, byValue);
    }
    return byValue;
  }

  // Paint the canvas if anything changed since the last paint (SVG mode updates the DOM as it goes).
  flush() {
    if (!this.useCanvas || !this.dirty) return;
    this.dirty = false;
    paintCanvas(this.canvas, this.cellsCanvas, this.marksCanvas, this);
  }

  // A cell is a <g> with a rect; its <text> is added only once the grid is large enough to show numbers.
  // Cells that fall off the grid are kept for the next ones it grows, so moving a kernel or padding slider back
  // and forth moves elements instead of creating them; a kept cell remembers what it shows, so only what
  // differs is written.
  makeCell() {
    const spare = this.spare.pop();
    if (spare) {
      this.cellLayer.append(spare.g);
      return spare;
    }
    const g = svgEl("g");
    const rect = svgEl("rect", { rx: "2" });
    g.append(rect);
    this.cellLayer.append(g);
    return { g, rect, text: null, base: "", cls: null, pos: -1 };
  }

  retire(cell) {
    cell.g.remove();
    cell.pos = -1;
    this.spare.push(cell);
  }

  applyClass(n) {
    if (this.useCanvas) {
      this.dirty = true;
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
    const previous = this.marks.get(name) ?? new Set();
    const next = new Set();
    for (const [r, c] of cells) if (r >= 0 && c >= 0 && r < this.rows && c < this.cols) next.add(r * this.cols + c);
    this.marks.set(name, next);
    for (const n of previous) if (!next.has(n) && n < this.cells.length) this.applyClass(n);
    for (const n of next) if (!previous.has(n)) this.applyClass(n);
  }

  // Outlined rectangles over the cells (the window, unread bands): [{r0, c0, r1, c1, cls, label}].
  boxes(list) {
    if (this.useCanvas) {
      // Painting is the cost on a canvas: repaint only when the boxes actually moved.
      const key = JSON.stringify(list);
      if (key !== this.boxKey) this.dirty = true;
      this.boxKey = key;
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
    this.editor?.remove();
    const input = document.createElement("input");
    input.type = "number";
    input.step = "any";
    input.className = "pg-cell-editor";
    input.value = String(value);
    input.setAttribute("aria-label", label);
    input.style.left = `${c * this.size}px`;
    input.style.top = `${r * this.size}px`;
    input.style.width = `${Math.max(this.size, 56)}px`;
    input.style.height = `${Math.max(this.size, 28)}px`;
    this.scroll.append(input);
    this.editor = input;
    let done = false;
    const finish = (save) => {
      if (done) return;
      done = true;
      const v = Number.parseFloat(input.value);
      input.remove();
      this.editor = null;
      this.scroll.focus({ preventScroll: true });
      if (save && Number.isFinite(v)) commit(v);
    };
    input.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Enter") finish(true);
      if (e.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
    input.focus();
    input.select();
  }
}
