import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as g from "../../static/js/common/rfgeometry.js";

const { stacks } = JSON.parse(readFileSync(new URL("./fixtures/rfgeometry.json", import.meta.url)));

test("input boxes from r, S, P equal convcore.stack.region, clipped and unclipped", () => {
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
      let field = { size: 1, stride: 1, padding: 0 };
      stack.layers.forEach((layer, i) => {
        const w = g.axisWindow(layer, axis, stack.sizes[i][axis]);
        const span = w.dilation * (w.kernel - 1) + 1;
        field = {
          size: field.size + (span - 1) * field.stride,
          stride: field.stride * w.stride,
          padding: field.padding + w.padding * field.stride,
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
      const [a, b] = g.interval(g.axisField(stack.fields[last], 0), c.row);
      assert.ok(a <= input[0] && input.at(-1) <= b, `row ${c.row}`);
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

test("a box wholly in the padding clips to null", () => {
  assert.equal(g.clip([-5, -1], 10), null);
  assert.deepEqual(g.clip([-2, 3], 10), [0, 3]);
  const rf = { size: [3, 3], stride: [1, 1], padding: [5, 0] };
  assert.equal(g.inputBox(rf, 0, 0, 10, 10).clipped, null);
});
