// The matrix view on canvas: the convolution as y = M·x (the lecture's sparse matrix), its transpose for
// transposed convolution, and the im2col patch matrix; the current step's row (or column) is outlined.
import { t } from "../common/i18n.js";
import { divergingColor, maxAbsOf } from "../common/colorscale.js";
import { convMatrixTaps, im2colIndices, transposeMatrixTaps } from "./geometry.js";
import { formatValue } from "./grid.js";

export const MAX_MATRIX_SIDE = 400;
const $ = (id) => document.getElementById(id);

// spec: {rows, cols, value(r, c) → number | null | "pad", row, col, maxAbs}
function drawCanvas(canvas, spec) {
  const width = Math.max(160, canvas.parentElement.clientWidth - 4);
  // Tall matrices (transposed, many outputs) shrink too, so the highlighted row stays in view.
  const size = Math.max(1, Math.min(28, Math.floor(width / spec.cols), Math.max(6, Math.floor(900 / spec.rows))));
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = spec.cols * size * ratio;
  canvas.height = spec.rows * size * ratio;
  canvas.style.width = `${spec.cols * size}px`;
  canvas.style.height = `${spec.rows * size}px`;
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, spec.cols * size, spec.rows * size);
  ctx.font = `${Math.round(size * 0.36)}px ui-monospace, monospace`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let r = 0; r < spec.rows; r++) {
    for (let c = 0; c < spec.cols; c++) {
      const v = spec.value(r, c);
      const x = c * size;
      const y = r * size;
      if (v === "pad") {
        ctx.strokeStyle = "#9aa3ad";
        ctx.beginPath();
        ctx.moveTo(x, y + size);
        ctx.lineTo(x + size, y);
        ctx.stroke();
        continue;
      }
      if (v === null) {
        if (size >= 8) {
          ctx.strokeStyle = "#eef0f3";
          ctx.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
        }
        continue;
      }
      ctx.fillStyle = divergingColor(v, spec.maxAbs);
      ctx.fillRect(x, y, size - (size >= 4 ? 1 : 0), size - (size >= 4 ? 1 : 0));
      if (size >= 22) {
        ctx.fillStyle = "#111";
        ctx.fillText(formatValue(v), x + size / 2, y + size / 2);
      }
    }
  }
  ctx.strokeStyle = "#111";
  ctx.lineWidth = 2;
  if (spec.row !== undefined) ctx.strokeRect(1, spec.row * size + 1, spec.cols * size - 2, size - 2);
  if (spec.col !== undefined) ctx.strokeRect(spec.col * size + 1, 1, size - 2, spec.rows * size - 2);
}

function hide(canvas) {
  canvas.width = 0;
  canvas.height = 0;
  canvas.style.width = "0";
  canvas.style.height = "0";
}

// Weight of block (output channel o, input channel c) at flat tap `tap`, or null outside the group.
function weightAt(layer, values, o, c, tap, transposed) {
  if (layer.pool) return Math.floor(o) === c ? 1 / (layer.rows.kernel * layer.cols.kernel) : null;
  const kk = layer.rows.kernel * layer.cols.kernel;
  if (transposed) {
    const g = Math.floor(c / layer.cinPerGroup);
    if (Math.floor(o / layer.coutPerGroup) !== g) return null;
    return values.wt[(c * layer.coutPerGroup + (o - g * layer.coutPerGroup)) * kk + tap];
  }
  const g = Math.floor(o / layer.coutPerGroup);
  if (Math.floor(c / layer.cinPerGroup) !== g) return null;
  return values.wt[(o * layer.cinPerGroup + (c - g * layer.cinPerGroup)) * kk + tap];
}

function linearMatrix(scene) {
  const { layer, values } = scene.layer.transposed ? { layer: scene.layer, values: scene.values } : scene.anim;
  const transposed = layer.transposed;
  const taps = transposed ? transposeMatrixTaps(layer.rows, layer.cols) : convMatrixTaps(layer.rows, layer.cols, layer.flip);
  const perOut = layer.outH * layer.outW;
  const perIn = layer.rows.size * layer.cols.size;
  const rows = layer.cout * perOut;
  const cols = layer.cin * perIn;
  let nz = 0;
  const value = (r, c) => {
    const tap = taps[r % perOut][c % perIn];
    if (!tap) return null;
    return weightAt(layer, values, Math.floor(r / perOut), Math.floor(c / perIn), tap - 1, transposed);
  };
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (value(r, c) !== null) nz++;
  const spec = { rows, cols, value, maxAbs: layer.pool ? 1 : maxAbsOf(values.wt) };
  if (scene.scatter) spec.col = (scene.info.ic * layer.rows.size + scene.info.ih) * layer.cols.size + scene.info.iw;
  else spec.row = scene.step;
  const key = transposed ? "matrix.transposed" : "matrix.conv";
  return { spec, caption: t(key, { r: rows, c: cols, nz, total: rows * cols }) };
}

function im2colMatrix(scene) {
  const { layer, values } = scene.anim;
  const patches = im2colIndices(layer.rows, layer.cols);
  const info = scene.info;
  const perIn = layer.rows.size * layer.cols.size;
  const kk = layer.rows.kernel * layer.cols.kernel;
  const channels = info.channels;
  const spec = {
    rows: patches.length,
    cols: channels.length * kk,
    value: (r, c) => {
      const n = patches[r][c % kk];
      return n < 0 ? "pad" : values.x[channels[Math.floor(c / kk)] * perIn + n];
    },
    row: info.oh * layer.outW + info.ow,
    maxAbs: maxAbsOf(values.x),
  };
  return { spec, caption: t("matrix.im2col", { r: spec.rows, c: spec.cols }) };
}

export function renderMatrix(scene) {
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
    const m = linearMatrix(scene);
    $("pg-matrix-caption").textContent = m.caption;
    drawCanvas(main, m.spec);
  }
  if (scene.scatter) {
    $("pg-im2col-caption").textContent = "";
    hide(side);
  } else if (anim.outH * anim.outW > MAX_MATRIX_SIDE) {
    $("pg-im2col-caption").textContent = tooBig;
    hide(side);
  } else {
    const m = im2colMatrix(scene);
    $("pg-im2col-caption").textContent = m.caption;
    drawCanvas(side, m.spec);
  }
}
