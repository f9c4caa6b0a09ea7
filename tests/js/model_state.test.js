import { test } from "node:test";
import assert from "node:assert/strict";
import { chosenIndex, growthSeries, noteKey, outputMap, pathSteps, position } from "../../static/js/model/state.js";

const rf = (r, s, p) => ({ size: [r, r], stride: [s, s], padding: [p, p] });
const node = (name, role, output, field, extra = {}) => ({
  name, op: role, target: name, role, inputs: [], output, params: 0, macs: 0,
  receptive_field: field, aligned: null, offsets: null, note: "", ...extra,
});

// x → conv (3/1/1) → relu → add(relu, proj) → flatten → fc; proj is off the main path
const summary = {
  nodes: [
    node("x", "input", [3, 8, 8], rf(1, 1, 0)),
    node("conv", "window", [4, 8, 8], rf(3, 1, 1)),
    node("relu", "pass", [4, 8, 8], rf(3, 1, 1)),
    node("proj", "window", [4, 8, 8], rf(1, 1, 0)),
    node("add", "merge", [4, 8, 8], rf(3, 1, 1), { aligned: true, offsets: [[0, 0], [0, 0]] }),
    node("flatten", "window", [256], rf(10, 1, 1)),
    node("fc", "pass", [10], rf(10, 1, 1)),
  ],
  main_path: ["x", "conv", "relu", "add", "flatten", "fc"],
};

test("the default node is the last one with a field and a map larger than 1×1", () => {
  assert.equal(chosenIndex(summary, ""), 4);
  assert.equal(chosenIndex(summary, "proj"), 3);
  assert.equal(chosenIndex(summary, "nope"), 4);
});

test("the main path skips pass-through nodes; the series follow it", () => {
  assert.deepEqual(pathSteps(summary), [0, 1, 4, 5]);
  const { r, s, whole } = growthSeries(summary);
  assert.deepEqual(r.map((p) => [p.x, p.y, p.index]), [[0, 1, 0], [1, 3, 1], [2, 3, 4], [3, 10, 5]]);
  assert.deepEqual(s.map((p) => p.y), [1, 1, 1, 1]);
  assert.deepEqual(whole, []);
});

test("a node that sees the whole input leaves the r line for the whole series, at the input's size", () => {
  const local = (size, stride) => ({ size: [size, size], stride: [stride, stride], padding: [0, 0], global: [false, false] });
  const global = { size: [224, 224], stride: [32, 32], padding: [0, 0], global: [true, true] };
  const nodes = [
    { name: "input", role: "input", receptive_field: local(1, 1) },
    { name: "layer4", role: "conv", receptive_field: local(435, 32) },
    { name: "avgpool", role: "mix", receptive_field: global },
    { name: "fc", role: "mix", receptive_field: global },
  ];
  const { r, s, whole } = growthSeries({ nodes, main_path: nodes.map((n) => n.name) });
  assert.deepEqual(r.map((p) => [p.x, p.y]), [[0, 1], [1, 435]]);
  assert.deepEqual(whole.map((p) => [p.x, p.y, p.index]), [[2, 224, 2], [3, 224, 3]]);
  assert.deepEqual(s.map((p) => p.y), [1, 32, 32, 32]);
});

test("flat outputs are 1×1 maps; positions default to the centre", () => {
  assert.deepEqual(outputMap(summary.nodes[6]), { height: 1, width: 1 });
  assert.deepEqual(outputMap(summary.nodes[1]), { height: 8, width: 8 });
  assert.equal(position(-1, 8), 3);
  assert.equal(position(9, 8), 3);
  assert.equal(position(5, 8), 5);
});

test("server notes map to translated keys, unknown ones are shown as sent", () => {
  assert.equal(noteKey(summary.nodes[1]), null);
  assert.equal(noteKey({ role: "opaque", note: "upsampling: no receptive field beyond" }), "model.note.opaque");
  assert.equal(noteKey({ role: "merge", note: "the branches' receptive-field centres differ (misaligned)" }), "model.note.misaligned");
  assert.equal(noteKey({ role: "pass", note: "no receptive field: an input of this node has none" }), "model.note.none");
  assert.equal(noteKey({ role: "merge", note: "no receptive field: the merged branches have different effective strides" }), "model.note.strides");
  assert.equal(noteKey({ role: "window", note: "something new" }), "");
  // convcore/importers/fx/summary.py marks an adaptive pool with unequal windows opaque: it is not upsampling
  const adaptive = "adaptive pooling from 7 to 3 uses windows of unequal sizes: no single receptive-field formula";
  assert.equal(noteKey({ role: "opaque", note: adaptive }), "model.note.window");
});
