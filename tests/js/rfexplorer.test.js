import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  DEFAULT_STACK,
  chosenLayer,
  comparisonStacks,
  coneLevels,
  growthSeries,
  parseStack,
} from "../../static/js/rfexplorer/model.js";

// A report in the /shapes form, built from the rfgeometry fixtures (convcore's numbers).
const { stacks } = JSON.parse(readFileSync(new URL("./fixtures/rfgeometry.json", import.meta.url)));
function report(stack) {
  return {
    input: { channels: stack.input[0], height: stack.input[1], width: stack.input[2] },
    stack: stack.layers,
    layers: stack.layers.map((layer, i) => ({
      type: layer.type,
      name: "",
      output: { channels: 1, height: stack.sizes[i + 1][0], width: stack.sizes[i + 1][1] },
      receptive_field: stack.fields[i],
    })),
  };
}

test("the default layer is the last one with a spatial map; a wanted one is kept when it exists", () => {
  const withGap = report(stacks[2]);
  assert.equal(chosenLayer(withGap, -1), 2, "global pooling gives 1×1, so the 1×1 conv before it is chosen");
  assert.equal(chosenLayer(withGap, 0), 0);
  assert.equal(chosenLayer(withGap, 99), 2);
});

test("the cone's levels skip pass-through layers and end at the chosen layer with the fixture's rows", () => {
  const stack = stacks[0];
  const levels = coneLevels(stack.layers, report(stack), 3, stack.cones[0].row, "input");
  assert.deepEqual(levels.map((l) => l.label), ["input (23)", "0. conv2d (23)", "2. max_pool2d (11)", "3. conv2d (5)"]);
  const inside = levels.map((l) => l.positions.filter((p) => p >= 0 && p < l.size));
  const expected = stack.cones[0].rows.filter((_, i) => i !== 2);
  assert.deepEqual(inside, expected);
  assert.deepEqual(levels[3].field, { size: 8, stride: 4, padding: 1, whole: false });
});

test("a global pooling's cone level is the whole input, every input row feeding it", () => {
  const stack = stacks[2];
  const levels = coneLevels(stack.layers, report(stack), 3, 0, "input");
  assert.deepEqual(levels.at(-1).field, { size: stack.sizes[0][0], stride: 4, padding: 0, whole: true });
  const input = levels[0].positions.filter((p) => p >= 0 && p < levels[0].size);
  assert.deepEqual(input, [...Array(stack.sizes[0][0]).keys()]);
});

test("growth series are r and S along the height, numbered from 1", () => {
  const { r, s, whole } = growthSeries(report(stacks[1]));
  assert.deepEqual(r.map((p) => p.x), [1, 2, 3, 4, 5]);
  assert.deepEqual(r.map((p) => p.y), stacks[1].fields.map((f) => f.size[0]));
  assert.deepEqual(s.map((p) => p.y), stacks[1].fields.map((f) => f.stride[0]));
  assert.deepEqual(whole, []);
});

test("a layer that sees the whole input is drawn apart from the r line, at the input's size", () => {
  const rf = (size, global) => ({ size: [size, size], stride: [32, 32], padding: [0, 0], global: [global, global] });
  const layers = [{ receptive_field: rf(435, false) }, { receptive_field: rf(224, true) }, { receptive_field: null }];
  const { r, s, whole } = growthSeries({ layers });
  assert.deepEqual(r, [{ x: 1, y: 435 }]);
  assert.deepEqual(whole, [{ x: 2, y: 224 }]);
  assert.deepEqual(s.map((p) => p.x), [1, 2]);
});

test("the plain and dilated stacks differ only in dilation and padding", () => {
  const { plain, dilated } = comparisonStacks(3, 8);
  assert.deepEqual(plain.map((l) => [l.dilation, l.padding]), [[1, 1], [1, 1], [1, 1]]);
  assert.deepEqual(dilated.map((l) => [l.dilation, l.padding]), [[1, 1], [2, 2], [4, 4]]);
  assert.ok(dilated.every((l) => l.kernel_size === 3 && l.out_channels === 8));
});

test("a malformed custom stack falls back to the default", () => {
  assert.deepEqual(parseStack("nope"), DEFAULT_STACK);
  assert.deepEqual(parseStack("[]"), DEFAULT_STACK);
  assert.deepEqual(parseStack('[{"type": "relu"}]'), [{ type: "relu" }]);
});
