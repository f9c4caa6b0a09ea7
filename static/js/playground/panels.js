// The text panels: the current step's products and sum, and the layer's sizes, counts and PyTorch line.
import { t } from "../common/i18n.js";
import { windowInput } from "./geometry.js";
import { formatValue } from "./gridsvg.js";
import { usesCeil, usesSame } from "./state.js";

const $ = (id) => document.getElementById(id);

// Indices as "2–4" when consecutive (no dilation), else "1, 3, 5".
function indexList(indices) {
  const consecutive = indices.every((v, n) => n === 0 || v === indices[n - 1] + 1);
  return consecutive && indices.length > 1 ? `${indices[0]}–${indices.at(-1)}` : indices.join(", ");
}
const MAX_LISTED_TERMS = 12;

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// A product cell: "x × w" over "= product", then a tag (padding, the copied cell, past the edge) and "max";
// its record keeps what was last written, so a refill compares strings instead of reading the DOM.
function termCell() {
  const td = document.createElement("td");
  const spans = ["", "", "tag", "tag"].map((cls) => {
    const span = document.createElement("span");
    if (cls) span.className = cls;
    return span;
  });
  td.append(...spans);
  return { td, spans, texts: [null, null, null, null], cls: "" };
}

function show(cell, n, text) {
  if (cell.texts[n] === text) return;
  cell.texts[n] = text;
  cell.spans[n].textContent = text;
  cell.spans[n].hidden = text === "";
}

// What one tap says: its product, and for a padded tap a copy of which input cell or plain padding; past the
// padded input, nothing. `tags` holds the fixed tags, translated once per table.
function fillTerm(cell, term, winner, tags) {
  let cls = term.past ? "past" : term.source ? "copy" : term.pad ? "pad" : "";
  if (winner) cls = `${cls} winner`.trim();
  if (cell.cls !== cls) {
    cell.cls = cls;
    cell.td.className = cls;
  }
  let tag = "";
  if (term.past) tag = tags.past;
  else if (term.source) tag = t("step.copy", { r: term.source[0], c: term.source[1] });
  else if (term.pad) tag = tags.pad;
  const product = term.product === undefined || term.past ? "" : `= ${formatValue(term.product)}`;
  let factors = term.w === undefined ? formatValue(term.x) : `${formatValue(term.x)} × ${formatValue(term.w)}`;
  if (term.past) factors = "—";
  show(cell, 0, factors);
  show(cell, 1, product);
  show(cell, 2, tag);
  show(cell, 3, winner ? "max" : "");
}

// A table per input channel, kernel-shaped, with a record per cell in the order of the step's terms. The
// tables are kept from one window shape to the next (a change of kernel size adds or removes rows and cells at
// the edges) and refilled on every step, so playing the animation or moving a slider rewrites text instead of
// rebuilding a few hundred elements.
const builtTables = new WeakMap();

function resizeRow(tr, row, kw) {
  while (row.length > kw) row.pop().td.remove();
  while (row.length < kw) {
    const cell = termCell();
    tr.append(cell.td);
    row.push(cell);
  }
}

// `tables` is [{table, caption, grid: [[cell]]}], one per channel shown.
function reshapeTables(body, tables, count, kh, kw) {
  while (tables.length > count) tables.pop().table.remove();
  while (tables.length < count) {
    const table = document.createElement("table");
    table.className = "pg-products";
    const caption = table.appendChild(document.createElement("caption"));
    body.append(table);
    tables.push({ table, caption, grid: [] });
  }
  for (const { table, grid } of tables) {
    while (grid.length > kh) {
      grid.pop();
      table.deleteRow(-1);
    }
    grid.forEach((row, a) => resizeRow(table.rows[a], row, kw));
    while (grid.length < kh) {
      const row = [];
      resizeRow(table.insertRow(), row, kw);
      grid.push(row);
    }
  }
}

function productTables(body, info, kh, kw) {
  let built = builtTables.get(body);
  if (!built) {
    built = { shape: "", tables: [], cells: [] };
    builtTables.set(body, built);
  }
  const shape = `${info.channels.length}|${kh}×${kw}`;
  if (built.shape !== shape) {
    built.shape = shape;
    reshapeTables(body, built.tables, info.channels.length, kh, kw);
    built.cells = built.tables.flatMap(({ grid }) => grid.flat());
  }
  const winner = info.winner === undefined ? null : info.terms[info.winner];
  const tags = { past: t("step.past"), pad: t("step.pad") };
  built.tables.forEach(({ caption }, n) => setText(caption, t("grid.input_channel", { c: info.channels[n] })));
  built.cells.forEach((cell, n) => fillTerm(cell, info.terms[n], info.terms[n] === winner, tags));
}

// A ceil_mode window's taps past the padded input are left out of the max and of the average (sum and divisor).
function sumLine(info, layer) {
  const read = info.terms.filter((x) => !x.past);
  const n = read.length;
  if (layer.mode === "maxpool") return t("step.max", { count: n, y: formatValue(info.value) });
  if (layer.mode === "avgpool") {
    const sum = n <= MAX_LISTED_TERMS ? read.map((x) => formatValue(x.x)).join(" + ") : formatValue(info.sum);
    return t("step.avg", { sum, n: info.count, y: formatValue(info.value) });
  }
  const terms = info.terms.map((x) => formatValue(x.product)).join(" + ").replaceAll("+ −", "− ");
  let line =
    n <= MAX_LISTED_TERMS
      ? t("step.sum", { terms, sum: formatValue(info.sum) })
      : t("step.sum_many", { count: n, sum: formatValue(info.sum) });
  if (layer.bias) line += `; ${t("step.bias", { sum: formatValue(info.sum), b: formatValue(info.bias), y: formatValue(info.value) })}`;
  return line;
}

