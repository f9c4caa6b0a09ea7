// The matrix view on canvas: the convolution as y = M·x (the lecture's sparse matrix), its transpose for
// transposed convolution, and the im2col patch matrix; the current step's row (or column) is outlined.
import { t } from "../common/i18n.js";
import { divergingColor, maxAbsOf, textColorOn } from "../common/colorscale.js";
import { convMatrixReads, im2colIndices, transposeMatrixTaps, windowCount } from "./geometry.js";
import { formatValue } from "./gridsvg.js";

const MAX_MATRIX_SIDE = 400;
const $ = (id) => document.getElementById(id);

function push(map, key, x, y) {
  const list = map.get(key);
  if (list) list.push(x, y);
  else map.set(key, [x, y]);
}

// The cells sorted by what they look like: positions [x, y, …] of the padding reads, of the empty entries and
// of each distinct value (a layer has a few dozen), so each look is set once and drawn as one path.
function sortCells(spec, size) {
  const pads = [];
  const empties = [];
  const byValue = new Map();
  for (let r = 0; r < spec.rows; r++) {
    for (let c = 0; c < spec.cols; c++) {
      const v = spec.value(r, c);
      if (v === "pad") pads.push(c * size, r * size);
      else if (v === null) empties.push(c * size, r * size);
      else push(byValue, v, c * size, r * size);
    }
  }
  return { pads, empties, byValue };
}

// spec: {rows, cols, value(r, c) → number | null | "pad", maxAbs}; the cells are painted once per layer into
// an off-screen canvas, and each step only copies it and outlines the current row or column. Setting a fill
// style parses a colour, so it is set once per distinct value, not once per cell (a matrix has up to 400 rows).
function paintCells(spec, size) {
  const ratio = globalThis.devicePixelRatio || 1;
  const bitmap = document.createElement("canvas");
  bitmap.width = spec.cols * size * ratio;
  bitmap.height = spec.rows * size * ratio;
  const ctx = bitmap.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, spec.cols * size, spec.rows * size);
  const { pads, empties, byValue } = sortCells(spec, size);
  ctx.beginPath();
  for (let n = 0; n < pads.length; n += 2) {
    ctx.moveTo(pads[n], pads[n + 1] + size);
    ctx.lineTo(pads[n] + size, pads[n + 1]);
  }
  ctx.strokeStyle = "#9aa3ad";
  ctx.stroke();
  if (size >= 8) {
    ctx.beginPath();
    for (let n = 0; n < empties.length; n += 2) ctx.rect(empties[n] + 0.5, empties[n + 1] + 0.5, size - 1, size - 1);
    ctx.strokeStyle = "#eef0f3";
    ctx.stroke();
  }
  const side = size - (size >= 4 ? 1 : 0);
  for (const [v, cells] of byValue) {
    ctx.beginPath();
    for (let n = 0; n < cells.length; n += 2) ctx.rect(cells[n], cells[n + 1], side, side);
    ctx.fillStyle = divergingColor(v, spec.maxAbs);
    ctx.fill();
  }
  if (size >= 22) {
    ctx.font = `${Math.round(size * 0.36)}px ui-monospace, monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const [v, cells] of byValue) {
      const text = formatValue(v);
      ctx.fillStyle = textColorOn(v, spec.maxAbs);
      for (let n = 0; n < cells.length; n += 2) ctx.fillText(text, cells[n] + size / 2, cells[n + 1] + size / 2);
    }
  }
  return bitmap;
}

const painted = new WeakMap();

function drawCanvas(canvas, spec, available, source, highlight) {
  const width = Math.max(160, available - 40);
  // Tall matrices (transposed, many outputs) shrink too, so the highlighted row stays in view.
  const size = Math.max(1, Math.min(28, Math.floor(width / spec.cols), Math.max(6, Math.floor(900 / spec.rows))));
  let cached = painted.get(canvas);
  if (!cached || cached.source !== source || cached.size !== size) {
    cached = { source, size, bitmap: paintCells(spec, size) };
    painted.set(canvas, cached);
  }
  const ratio = globalThis.devicePixelRatio || 1;
  if (canvas.width !== cached.bitmap.width || canvas.height !== cached.bitmap.height) {
    canvas.width = cached.bitmap.width;
    canvas.height = cached.bitmap.height;
    canvas.style.width = `${spec.cols * size}px`;
    canvas.style.height = `${spec.rows * size}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(cached.bitmap, 0, 0);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.strokeStyle = "#111";
  ctx.lineWidth = 2;
  if (highlight.row !== undefined) ctx.strokeRect(1, highlight.row * size + 1, spec.cols * size - 2, size - 2);
  if (highlight.col !== undefined) ctx.strokeRect(highlight.col * size + 1, 1, size - 2, spec.rows * size - 2);
}

