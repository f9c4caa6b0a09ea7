// One grid of numbered cells drawn in SVG: values as numbers and as a two-sided colour, classes that carry
// meaning by outline and text as well as colour, a keyboard cursor and an in-place editor.
// Drawing only touches attributes that changed, so a 42×42 grid redraws well within a frame.
import { divergingColor, textColorOn } from "../common/colorscale.js";

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

function setAttr(cell, key, el, name, value) {
  if (cell[key] !== value) {
    cell[key] = value;
    el.setAttribute(name, value);
  }
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
    this.svg = svgEl("svg", { role: "application", tabindex: "0" });
    this.cellLayer = svgEl("g");
    this.overlay = svgEl("g", { class: "pg-overlay", "aria-hidden": "true" });
    this.svg.append(this.cellLayer, this.overlay);
    this.scroll.append(this.svg);
    this.figure.append(this.caption, this.scroll);
    host.append(this.figure);
    this.cells = [];
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
      const g = event.target.closest?.("g[data-i]");
      if (!g) return null;
      const i = Number(g.dataset.i);
      return [Math.floor(i / this.cols), i % this.cols];
    };
    this.svg.addEventListener("pointermove", (e) => {
      const rc = cellOf(e);
      const key = rc ? rc.join(",") : "";
      if (key === this.hoverKey) return;
      this.hoverKey = key;
      this.options.onHover?.(rc);
    });
    this.svg.addEventListener("pointerleave", () => {
      this.hoverKey = "";
      this.options.onHover?.(null);
    });
    this.svg.addEventListener("click", (e) => {
      const rc = cellOf(e);
      if (rc) {
        this.cursor = rc;
        this.options.onActivate?.(rc[0], rc[1]);
      }
    });
    this.svg.addEventListener("keydown", (e) => this.onKey(e));
    this.svg.addEventListener("focus", () => {
      if (!this.cursor) this.cursor = this.options.initialCursor?.() ?? [0, 0];
      this.drawCursor();
      this.options.onHover?.(this.cursor);
    });
    this.svg.addEventListener("blur", () => {
      this.drawCursor(true);
      this.options.onHover?.(null);
    });
  }

  onKey(e) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (!this.cursor) return;
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
    this.svg.setAttribute("aria-label", spec.label);
    if (resized) {
      this.svg.setAttribute("width", cols * size + 2);
      this.svg.setAttribute("height", rows * size + 2);
      this.svg.setAttribute("viewBox", `-1 -1 ${cols * size + 2} ${rows * size + 2}`);
      this.svg.style.setProperty("--cell-font", `${Math.max(8, Math.round(size * 0.36))}px`);
      if (this.cursor && (this.cursor[0] >= rows || this.cursor[1] >= cols)) this.cursor = null;
    }
    const count = rows * cols;
    while (this.cells.length < count) this.cells.push(this.makeCell(this.cells.length));
    while (this.cells.length > count) this.cells.pop().g.remove();
    const showText = size >= 18;
    for (let n = 0; n < count; n++) {
      const r = Math.floor(n / cols);
      const c = n % cols;
      const cell = this.cells[n];
      const info = spec.cell(r, c);
      if (resized) {
        setAttr(cell, "x", cell.rect, "x", c * size);
        setAttr(cell, "y", cell.rect, "y", r * size);
        setAttr(cell, "w", cell.rect, "width", size - 1);
        setAttr(cell, "h", cell.rect, "height", size - 1);
        setAttr(cell, "tx", cell.text, "x", c * size + (size - 1) / 2);
        setAttr(cell, "ty", cell.text, "y", r * size + (size - 1) / 2);
      }
      const fill = info.pad || !Number.isFinite(info.value) ? "" : divergingColor(info.value, spec.maxAbs);
      if (cell.fill !== fill) {
        cell.fill = fill;
        if (fill) cell.rect.style.fill = fill;
        else cell.rect.style.removeProperty("fill");
      }
      const ink = info.pad || !Number.isFinite(info.value) ? "" : textColorOn(info.value, spec.maxAbs);
      if (cell.ink !== ink) {
        cell.ink = ink;
        if (ink) cell.text.style.fill = ink;
        else cell.text.style.removeProperty("fill");
      }
      const text = showText ? info.text ?? formatValue(info.value) : "";
      if (cell.label !== text) {
        cell.label = text;
        cell.text.textContent = text;
      }
      cell.base = info.cls || "";
      this.applyClass(n);
    }
  }

  makeCell(n) {
    const g = svgEl("g", { "data-i": String(n) });
    const rect = svgEl("rect", { rx: "2" });
    const text = svgEl("text", { "text-anchor": "middle", "dominant-baseline": "central" });
    g.append(rect, text);
    this.cellLayer.append(g);
    return { g, rect, text, base: "", cls: null };
  }

  applyClass(n) {
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
      this.svg.focus({ preventScroll: true });
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