// One kernel-shaped table per output channel: x × w and where the product lands ("—" where it is cut off).
function scatterTables(info, layer) {
  const fragment = document.createDocumentFragment();
  const kh = layer.rows.kernel;
  const kw = layer.cols.kernel;
  const first = Math.floor(info.ic / layer.cinPerGroup) * layer.coutPerGroup;
  for (let oc = first; oc < first + layer.coutPerGroup; oc++) {
    const table = document.createElement("table");
    table.className = "pg-products";
    const caption = document.createElement("caption");
    caption.textContent = t("grid.output_channel", { c: oc });
    table.append(caption);
    for (let a = 0; a < kh; a++) {
      const tr = document.createElement("tr");
      for (let b = 0; b < kw; b++) {
        const td = document.createElement("td");
        const hit = info.targets.find((x) => x.oc === oc && x.a === a && x.b === b);
        const top = document.createElement("span");
        const bottom = document.createElement("span");
        if (hit) {
          top.textContent = `${formatValue(info.x)} × ${formatValue(hit.w)}`;
          bottom.textContent = `→ (${hit.oh}, ${hit.ow}) += ${formatValue(hit.product)}`;
        } else {
          td.className = "pad";
          top.textContent = "—";
        }
        td.append(top, bottom);
        tr.append(td);
      }
      table.append(tr);
    }
    fragment.append(table);
  }
  return fragment;
}

export function renderStep(scene) {
  const { info, layer } = scene;
  const anim = scene.anim.layer;
  setText($("pg-step-title"), t("step.title", { n: scene.step + 1, total: anim.steps }));
  const body = $("pg-step-body");
  if (scene.scatter) {
    builtTables.delete(body);
    body.replaceChildren();
    setText($("pg-step-where"), t("step.scatter", { c: info.ic, r: info.ih, col: info.iw }));
    setText($("pg-step-window"), "");
    body.append(scatterTables(info, layer));
    const total = layer.coutPerGroup * layer.rows.kernel * layer.cols.kernel;
    let line = t("step.scatter_line", { x: formatValue(info.x), count: info.targets.length });
    if (info.targets.length < total) line += `. ${t("step.dropped", { count: total - info.targets.length })}`;
    setText($("pg-step-sum"), line);
    return;
  }
  setText($("pg-step-where"), t("step.output", { c: info.oc, r: info.oh, col: info.ow }));
  const { rows, cols } = anim;
  const list = (axis, o) => indexList(windowInput(axis, o));
  const where = { rows: list(rows, info.oh), cols: list(cols, info.ow), h: rows.size - 1, w: cols.size - 1 };
  const past = info.terms.some((term) => term.past) ? ` ${t("step.window_past")}` : "";
  setText($("pg-step-window"), t("step.window", where) + past);
  productTables(body, info, anim.rows.kernel, anim.cols.kernel);
  setText($("pg-step-sum"), sumLine(info, anim));
}

export function renderServerCheck(status) {
  setText($("pg-step-server"), status);
}

function torchArgs(s, h, w) {
  return s[h] === s[w] ? String(s[h]) : `(${s[h]}, ${s[w]})`;
}

// The equivalent PyTorch module, torch's argument names and order.
function torchLine(s) {
  const k = torchArgs(s, "kh", "kw");
  const st = torchArgs(s, "sh", "sw");
  const p = usesSame(s) ? '"same"' : torchArgs(s, "ph", "pw");
  const d = torchArgs(s, "dh", "dw");
  const ceil = usesCeil(s) ? ", ceil_mode=True" : "";
  if (s.mode === "maxpool") return `nn.MaxPool2d(kernel_size=${k}, stride=${st}, padding=${p}, dilation=${d}${ceil})`;
  if (s.mode === "avgpool") return `nn.AvgPool2d(kernel_size=${k}, stride=${st}, padding=${p}${ceil})`;
  const bias = s.bias ? "" : ", bias=False";
  if (s.mode === "transposed") {
    const op = torchArgs(s, "oph", "opw");
    return `nn.ConvTranspose2d(${s.cin}, ${s.cout}, kernel_size=${k}, stride=${st}, padding=${p}, output_padding=${op}, groups=${s.groups}${bias}, dilation=${d})`;
  }
  const mode = s.pmode === "zeros" ? "" : `, padding_mode="${s.pmode}"`;
  return `nn.Conv2d(${s.cin}, ${s.cout}, kernel_size=${k}, stride=${st}, padding=${p}, dilation=${d}, groups=${s.groups}${bias}${mode})`;
}

export function renderInfo(s, layer) {
  setText($("pg-output-shape"), t("info.output", { c: layer.cout, h: layer.outH, w: layer.outW }));
  setText($("pg-torch"), torchLine(s));
}

export function renderFormulas(h, w) {
  setText($("pg-formula-h"), h.formula);
  setText($("pg-formula-w"), w.formula);
  const rows = h.unused_image;
  const cols = w.unused_image;
  setText($("pg-unread"), rows || cols ? t("info.unread", { rows, cols }) : t("info.unread_none"));
}

export function renderCounts(report) {
  const row = report.layers[0];
  const fmt = (n) => (typeof n === "number" ? n.toLocaleString("en-US").replaceAll(",", " ") : n);
  setText($("pg-params"), t("info.params", { n: fmt(row.params) }));
  setText($("pg-macs"), t("info.macs", { n: fmt(row.macs) }));
}

export function renderInfoError(message) {
  const el = $("pg-info-error");
  el.hidden = !message;
  setText(el, message ? t("error.generic", { message }) : "");
}