// Setting a canvas's width clears and reallocates it even when the width is unchanged: done once.
function hide(canvas) {
  if (canvas.width === 0 && canvas.height === 0) return;
  canvas.width = 0;
  canvas.height = 0;
  canvas.style.width = "0";
  canvas.style.height = "0";
}

// Weight of transposed block (output channel o, input channel c) at flat tap `tap`, or null outside the group.
function transposedWeight(layer, values, o, c, tap) {
  const kk = layer.rows.kernel * layer.cols.kernel;
  const g = Math.floor(c / layer.cinPerGroup);
  if (Math.floor(o / layer.coutPerGroup) !== g) return null;
  return values.wt[(c * layer.coutPerGroup + (o - g * layer.coutPerGroup)) * kk + tap];
}

// Mᵀ of a transposed convolution (zero padding only: ConvTranspose2d has no other).
function transposedEntries(layer, values, perOut, perIn) {
  const taps = transposeMatrixTaps(layer.rows, layer.cols);
  return (r, c) => {
    const tap = taps[r % perOut][c % perIn];
    return tap ? transposedWeight(layer, values, Math.floor(r / perOut), Math.floor(c / perIn), tap - 1) : null;
  };
}

// M of a convolution or average pooling, dense: every tap adds its weight (1/divisor for avg pooling) to the
// column of the input cell its padded cell holds, so reflect, replicate and circular padding fold back onto
// the input's edge cells and several taps may add up in one entry. null where no tap reads the cell.
function forwardEntries(layer, values, perOut, perIn) {
  const reads = convMatrixReads(layer.rows, layer.cols, layer.flip);
  const width = layer.cin * perIn;
  const entries = new Float64Array(layer.cout * perOut * width);
  const read = new Uint8Array(entries.length);
  const kk = layer.rows.kernel * layer.cols.kernel;
  for (let o = 0; o < layer.cout; o++) {
    const group = Math.floor(o / layer.coutPerGroup);
    const channels = layer.pool ? [o] : Array.from({ length: layer.cinPerGroup }, (_, n) => group * layer.cinPerGroup + n);
    for (let pos = 0; pos < perOut; pos++) {
      const share = layer.pool ? 1 / windowCount(layer.rows, layer.cols, Math.floor(pos / layer.outW), pos % layer.outW) : 0;
      channels.forEach((c, local) => {
        const first = (o * perOut + pos) * width + c * perIn;
        const kernel = (o * layer.cinPerGroup + local) * kk;
        for (const [column, tap] of reads[pos]) {
          entries[first + column] += layer.pool ? share : values.wt[kernel + tap];
          read[first + column] = 1;
        }
      });
    }
  }
  let nz = 0;
  let maxAbs = 0;
  for (let n = 0; n < entries.length; n++) {
    if (read[n] && entries[n] !== 0) {
      nz++;
      maxAbs = Math.max(maxAbs, Math.abs(entries[n]));
    }
  }
  return { value: (r, c) => (read[r * width + c] ? entries[r * width + c] : null), nz, maxAbs };
}

// The count and largest |value| of the entries that are not zero, read entry by entry.
function scanned(rows, cols, value) {
  let nz = 0;
  let maxAbs = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = value(r, c);
      if (v !== null && v !== 0) {
        nz++;
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
    }
  }
  return { value, nz, maxAbs };
}

