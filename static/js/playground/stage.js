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
const PAST = 2;
// An output cell's classes: not computed yet (later), output_padding (oppad), as [later][oppad].
const OUTPUT_CLASSES = ["", " oppad", "later", "later oppad"];

function axisCells(axis, length) {
  const kind = new Uint8Array(length);
  const source = new Int32Array(length);
  for (let q = 0; q < length; q++) {
    const i = q - axis.padBefore;
    kind[q] = isPast(axis, i) ? PAST : isPadding(axis, i) ? PADDING : INSIDE;
    source[q] = sourceIndex(axis, i);
  }
  return { kind, source };
}

// The record Grid.draw reads each cell from, refilled for every cell (it is read at once, never kept): an
// object per cell, 8,700 for a 4-channel 32×32 layer, kept the garbage collector busy during re-renders.
function cellRecord() {
  const record = { value: 0, pad: false, text: undefined, cls: "" };
  return (value, cls, pad = false, text = undefined) => {
    record.value = value;
    record.cls = cls;
    record.pad = pad;
    record.text = text;
    return record;
  };
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

  // A padded cell shows what torch's F.pad puts there: 0 (−∞ for max pooling), or in reflect, replicate and
  // circular padding the value of the input cell it copies; a ceil_mode window's overhang stays empty.
  function drawInputs(scene, available) {
    const { layer, values, inserted } = scene.anim;
    const rows = drawnAxis(layer.rows, scene.scatter);
    const cols = drawnAxis(layer.cols, scene.scatter);
    const grids = syncGrids(inputs, hosts.input, layer.cin, inputOptions);
    const maxAbs = largestAbs(values.x);
    const drawnRows = drawnLength(rows);
    const drawnCols = drawnLength(cols);
    const size = cellSize(available, drawnCols);
    const unreadRows = drawnRows - (scene.scatter ? 0 : unusedInput(rows));
    const unreadCols = drawnCols - (scene.scatter ? 0 : unusedInput(cols));
    const zeroText = layer.mode === "maxpool" ? "−∞" : "0";
    const rowCells = axisCells(rows, drawnRows);
    const colCells = axisCells(cols, drawnCols);
    const record = cellRecord();
    // A kernel, dilation or step change mostly leaves the inputs as they are: then their cells are not visited.
    const key = [values.x, inserted, maxAbs, scene.scatter, unreadRows, unreadCols, zeroText, rows.size, cols.size];
    key.push(rows.padBefore, cols.padBefore, ...[rowCells, colCells].map(({ kind, source }) => `${kind}|${source}`));
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
        cell: (r, c) => {
          const unread = !scene.scatter && (r >= unreadRows || c >= unreadCols);
          const rowKind = rowCells.kind[r];
          const colKind = colCells.kind[c];
          if (rowKind === PAST || colKind === PAST) return record(0, "past", true, "");
          const sr = rowCells.source[r];
          const sc = colCells.source[c];
          if (rowKind === PADDING || colKind === PADDING) {
            if (sr < 0 || sc < 0) return record(0, unread ? "pad unread" : "pad", true, zeroText);
            return record(values.x[at3(ch, sr, sc, rows.size, cols.size)], unread ? "copy unread" : "copy");
          }
          const n = at3(ch, sr, sc, rows.size, cols.size);
          if (inserted && inserted[n]) return record(values.x[n], unread ? "ins unread" : "ins");
          return record(values.x[n], unread ? " unread" : "");
        },
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
        cell: (a, b) => ({ value: values.wt[index(a, b)] }),
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
        cell: () => ({ value: values.b[o] }),
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
    const { outW } = layer;
    const record = cellRecord();
    const perChannel = layer.outH * outW;
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
        cell: (r, c) => {
          const n = r * outW + c;
          const oppad = anyOppad && (opRows.has(r) || opCols.has(c));
          return record(output[first + n], OUTPUT_CLASSES[Number(n > computed) * 2 + Number(oppad)]);
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
