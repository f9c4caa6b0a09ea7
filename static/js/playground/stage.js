// The grids: input channels (padded, or zero-inserted), the kernels in play, the output channels; the
// current window, the output being written, what a hovered cell feeds, and the unread rows.
import { t } from "../common/i18n.js";
import {
  drawnLength,
  feeds,
  isPadding,
  isPast,
  outputPaddingRows,
  scatterTargets,
  sourceIndex,
  unusedInput,
  windowPadded,
} from "./geometry.js";
import { COPY, INSERTED, LATER, OPPAD, OUTPUT, PAD, PAST, PLAIN, UNREAD } from "./cellcodes.js";
import { stepOfOutput } from "./compute.js";
import { Grid } from "./grid.js";

const at3 = (c, i, j, h, w) => (c * h + i) * w + j;
// The marks a grid outlines: the window, the cells a hovered cell feeds, the output being written, the max's
// winner, the hovered output's window.
const MARKS = ["win", "feeds", "cur", "winner", "hover"];

function syncGrids(list, host, count, options) {
  while (list.length < count) list.push(new Grid(host, options(list.length)));
  while (list.length > count) list.pop().remove();
  return list;
}

// The largest |value| of a flat array or typed array, read in place (maxAbsOf copies its argument through
// flat(), a millisecond per 4-channel 32×32 map), and kept per array: the page replaces an array on every edit
// and never changes one in place, so most re-renders find the input's and the cached output's maximum here.
const largest = new WeakMap();

function largestAbs(values) {
  let m = largest.get(values);
  if (m === undefined) {
    m = 0;
    for (let n = 0; n < values.length; n++) m = Math.max(m, Math.abs(values[n]));
    largest.set(values, m);
  }
  return m;
}

// What each drawn position along an axis holds: the input index it shows (after padding, −1 for a zero) and
// whether it is padding or past the padded input, worked out once per axis instead of once per cell.
const INSIDE = 0;
const PADDING = 1;
const BEYOND = 2;

function axisCells(axis, length) {
  const kind = new Uint8Array(length);
  const source = new Int32Array(length);
  for (let q = 0; q < length; q++) {
    const i = q - axis.padBefore;
    kind[q] = isPast(axis, i) ? BEYOND : isPadding(axis, i) ? PADDING : INSIDE;
    source[q] = sourceIndex(axis, i);
  }
  return { kind, source };
}

// An input channel's cells (Grid.draw's fill): a padded cell holds what torch's F.pad puts there, zero (−∞
// for max pooling: the grid's padText) or in reflect, replicate and circular padding the value of the input
// cell it copies; a ceil_mode window's overhang stays empty. Cells past `unread` (rows, cols) are unread.
function fillInput(out, codes, ch, x, inserted, { rowCells, colCells, size, unread }) {
  for (let r = 0, n = 0; r < rowCells.kind.length; r++) {
    const rowKind = rowCells.kind[r];
    const sr = rowCells.source[r];
    for (let c = 0; c < colCells.kind.length; c++, n++) {
      const colKind = colCells.kind[c];
      const sc = colCells.source[c];
      const flag = r >= unread[0] || c >= unread[1] ? UNREAD : 0;
      out[n] = 0;
      if (rowKind === BEYOND || colKind === BEYOND) codes[n] = PAST;
      else if (rowKind === PADDING || colKind === PADDING) {
        if (sr < 0 || sc < 0) codes[n] = PAD + flag;
        else {
          out[n] = x[at3(ch, sr, sc, size[0], size[1])];
          codes[n] = COPY + flag;
        }
      } else {
        const k = at3(ch, sr, sc, size[0], size[1]);
        out[n] = x[k];
        codes[n] = (inserted && inserted[k] ? INSERTED : PLAIN) + flag;
      }
    }
  }
}

// Cells shrink down to 6 px so that a 32×32 input fits a phone's width; projector mode (common/instructor.js)
// lets them grow larger.
function cellSize(available, cols, max = 44) {
  const top = document.documentElement.classList.contains("present") ? Math.round(max * 1.5) : max;
  return Math.max(6, Math.min(top, Math.floor(available / Math.max(1, cols))));
}

// The input axis as drawn: a transposed convolution's padding crops its output and never pads its input,
// so the scatter view draws the input bare (the zero-insertion view pads by d·(k − 1) − p instead).
function drawnAxis(axis, scatter) {
  return scatter ? { ...axis, padBefore: 0, padAfter: 0 } : axis;
}

