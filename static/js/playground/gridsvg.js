// A grid's cells as SVG, for cells large enough to show their number (text a screen reader and a test can
// read): one <g> with a rect per cell, its <text> added once the grid shows numbers. Cells are keyed by their
// position relative to the first real input cell and kept when they fall off the grid, so moving a kernel or
// padding slider moves existing elements instead of creating them, and only what a cell shows differently is
// written.
import { divergingColor, textColorOn } from "../common/colorscale.js";
import { CELL_CLASSES, PAST, isBlank } from "./cellcodes.js";

const SVG = "http://www.w3.org/2000/svg";
// Below this cell size no number fits, and the grid is painted on a canvas (gridcanvas.js).
export const TEXT_MIN_SIZE = 18;
// Past this many cells a grid's numbers are a wall of text, and a costly one: at 1280 px a 4→4 32×32 layer drew
// 8,761 numbers and re-rendered in about 0.36 s a change (12 ms as canvases, loaded machine). It is painted on a
// canvas too, as at other widths: a click on a cell shows its sum in the step panel, its editor shows its value.
export const TEXT_MAX_CELLS = 24 * 24;

// A value as a cell shows it: at most two decimals, a real minus sign, −∞ for max pooling's padding. The text
// of each value is kept (a few hundred distinct values a layer, each written many times a re-render).
const formatted = new Map();
const FORMATTED_KEPT = 4096;

export function formatValue(v) {
  let text = formatted.get(v);
  if (text === undefined) {
    text = valueText(v);
    if (formatted.size >= FORMATTED_KEPT) formatted.clear();
    formatted.set(v, text);
  }
  return text;
}

function valueText(v) {
  if (v === -Infinity) return "−∞";
  if (!Number.isFinite(v)) return "?";
  const rounded = Math.round(v * 100) / 100;
  const text = Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(2).replace(/0$/, "");
  return text.replace("-", "−");
}

export function svgEl(name, attrs = {}) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function makeCell(grid) {
  const spare = grid.spare.pop();
  if (spare) {
    grid.cellLayer.append(spare.g);
    return spare;
  }
  const g = svgEl("g");
  const rect = svgEl("rect", { rx: "2" });
  g.append(rect);
  grid.cellLayer.append(g);
  // every field writeCell sets, so that every cell has one shape
  return { g, rect, text: null, base: "", cls: null, pos: -1, x: -1, y: -1, fill: null, ink: null, label: null };
}

// A retired cell keeps its attributes (and `pos`, `x`, `y`, the fill and text it shows, which say what they
// are), so a cell taken back at the same place writes only what differs.
function retire(grid, cell) {
  cell.g.remove();
  grid.spare.push(cell);
}

function resize(grid, { rows, cols, size }) {
  grid.svg.setAttribute("width", cols * size + 2);
  grid.svg.setAttribute("height", rows * size + 2);
  grid.svg.setAttribute("viewBox", `-1 -1 ${cols * size + 2} ${rows * size + 2}`);
  grid.svg.style.setProperty("--cell-font", `${Math.max(8, Math.round(size * 0.36))}px`);
  grid.svg.style.setProperty("--cell", `${size - 1}px`);
  grid.svg.style.setProperty("--half", `${(size - 1) / 2}px`);
}

// A cell's fill and the ink of its number: white and near-black for padding, else from the colour scale.
const PLAIN = { fill: "#fff", ink: "#111" };

// The look of a value, worked out once per value and kept by the grid while its colour scale stays (values
// repeat across a grid and from one draw to the next, and the colour scale allocates a string per call).
const LOOKS_KEPT = 4096;

function lookOf(grid, value, maxAbs) {
  if (grid.looksMaxAbs !== maxAbs || grid.looks.size >= LOOKS_KEPT) {
    grid.looks = new Map();
    grid.looksMaxAbs = maxAbs;
  }
  let look = grid.looks.get(value);
  if (!look) {
    look = { fill: divergingColor(value, maxAbs), ink: textColorOn(value, maxAbs) };
    grid.looks.set(value, look);
  }
  return look;
}

// What a cell shows as its number: nothing past a ceil_mode window's overhang, the padding's text (0, or −∞ for
// max pooling) in padding, else its value.
function cellText(value, code, spec) {
  if (code === PAST) return "";
  return isBlank(code) ? spec.padText : formatValue(value);
}

// Write what cell n at (r, c) shows: its place, its fill and its number (presentation attributes, not inline
// styles: Chrome restyles an SVG element far faster that way, and the CSS rules for padding and inserted zeros
// still win over them).
function writeCell(grid, cell, n, r, c, value, code, spec) {
  const size = spec.size;
  if (cell.pos !== n) {
    cell.pos = n;
    cell.g.setAttribute("data-i", String(n));
  }
  // a cell kept at its place (a kernel one tap larger keeps the others' rows and columns) is not moved again
  if (cell.x !== c * size || cell.y !== r * size) {
    cell.x = c * size;
    cell.y = r * size;
    cell.g.setAttribute("transform", `translate(${cell.x} ${cell.y})`);
  }
  const plain = isBlank(code) || !Number.isFinite(value);
  const look = plain ? PLAIN : lookOf(grid, value, spec.maxAbs);
  const fill = look.fill;
  if (cell.fill !== fill) {
    cell.fill = fill;
    cell.rect.setAttribute("fill", fill);
  }
  const text = cellText(value, code, spec);
  if (text && !cell.text) {
    cell.text = svgEl("text", { "text-anchor": "middle", "dominant-baseline": "central" });
    cell.g.append(cell.text);
  }
  if (cell.text) {
    const ink = look.ink;
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
  cell.base = CELL_CLASSES[code];
}

// spec: as Grid.draw takes it; {values, codes}: what its fill wrote; resized: the grid's rows, columns or cell
// size changed.
export function drawSvgCells(grid, spec, { values, codes }, resized) {
  const { rows, cols } = spec;
  if (resized) resize(grid, spec);
  const [top, left] = spec.origin ?? [0, 0];
  const count = rows * cols;
  const cells = new Array(count);
  const byKey = new Map();
  for (let n = 0; n < count; n++) {
    const r = Math.floor(n / cols);
    const c = n % cols;
    const key = (r - top + 128) * 1024 + (c - left + 128);
    const cell = grid.byKey.get(key) ?? makeCell(grid);
    byKey.set(key, cell);
    cells[n] = cell;
    writeCell(grid, cell, n, r, c, values[n], codes[n], spec);
  }
  for (const [key, cell] of grid.byKey) if (!byKey.has(key)) retire(grid, cell);
  grid.byKey = byKey;
  grid.cells = cells;
}

// Every SVG cell retired (the grid turned to canvas, or back), taken out of the document at once rather than
// one by one.
export function clearSvgCells(grid) {
  grid.cellLayer.replaceChildren();
  for (const cell of grid.byKey.values()) grid.spare.push(cell);
  grid.byKey = new Map();
}
