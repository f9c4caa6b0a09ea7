import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as g from "../../static/js/common/rfgeometry.js";

const { stacks } = JSON.parse(readFileSync(new URL("./fixtures/rfgeometry.json", import.meta.url)));

test("input boxes from r, S, P equal convcore.networks.stack.region, clipped and unclipped", () => {
  for (const stack of stacks) {
    const [height, width] = stack.sizes[0];
    for (const b of stack.boxes) {
      const got = g.inputBox(stack.fields[b.layer], b.position[0], b.position[1], height, width);
      assert.deepEqual(got, { unclipped: b.unclipped, clipped: b.clipped, center: b.center }, JSON.stringify(b));
    }
  }
});

test("a unit's box on an earlier map equals region() of the sub-stack run on that map", () => {
  for (const stack of stacks) {
    for (const b of stack.on_maps) {
      const [height, width] = stack.sizes[b.on + 1];
      const got = g.boxOnMap(stack.fields[b.layer], stack.fields[b.on], b.position[0], b.position[1], height, width);
      assert.deepEqual(got, { unclipped: b.unclipped, clipped: b.clipped, center: b.center }, JSON.stringify(b));
    }
  }
});

test("layer dicts give the windows whose composition is convcore's field", () => {
  for (const stack of stacks) {
    for (const axis of [0, 1]) {
      let field = { size: 1, stride: 1, padding: 0, whole: false };
      stack.layers.forEach((layer, i) => {
        const w = g.axisWindow(layer, axis, stack.sizes[i][axis]);
        const span = w.dilation * (w.kernel - 1) + 1;
        const mixes = layer.type === "global_avg_pool2d" || layer.type === "linear";
        field = field.whole || mixes
          ? { size: stack.sizes[0][axis], stride: field.stride * w.stride, padding: 0, whole: true }
          : {
              size: field.size + (span - 1) * field.stride,
              stride: field.stride * w.stride,
              padding: field.padding + w.padding * field.stride,
              whole: false,
            };
        assert.deepEqual(field, g.axisField(stack.fields[i], axis), `layer ${i} axis ${axis}`);
      });
    }
  }
});

test("the 1-D cone inside the maps equals the rows autograd finds feeding the unit", () => {
  for (const stack of stacks) {
    const windows = stack.layers.map((layer, i) => g.axisWindow(layer, 0, stack.sizes[i][0]));
    const sizes = stack.sizes.map((s) => s[0]);
    for (const c of stack.cones) {
      const levels = g.cone(windows, sizes, c.row);
      const inside = levels.map((level, i) => level.filter((p) => p >= 0 && p < sizes[i]));
      assert.deepEqual(inside, c.rows, `row ${c.row}`);
    }
  }
});

test("the cone's input positions lie inside the unclipped interval, with dilation holes", () => {
  for (const stack of stacks) {
    const windows = stack.layers.map((layer, i) => g.axisWindow(layer, 0, stack.sizes[i][0]));
    const sizes = stack.sizes.map((s) => s[0]);
    const last = stack.fields.length - 1;
    for (const c of stack.cones) {
      const input = g.cone(windows, sizes, c.row)[0];
      const field = g.axisField(stack.fields[last], 0);
      const [a, b] = g.interval(field, c.row);
      if (field.whole) {
        // the whole input, and nothing but the input: the padding the cone passes through is not in the field
        const inside = input.filter((p) => p >= 0 && p < sizes[0]);
        assert.deepEqual([a, b, inside.length], [0, sizes[0] - 1, sizes[0]], `row ${c.row}`);
      } else {
        assert.ok(a <= input[0] && input.at(-1) <= b, `row ${c.row}`);
      }
    }
  }
  const windows = [
    { kernel: 3, stride: 2, padding: 0, dilation: 1 },
    { kernel: 3, stride: 1, padding: 0, dilation: 2 },
  ];
  assert.deepEqual(g.cone(windows, [20, 9, 5], 1)[0], [2, 3, 4, 6, 7, 8, 10, 11, 12]);
  assert.deepEqual(g.cone(windows, [20, 9, 5], 1)[1], [1, 3, 5]);
});

test("unitAt maps a pointer to the pixel under it and clamps at the edges", () => {
  assert.deepEqual(g.unitAt(0, 0, 200, 100, 10, 20), { row: 0, col: 0 });
  assert.deepEqual(g.unitAt(199.9, 99.9, 200, 100, 10, 20), { row: 9, col: 19 });
  assert.deepEqual(g.unitAt(205, -3, 200, 100, 10, 20), { row: 0, col: 19 });
  assert.deepEqual(g.unitAt(55, 45, 200, 100, 10, 20), { row: 4, col: 5 });
});

test("a whole field is the whole input (or map) at every position, centred on it", () => {
  const rf = { size: [12, 10], stride: [4, 4], padding: [0, 0], global: [true, true] };
  assert.ok(g.isWhole(rf));
  assert.ok(!g.isWhole({ size: [3, 3], stride: [1, 1], padding: [1, 1], global: [false, false] }));
  const expected = { unclipped: { top: 0, left: 0, bottom: 11, right: 9 }, center: [5.5, 4.5] };
  for (const [row, col] of [[0, 0], [2, 5]]) {
    assert.deepEqual(g.inputBox(rf, row, col, 12, 10), { ...expected, clipped: expected.unclipped });
  }
  const onMap = g.boxOnMap(rf, { size: [3, 3], stride: [2, 2], padding: [1, 1] }, 0, 0, 6, 5);
  assert.deepEqual(onMap.unclipped, { top: 0, left: 0, bottom: 5, right: 4 });
});

test("a box wholly in the padding clips to null", () => {
  assert.equal(g.clip([-5, -1], 10), null);
  assert.deepEqual(g.clip([-2, 3], 10), [0, 3]);
  const rf = { size: [3, 3], stride: [1, 1], padding: [5, 0] };
  assert.equal(g.inputBox(rf, 0, 0, 10, 10).clipped, null);
});
