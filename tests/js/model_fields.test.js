import { test } from "node:test";
import assert from "node:assert/strict";

// the page's language comes from ?lang=; set it before the modules read it
globalThis.location = { search: "?lang=en" };
const { drawnField, fieldSummary, globalCaption, noteTexts, sizeText, wholeAxes } = await import(
  "../../static/js/model/fields.js"
);
await import("../../static/js/model/strings.js");
await import("../../static/js/model/field-strings.js");
const { inputBox } = await import("../../static/js/common/rfgeometry.js");

const local = { size: [7, 7], stride: [2, 2], padding: [3, 3], global: [false, false] };
const whole = { size: [224, 224], stride: [32, 32], padding: [0, 0], global: [true, true] };
const tall = { size: [224, 15], stride: [16, 16], padding: [0, 7], global: [true, false] };
const row = (name, field, rf, extra = {}) => ({
  name, target: name, op: "op", role: "window", receptive_field: rf, field, measured: false, notes: [], note: "",
  ...extra,
});

test("a row without `global` (an older summary) is local on both axes", () => {
  assert.deepEqual(wholeAxes({ size: [3, 3], stride: [1, 1], padding: [1, 1] }), [false, false]);
  assert.deepEqual(wholeAxes(null), [false, false]);
});

test("r reads 'whole' on a global axis and the number elsewhere", () => {
  assert.equal(sizeText(local), "7");
  assert.equal(sizeText(whole), "whole");
  assert.equal(sizeText(tall), "whole×15");
});

test("a global axis is drawn as the whole input whatever the output position", () => {
  const box = inputBox(drawnField(tall), 3, 2, 224, 224);
  // rows: the whole height; columns: u·S − P … + r − 1 = 2·16 − 7 … 32 − 7 + 14
  assert.deepEqual(box.unclipped, { top: 0, bottom: 223, left: 25, right: 39 });
  assert.deepEqual(inputBox(drawnField(local), 1, 1, 32, 32).unclipped, { top: -1, bottom: 5, left: -1, right: 5 });
});

test("notes are listed one by one; the page's known notes are translated, others shown as sent", () => {
  const merge = row("add", "local", local, {
    role: "merge",
    notes: ["the branches' receptive-field centres differ (misaligned)", "Einsum: MACs not counted"],
  });
  assert.deepEqual(noteTexts(merge), ["the branches' centres differ (misaligned)", "Einsum: MACs not counted"]);
  assert.deepEqual(noteTexts({ role: "pass", note: "an older summary's single note" }), ["an older summary's single note"]);
  assert.deepEqual(noteTexts(row("x", "local", local)), []);
});

test("the summary line counts global nodes (naming the first), measured operations and noted nodes", () => {
  const summary = {
    nodes: [
      row("conv", "local", local),
      row("attn", "global", whole, { measured: true, notes: ["measured"] }),
      row("head", "global", whole),
    ],
  };
  assert.equal(
    fieldSummary(summary),
    "Nodes that see the whole image: 2 (the first is attn). Measured operations: 1. Nodes with notes: 1.",
  );
  assert.equal(
    fieldSummary({ nodes: [row("conv", "local", local)] }),
    "Every node sees a local window of the image. Measured operations: 0. Nodes with notes: 0.",
  );
});

test("the overlay's caption names the global axes", () => {
  assert.equal(
    globalCaption(row("blocks.0", "global", tall), 3, 2),
    "blocks.0, output (3, 2): sees the input's whole height (r = whole×15), as every output of this node does.",
  );
});
