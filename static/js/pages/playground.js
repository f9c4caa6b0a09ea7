// The convolution playground: one state object, pure draw functions, one requestAnimationFrame loop.
import "../playground/strings.js";
import { getLang, t } from "../common/i18n.js";
import { initShell } from "../common/shell.js";
import { createLoop } from "../common/loop.js";
import { pageLimits } from "../common/limits.js";
import { buildControls } from "../playground/controls.js";
import { renderMatrix } from "../playground/matrix.js";
import { clamp, linkedRange, ranges, repair } from "../playground/ranges.js";
import { createScene } from "../playground/scene.js";
import { createServerView } from "../playground/serverview.js";
import { createStage } from "../playground/stage.js";
import { renderInfo, renderStep } from "../playground/panels.js";
import {
  AXIS_PAIRS,
  defaultBias,
  defaultInput,
  defaultWeights,
  inputShape,
  readPlaygroundState,
  resize,
  serializePlaygroundState,
  deriveLayerAxes,
  weightShape,
} from "../playground/state.js";

const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];
// The URL keeps four decimals (common/urlstate.js), so values are stored that way and a reload is exact.
const exact = (v) => Math.round(v * 1e4) / 1e4;
// Changing these keys keeps the layer and its output; anything else recomputes them.
const VIEW_ONLY = new Set(["step", "speed", "matrix"]);
const $ = (id) => document.getElementById(id);
// The template's radio buttons, looked up once rather than queried on every render.
const MODE_RADIOS = [...document.querySelectorAll('input[name="mode"]')];
const VIEW_RADIOS = [...document.querySelectorAll('input[name="view"]')];

initShell();
const LIMITS = pageLimits();
const state = repair(readPlaygroundState(location.search, LIMITS), LIMITS);
const scenes = createScene();
let scene = null;
let urlTimer = 0;
let measures = 0;

const loop = createLoop({ render, advance });
const server = createServerView(LIMITS);
const controls = buildControls($("pg-sliders"), (key, value) => setParam(key, value));
const stage = createStage(
  { input: $("pg-input"), kernel: $("pg-kernel"), output: $("pg-output") },
  {
    onHover: () => scene && stage.marks(scene),
    onEditInput: editInput,
    onEditKernel: editKernel,
    onEditBias: editBias,
    onResize: () => loop.schedule(),
    onPin: pin,
    currentOutputCell: (channel) => (scene && !scene.scatter && scene.info.oc === channel ? [scene.info.oh, scene.info.ow] : [0, 0]),
    stepInfoAt: (step) => scenes.stepInfo(scene, step),
  },
);

// Shapes of the value arrays follow the layer; values that still have a place are kept.
function reshapeValues(before) {
  state.x = resize(state.x, inputShape(before), inputShape(state), () => defaultInput(state));
  state.wt = resize(state.wt, weightShape(before), weightShape(state), () => defaultWeights(state));
  state.b = resize(state.b, [before.cout], [state.cout], () => defaultBias(state));
}

function update(patch) {
  const before = { ...state };
  Object.assign(state, patch);
  const layerChanged = Object.keys(patch).some((key) => !VIEW_ONLY.has(key));
  if (layerChanged) {
    repair(state, LIMITS);
    reshapeValues(before);
    scenes.invalidate();
  }
  loop.schedule();
}

// Linked axes move together within the range both allow.
function setParam(key, value) {
  const all = ranges(state, LIMITS);
  const pair = AXIS_PAIRS.find(([h]) => h === key);
  const linked = pair && !state.axes;
  const v = clamp(Math.round(value), linked ? linkedRange(all, ...pair) : all[key]);
  update(linked ? { [pair[0]]: v, [pair[1]]: v } : { [key]: v });
}

function advance() {
  const last = scene.anim.layer.steps - 1;
  const next = Math.min(last, state.step + 1);
  update({ step: next });
  return next < last;
}

function stepBy(delta) {
  loop.stop();
  const last = scene.anim.layer.steps - 1;
  update({ step: Math.min(last, Math.max(0, state.step + delta)) });
}

function togglePlay() {
  if (loop.playing) loop.stop();
  else {
    if (state.step >= scene.anim.layer.steps - 1) state.step = 0;
    loop.play(state.speed);
  }
  loop.schedule();
}

function pin(channel, r, c) {
  if (scene.scatter) return;
  loop.stop();
  update({ step: scenes.stepOfOutput(scene, channel, r, c) });
}

function editInput(channel, r, c) {
  const target = scenes.inputIndex(scene, channel, r, c);
  if (target === null) return;
  const row = Math.floor((target % (state.h * state.w)) / state.w);
  const label = t("grid.edit", { r: row, c: target % state.w });
  stage.inputGrid(channel).edit(r, c, state.x[target], label, (v) => {
    const x = state.x.slice();
    x[target] = exact(v);
    update({ x });
  });
}