// M (or Mᵀ) of the current layer and its caption; nz counts the entries that are not zero, which is fewer
// than the kernel positions when some weights are zero (an all-zero kernel gives an all-zero matrix).
export function linearMatrix(scene) {
  const { layer, values } = scene.layer.transposed ? { layer: scene.layer, values: scene.values } : scene.anim;
  const transposed = layer.transposed;
  const perOut = layer.outH * layer.outW;
  const perIn = layer.rows.size * layer.cols.size;
  const rows = layer.cout * perOut;
  const cols = layer.cin * perIn;
  const { value, nz, maxAbs } = transposed
    ? scanned(rows, cols, transposedEntries(layer, values, perOut, perIn))
    : forwardEntries(layer, values, perOut, perIn);
  // Entries that add up (several taps on one edge cell) may exceed the largest weight: the scale covers them.
  const spec = { rows, cols, value, maxAbs };
  const key = transposed ? "matrix.transposed" : "matrix.conv";
  return { spec, caption: { key, vars: { r: rows, c: cols, nz, total: rows * cols } } };
}

function im2colMatrix(scene) {
  const { layer, values } = scene.anim;
  const patches = im2colIndices(layer.rows, layer.cols);
  const channels = scene.info.channels;
  const perIn = layer.rows.size * layer.cols.size;
  const kk = layer.rows.kernel * layer.cols.kernel;
  const spec = {
    rows: patches.length,
    cols: channels.length * kk,
    value: (r, c) => {
      const n = patches[r][c % kk];
      return n < 0 ? "pad" : values.x[channels[Math.floor(c / kk)] * perIn + n];
    },
    maxAbs: maxAbsOf(values.x),
  };
  return { spec, caption: { key: "matrix.im2col", vars: { r: spec.rows, c: spec.cols } } };
}

// Matrices depend on the layer and its values only (scene.anim changes exactly then), not on the step.
const built = new Map();

function cachedMatrix(kind, scene, make) {
  const hit = built.get(kind);
  const source = scene.anim;
  const key = `${kind}|${scene.info.channels?.join() ?? ""}`;
  if (hit && hit.source === source && hit.key === key) return hit;
  const fresh = { source, key, ...make(scene) };
  built.set(kind, fresh);
  return fresh;
}

export function renderMatrix(scene, available) {
  const panel = $("pg-matrix-panel");
  panel.hidden = !scene.state.matrix;
  if (panel.hidden) return;
  const main = $("pg-matrix-canvas");
  const side = $("pg-im2col-canvas");
  const tooBig = t("matrix.too_big", { max: MAX_MATRIX_SIDE });
  const anim = scene.anim.layer;
  const linearRows = scene.layer.cout * scene.layer.outH * scene.layer.outW;
  const linearCols = scene.layer.cin * scene.layer.rows.size * scene.layer.cols.size;
  if (scene.layer.mode === "maxpool") {
    $("pg-matrix-caption").textContent = t("matrix.pool");
    hide(main);
  } else if (Math.max(linearRows, linearCols) > MAX_MATRIX_SIDE) {
    $("pg-matrix-caption").textContent = tooBig;
    hide(main);
  } else {
    const m = cachedMatrix("linear", scene, linearMatrix);
    $("pg-matrix-caption").textContent = t(m.caption.key, m.caption.vars);
    const highlight = {};
    if (scene.scatter) highlight.col = (scene.info.ic * scene.layer.rows.size + scene.info.ih) * scene.layer.cols.size + scene.info.iw;
    else highlight.row = scene.step;
    drawCanvas(main, m.spec, available, m, highlight);
  }
  if (scene.scatter) {
    $("pg-im2col-caption").textContent = "";
    hide(side);
  } else if (anim.outH * anim.outW > MAX_MATRIX_SIDE) {
    $("pg-im2col-caption").textContent = tooBig;
    hide(side);
  } else {
    const m = cachedMatrix("im2col", scene, im2colMatrix);
    $("pg-im2col-caption").textContent = t(m.caption.key, m.caption.vars);
    drawCanvas(side, m.spec, available, m, { row: scene.info.oh * anim.outW + scene.info.ow });
  }
}