// Boxes outlining a window on the padded grid: one box when taps touch, else one per tap (dilation).
function windowBoxes(rowTaps, colTaps, dilated, cls) {
  if (!dilated) return [{ r0: rowTaps[0], c0: colTaps[0], r1: rowTaps.at(-1), c1: colTaps.at(-1), cls }];
  const boxes = [];
  for (const r of rowTaps) for (const c of colTaps) boxes.push({ r0: r, c0: c, r1: r, c1: c, cls });
  return boxes;
}

export function createStage(hosts, handlers) {
  const inputs = [];
  const kernels = [];
  const biases = [];
  const outputs = [];
  let hover = null; // {grid: "input"|"output", channel, r, c}
  const biasHost = document.createElement("div");
  biasHost.className = "pg-grid-group";
  hosts.kernel.after(biasHost);

  const setHover = (value) => {
    hover = value;
    handlers.onHover();
  };
  const inputOptions = (channel) => ({
    kind: "input",
    onHover: (rc) => setHover(rc && { grid: "input", channel, r: rc[0], c: rc[1] }),
    onActivate: (r, c) => handlers.onEditInput(channel, r, c),
  });
  const kernelOptions = (n) => ({
    kind: "kernel",
    onActivate: (r, c) => handlers.onEditKernel(n, r, c),
  });
  const biasOptions = () => ({
    kind: "kernel",
    onActivate: () => handlers.onEditBias(),
  });
  const outputOptions = (channel) => ({
    kind: "output",
    onHover: (rc) => setHover(rc && { grid: "output", channel, r: rc[0], c: rc[1] }),
    onActivate: (r, c) => handlers.onPin(channel, r, c),
    initialCursor: () => handlers.currentOutputCell(channel),
  });

  function drawInputs(scene, available) {
    const { layer, values, inserted } = scene.anim;
    const rows = drawnAxis(layer.rows, scene.scatter);
    const cols = drawnAxis(layer.cols, scene.scatter);
    const grids = syncGrids(inputs, hosts.input, layer.cin, inputOptions);
    const maxAbs = largestAbs(values.x);
    const drawnRows = drawnLength(rows);
    const drawnCols = drawnLength(cols);
    const size = cellSize(available, drawnCols);
    const unread = [
      drawnRows - (scene.scatter ? 0 : unusedInput(rows)),
      drawnCols - (scene.scatter ? 0 : unusedInput(cols)),
    ];
    const padText = layer.mode === "maxpool" ? "−∞" : "0";
    const cells = { rowCells: axisCells(rows, drawnRows), colCells: axisCells(cols, drawnCols), size: [rows.size, cols.size], unread };
    // A kernel, dilation or step change mostly leaves the inputs as they are: then their cells are not visited.
    const key = [values.x, inserted, maxAbs, scene.scatter, ...unread, padText, rows.size, cols.size];
    key.push(rows.padBefore, cols.padBefore, ...[cells.rowCells, cells.colCells].map(({ kind, source }) => `${kind}|${source}`));
    grids.forEach((grid, ch) => {
      grid.draw({
        rows: drawnRows,
        cols: drawnCols,
        origin: [rows.padBefore, cols.padBefore],
        size,
        maxAbs,
        key,
        caption: t(scene.zeroView ? "grid.zeros_channel" : "grid.input_channel", { c: ch }),
        label: `${t("grid.aria_input", { c: ch, h: rows.size, w: cols.size, p: `${rows.padBefore}×${cols.padBefore}` })} ${t("grid.aria_input_keys")}`,
        padText,
        fill: (out, codes) => fillInput(out, codes, ch, values.x, inserted, cells),
      });
    });
    return size;
  }

  function drawKernels(scene) {
    const { layer, values } = scene.anim;
    if (layer.pool) {
      syncGrids(kernels, hosts.kernel, 0, kernelOptions);
      syncGrids(biases, biasHost, 0, biasOptions);
      return;
    }
    const kh = layer.rows.kernel;
    const kw = layer.cols.kernel;
    const pairs = scene.kernelPairs;
    const grids = syncGrids(kernels, hosts.kernel, pairs.length, kernelOptions);
    const maxAbs = largestAbs(values.wt);
    const size = kw > 5 ? 30 : 38;
    // what a pair's index(a, b) reads, besides its o and c
    const mapping = [values.wt, maxAbs, scene.scatter, scene.zeroView, layer.flip, layer.cinPerGroup, layer.coutPerGroup];
    grids.forEach((grid, n) => {
      const { o, c, index } = pairs[n];
      const captionKey = scene.scatter ? "grid.kernel_t" : layer.flip || scene.zeroView ? "grid.kernel_flipped" : "grid.kernel";
      grid.draw({
        rows: kh,
        cols: kw,
        size,
        maxAbs,
        key: [...mapping, o, c],
        caption: t(captionKey, { o, c }),
        label: t("grid.aria_kernel", { kh, kw }),
        fill: (out, codes) => {
          for (let a = 0, n = 0; a < kh; a++) {
            for (let b = 0; b < kw; b++, n++) {
              out[n] = values.wt[index(a, b)];
              codes[n] = PLAIN;
            }
          }
        },
      });
    });
    // The bias of the output channel being written (in the scatter view: of each channel the kernels feed).
    const bias = syncGrids(biases, biasHost, layer.bias ? 1 : 0, biasOptions);
    if (bias.length) {
      const o = scene.biasChannel;
      bias[0].draw({
        rows: 1,
        cols: 1,
        size,
        maxAbs: largestAbs(values.b),
        key: [values.b, o],
        caption: t("grid.bias", { o }),
        label: t("grid.aria_bias", { o }),
        fill: (out, codes) => {
          out[0] = values.b[o];
          codes[0] = PLAIN;
        },
      });
    }
  }

  function drawOutputs(scene, width) {
    const { layer } = scene;
    const grids = syncGrids(outputs, hosts.output, layer.cout, outputOptions);
    const maxAbs = largestAbs(scene.output);
    const size = cellSize(width, layer.outW);
    const opRows = new Set(layer.transposed ? outputPaddingRows(layer.rows) : []);
    const opCols = new Set(layer.transposed ? outputPaddingRows(layer.cols) : []);
    const anyOppad = opRows.size + opCols.size > 0;
    const { output } = scene;
    const { outH, outW } = layer;
    const perChannel = outH * outW;
    const key = [scene.output, maxAbs, scene.scatter, layer.transposed, layer.rows.size, layer.cols.size];
    grids.forEach((grid, ch) => {
      // which of the channel's cells are computed: all, none, or those up to the step
      const first = ch * perChannel;
      const computed = scene.scatter ? perChannel : Math.max(-1, Math.min(perChannel, scene.step - first));
      grid.draw({
        rows: layer.outH,
        cols: layer.outW,
        size,
        maxAbs,
        key: [...key, computed],
        caption: t("grid.output_channel", { c: ch }),
        label: t("grid.aria_output", { c: ch, h: layer.outH, w: layer.outW }),
        // cell n of the channel is computed when n ≤ computed (the step's own order, compute.stepOfOutput)
        fill: (out, codes) => {
          for (let n = 0; n < perChannel; n++) {
            out[n] = output[first + n];
            codes[n] = OUTPUT + (n > computed ? LATER : 0);
          }
          if (!anyOppad) return;
          for (let r = 0; r < outH; r++) {
            for (let c = 0; c < outW; c++) if (opRows.has(r) || opCols.has(c)) codes[r * outW + c] += OPPAD;
          }
        },
      });
    });
    return size;
  }

  // Marks and boxes for the current step and the hovered cell. Each grid's marks are worked out first and set
  // once, so a grid whose marks stay as they were is not repainted (a canvas grid repaints its marks layer, and
  // the frame uploads it again, whenever a mark changes, even back to what it was).
  function drawMarks(scene) {
    const { layer: anim } = scene.anim;
    const info = scene.info;
    const marks = new Map([...inputs, ...outputs].map((g) => [g, {}]));
    const put = (grid, name, cells) => {
      if (grid) marks.get(grid)[name] = cells;
    };
    const inputBoxes = inputs.map(() => []);
    const outputBoxes = outputs.map(() => []);
    if (scene.scatter) {
      const cell = [info.ih, info.iw];
      put(inputs[info.ic], "win", [cell]);
      inputBoxes[info.ic]?.push({ r0: info.ih, c0: info.iw, r1: info.ih, c1: info.iw, cls: "box-win" });
      for (let ch = 0; ch < outputs.length; ch++) {
        const hits = info.targets.filter((x) => x.oc === ch).map((x) => [x.oh, x.ow]);
        put(outputs[ch], "win", hits);
        if (hits.length) outputBoxes[ch].push(...hits.map(([r, c]) => ({ r0: r, c0: c, r1: r, c1: c, cls: "box-cur" })));
      }
    } else {
      const rowTaps = windowPadded(anim.rows, info.oh);
      const colTaps = windowPadded(anim.cols, info.ow);
      const cells = rowTaps.flatMap((r) => colTaps.map((c) => [r, c]));
      const dilated = anim.rows.dilation > 1 || anim.cols.dilation > 1;
      for (const ch of info.channels) {
        put(inputs[ch], "win", cells);
        inputBoxes[ch]?.push(...windowBoxes(rowTaps, colTaps, dilated, "box-win"));
      }
      if (info.winner !== undefined) {
        const w = info.terms[info.winner];
        put(inputs[w.c], "winner", [[w.ih + anim.rows.padBefore, w.iw + anim.cols.padBefore]]);
      }
      put(outputs[info.oc], "cur", [[info.oh, info.ow]]);
      outputBoxes[info.oc]?.push({ r0: info.oh, c0: info.ow, r1: info.oh, c1: info.ow, cls: "box-cur" });
    }
    drawHover(scene, put);
    for (const [grid, names] of marks) for (const name of MARKS) grid.mark(name, names[name] ?? []);
    inputs.forEach((g, n) => g.boxes(inputBoxes[n]));
    outputs.forEach((g, n) => g.boxes(outputBoxes[n]));
    for (const g of [...inputs, ...outputs]) g.flush();
  }

  // put(grid, name, cells): the marks of the hovered cell.
  function drawHover(scene, put) {
    if (!hover) return;
    const { layer: anim } = scene.anim;
    const group = (ch, per) => Math.floor(ch / per);
    if (hover.grid === "input") {
      const ih = hover.r - drawnAxis(anim.rows, scene.scatter).padBefore;
      const iw = hover.c - drawnAxis(anim.cols, scene.scatter).padBefore;
      const g = group(hover.channel, anim.cinPerGroup);
      const hitsR = scene.scatter ? scatterTargets(anim.rows, ih) : feeds(anim.rows, ih);
      const hitsC = scene.scatter ? scatterTargets(anim.cols, iw) : feeds(anim.cols, iw);
      const cells = hitsR.flatMap((h) => hitsC.map((w) => [h.out, w.out]));
      outputs.forEach((grid, ch) => {
        if (group(ch, anim.coutPerGroup) === g || anim.pool) put(grid, "feeds", anim.pool && ch !== hover.channel ? [] : cells);
      });
      return;
    }
    if (scene.scatter) {
      const g = group(hover.channel, scene.layer.coutPerGroup);
      const sources = [];
      for (let ih = 0; ih < anim.rows.size; ih++) {
        if (!scatterTargets(anim.rows, ih).some((h) => h.out === hover.r)) continue;
        for (let iw = 0; iw < anim.cols.size; iw++) {
          if (scatterTargets(anim.cols, iw).some((w) => w.out === hover.c)) sources.push([ih, iw]);
        }
      }
      inputs.forEach((grid, ch) => group(ch, anim.cinPerGroup) === g && put(grid, "feeds", sources));
      return;
    }
    const info = handlers.stepInfoAt(stepOfOutput(anim, hover.channel, hover.r, hover.c));
    const cells = windowPadded(anim.rows, info.oh).flatMap((r) => windowPadded(anim.cols, info.ow).map((c) => [r, c]));
    for (const ch of info.channels) put(inputs[ch], "hover", cells);
    put(outputs[hover.channel], "feeds", [[hover.r, hover.c]]);
  }

  // The width comes from a ResizeObserver, so rendering never reads layout (a forced reflow of the whole page).
  let width = hosts.input.parentElement.clientWidth;
  new ResizeObserver((entries) => {
    const next = Math.round(entries[0].contentRect.width);
    if (next !== width) {
      width = next;
      handlers.onResize();
    }
  }).observe(hosts.input.parentElement);

  return {
    render(scene) {
      const wide = width > 900;
      const inputWidth = wide ? width * 0.5 : width - 8;
      drawInputs(scene, inputWidth);
      drawKernels(scene);
      drawOutputs(scene, wide ? width * 0.3 : width - 8);
      drawMarks(scene);
    },
    marks(scene) {
      drawMarks(scene);
    },
    get hover() {
      return hover;
    },
    inputGrid: (n) => inputs[n],
    kernelGrid: (n) => kernels[n],
    biasGrid: () => biases[0],
    get width() {
      return width;
    },
    outputGrid: (n) => outputs[n],
  };
}