function editKernel(n, a, b) {
  const pair = scene.kernelPairs[n];
  const target = pair.stored(a, b);
  stage.kernelGrid(n).edit(a, b, state.wt[target], t("grid.edit", { r: a, c: b }), (v) => {
    const wt = state.wt.slice();
    wt[target] = exact(v);
    update({ wt });
  });
}

function editBias() {
  const o = scene.biasChannel;
  stage.biasGrid().edit(0, 0, state.b[o], t("grid.aria_bias", { o }), (v) => {
    const b = state.b.slice();
    b[o] = exact(v);
    update({ b });
  });
}

function randomValues(count, lo, hi) {
  return Array.from({ length: count }, () => lo + Math.floor(Math.random() * (hi - lo + 1)));
}

function writeUrl() {
  urlTimer = 0;
  const query = serializePlaygroundState(state, LIMITS, location.search);
  if (query === location.search.slice(1)) return;
  history.replaceState(history.state, "", query ? `${location.pathname}?${query}` : location.pathname);
}

// What the render last wrote to an element, by id and property: a write that changes nothing still
// invalidates style or layout (and a range input's max re-sanitizes its value), so only changes are written.
const written = new Map();

function shownOf(id) {
  let shown = written.get(id);
  if (!shown) written.set(id, (shown = {}));
  return shown;
}

function write(id, name, value) {
  const shown = shownOf(id);
  if (shown[name] === value) return;
  shown[name] = value;
  if (name.startsWith("aria-")) $(id).setAttribute(name, value);
  else $(id)[name] = value;
}

function renderStatic(all) {
  for (const radio of MODE_RADIOS) radio.checked = radio.value === state.mode;
  for (const radio of VIEW_RADIOS) radio.checked = radio.value === state.view;
  write("pg-view", "hidden", state.mode !== "transposed");
  const pool = state.mode === "maxpool" || state.mode === "avgpool";
  for (const [id, key] of [
    ["pg-axes", "axes"],
    ["pg-bias", "bias"],
    ["pg-flip", "flip"],
    ["pg-matrix", "matrix"],
  ]) {
    $(id).checked = state[key];
  }
  write("pg-bias", "disabled", pool);
  write("pg-flip", "disabled", state.mode !== "conv");
  renderPaddingOptions(pool);
  const select = $("pg-groups");
  const options = all.groups.options.join();
  if (shownOf("pg-groups").options !== options) {
    shownOf("pg-groups").options = options;
    select.replaceChildren(...all.groups.options.map((g) => new Option(String(g), String(g))));
  }
  select.value = String(pool ? state.cin : state.groups);
  write("pg-groups", "disabled", pool);
  write("pg-depthwise", "disabled", pool || state.cin === 1);
  write("pg-depthwise", "aria-pressed", String(!pool && state.cin > 1 && state.groups === state.cin));
  write("pg-why-groups", "hidden", !all.groups.why);
  write("pg-why-groups", "textContent", all.groups.why ? t(all.groups.why.key, all.groups.why.vars) : "");
  write("pg-preset", "disabled", pool);
  write("pg-random-kernel", "disabled", pool);
}

// padding="same" and padding_mode belong to the convolution, ceil_mode to the pools.
function renderPaddingOptions(pool) {
  const conv = state.mode === "conv";
  write("pg-same-wrap", "hidden", !conv);
  write("pg-pmode-wrap", "hidden", !conv);
  write("pg-ceil-wrap", "hidden", !pool);
  $("pg-same").checked = state.same;
  $("pg-ceil").checked = state.ceil;
  $("pg-pmode").value = state.pmode;
  write("pg-same-note", "hidden", !(conv && state.same));
  if (conv && state.same) {
    const { rows, cols } = deriveLayerAxes(state);
    write("pg-same-note", "textContent", t("ctl.same.note", { h: `${rows.padBefore} + ${rows.padAfter}`, w: `${cols.padBefore} + ${cols.padAfter}` }));
  }
}

function renderAnimation() {
  const steps = scene.anim.layer.steps;
  write("pg-position", "max", String(steps - 1));
  // the slider's value is read back: a student's drag moves it without a write here
  const position = $("pg-position");
  if (position.value !== String(scene.step)) position.value = String(scene.step);
  write("pg-position", "aria-valuetext", t("step.title", { n: scene.step + 1, total: steps }));
  write("pg-position-text", "textContent", `${scene.step + 1}/${steps}`);
  const speedIndex = SPEEDS.indexOf(state.speed);
  const speed = $("pg-speed");
  if (speed.value !== String(speedIndex < 0 ? 3 : speedIndex)) speed.value = String(speedIndex < 0 ? 3 : speedIndex);
  write("pg-speed", "aria-valuetext", t("anim.speed_value", { v: state.speed }));
  write("pg-speed-text", "textContent", t("anim.speed_value", { v: state.speed }));
  const play = $("pg-play");
  const playKey = loop.playing ? "anim.pause" : "anim.play";
  if (play.dataset.i18n !== playKey) play.dataset.i18n = playKey;
  write("pg-play", "textContent", t(playKey));
  write("pg-back", "disabled", scene.step === 0);
  write("pg-forward", "disabled", scene.step >= steps - 1);
  write("pg-step-sum", "aria-live", loop.playing ? "off" : "polite");
}

function render() {
  const start = performance.now();
  scene = scenes.build(state);
  state.step = scene.step;
  const all = ranges(state, LIMITS);
  controls.update(state, all);
  renderStatic(all);
  renderAnimation();
  stage.render(scene);
  renderStep(scene);
  renderInfo(state, scene.layer);
  renderMatrix(scene, stage.width);
  server.update(state, scene);
  if (!urlTimer) urlTimer = setTimeout(writeUrl, 250);
  // benchmarks/playground_render.py reads these measures; the buffer is kept short.
  if (++measures > 500) {
    performance.clearMeasures("playground-render");
    measures = 1;
  }
  performance.measure("playground-render", { start, end: performance.now() });
}

function bind() {
  for (const radio of MODE_RADIOS) {
    radio.addEventListener("change", () => update({ mode: radio.value, step: 0 }));
  }
  for (const radio of VIEW_RADIOS) {
    radio.addEventListener("change", () => update({ view: radio.value, step: 0 }));
  }
  $("pg-axes").addEventListener("change", (e) => update({ axes: e.target.checked }));
  $("pg-bias").addEventListener("change", (e) => update({ bias: e.target.checked }));
  $("pg-flip").addEventListener("change", (e) => update({ flip: e.target.checked }));
  $("pg-matrix").addEventListener("change", (e) => update({ matrix: e.target.checked }));
  $("pg-same").addEventListener("change", (e) => update({ same: e.target.checked, step: 0 }));
  $("pg-ceil").addEventListener("change", (e) => update({ ceil: e.target.checked, step: 0 }));
  $("pg-pmode").addEventListener("change", (e) => update({ pmode: e.target.value }));
  $("pg-groups").addEventListener("change", (e) => update({ groups: Number(e.target.value) }));
  $("pg-depthwise").addEventListener("click", () => update({ groups: state.cin, cout: state.cin }));
  $("pg-random-input").addEventListener("click", () => update({ x: randomValues(state.x.length, -3, 5) }));
  $("pg-random-kernel").addEventListener("click", () => update({ wt: randomValues(state.wt.length, -2, 2) }));
  $("pg-play").addEventListener("click", togglePlay);
  $("pg-back").addEventListener("click", () => stepBy(-1));
  $("pg-forward").addEventListener("click", () => stepBy(1));
  $("pg-position").addEventListener("input", (e) => {
    loop.stop();
    update({ step: Number(e.target.value) });
  });
  $("pg-speed").addEventListener("input", (e) => {
    const speed = SPEEDS[Number(e.target.value)];
    loop.setSpeed(speed);
    update({ speed });
  });
  $("pg-copy").addEventListener("click", copyTorchLine);
  server.bindPresets($("pg-preset"), (preset) => applyPreset(preset));
  document.addEventListener("keydown", onKey);
  document.addEventListener("langchange", () => {
    server.relabel();
    loop.schedule();
  });
}

function onKey(e) {
  if (e.target.closest?.("input, select, textarea, button, [role='application'], [contenteditable]") || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === " ") togglePlay();
  else if (e.key === "ArrowRight") stepBy(1);
  else if (e.key === "ArrowLeft") stepBy(-1);
  else return;
  e.preventDefault();
}

async function copyTorchLine() {
  const status = $("pg-copy-status");
  try {
    await navigator.clipboard.writeText($("pg-torch").textContent);
    status.textContent = t("info.copied");
  } catch {
    getSelection().selectAllChildren($("pg-torch"));
    status.textContent = t("info.copy_failed");
  }
}

// A preset fills every kernel of the layer; its size becomes the kernel size if the input allows it.
function applyPreset(preset) {
  const k = preset.weights.length;
  const all = ranges(state, LIMITS);
  const note = $("pg-preset-note");
  const fits = ["kh", "kw"].every((key) => k >= all[key].min && k <= all[key].max);
  if (!fits) {
    note.textContent = t("error.preset_size", { k });
    return;
  }
  note.textContent = preset[`description_${getLang()}`];
  update({ kh: k, kw: k });
  const flat = preset.weights.flat().map(exact);
  update({ wt: state.wt.map((_, n) => flat[n % flat.length]) });
}

bind();
render();
