import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_LAYERS,
  addLayer,
  defaultPreset,
  kernelGrid,
  moveLayer,
  newLayer,
  parseLayers,
  removeLayer,
} from "../../static/js/imagelab/state.js";

// the page's limits as app/limits.py renders them, narrowed here so the bounds are easy to reach
const LIMITS = { layers: { min: 1, max: 4 }, channels: { min: 1, max: 2 } };

const presets = [
  { name: "identity", weights: [[0, 0, 0], [0, 1, 0], [0, 0, 0]] },
  { name: "sobel_x", weights: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] },
  { name: "box_blur_5", weights: Array.from({ length: 5 }, () => Array(5).fill(0.04)) },
];

test("the URL's layer text round-trips, and anything malformed gives the default stack", () => {
  const stack = [newLayer("conv2d"), newLayer("relu"), newLayer("global_avg_pool2d")];
  assert.deepEqual(parseLayers(JSON.stringify(stack), LIMITS), stack);
  assert.deepEqual(parseLayers("[{", LIMITS), DEFAULT_LAYERS);
  assert.deepEqual(parseLayers(JSON.stringify([{ type: "linear" }]), LIMITS), DEFAULT_LAYERS);
  const mismatched = [{ ...newLayer("conv2d"), out_channels: 2 }];
  assert.deepEqual(parseLayers(JSON.stringify(mismatched), LIMITS), DEFAULT_LAYERS, "one kernel per output channel");
  const badGrid = [{ ...newLayer("conv2d"), kernels: [[[1, 2], [3, 4]]] }];
  assert.deepEqual(parseLayers(JSON.stringify(badGrid), LIMITS), DEFAULT_LAYERS, "a custom kernel must be kernel_size square");
  const full = Array(LIMITS.layers.max).fill({ type: "relu" });
  assert.deepEqual(parseLayers(JSON.stringify(full), LIMITS), full);
  assert.deepEqual(parseLayers(JSON.stringify([...full, { type: "relu" }]), LIMITS), DEFAULT_LAYERS, "too many layers");
  const conv = (n) => [{ ...newLayer("conv2d"), out_channels: n, kernels: Array(n).fill("sobel_x") }];
  assert.deepEqual(parseLayers(JSON.stringify(conv(2)), LIMITS), conv(2));
  assert.deepEqual(parseLayers(JSON.stringify(conv(3)), LIMITS), DEFAULT_LAYERS, "too many channels");
});

test("reorder, remove and add are pure and bounded", () => {
  const layers = [newLayer("conv2d"), newLayer("relu"), newLayer("max_pool2d")];
  const moved = moveLayer(layers, 2, -1);
  assert.deepEqual(moved.map((l) => l.type), ["conv2d", "max_pool2d", "relu"]);
  assert.deepEqual(layers.map((l) => l.type), ["conv2d", "relu", "max_pool2d"], "the input is not changed");
  assert.equal(moveLayer(layers, 0, -1), layers);
  assert.deepEqual(removeLayer(layers, 1).map((l) => l.type), ["conv2d", "max_pool2d"]);
  assert.deepEqual(addLayer(layers, "dropout", LIMITS).at(-1), { type: "dropout", p: 0.5, seed: 0 });
  const full = Array(LIMITS.layers.max).fill(newLayer("relu"));
  assert.equal(addLayer(full, "relu", LIMITS), full);
  assert.equal(addLayer(full.slice(1), "relu", LIMITS).length, LIMITS.layers.max);
});

test("a channel switched to custom starts from its preset's weights; new channels get a preset of the size", () => {
  assert.deepEqual(kernelGrid("sobel_x", presets, 3), presets[1].weights);
  assert.notEqual(kernelGrid("sobel_x", presets, 3), presets[1].weights, "a copy, not the preset itself");
  assert.deepEqual(kernelGrid("box_blur_5", presets, 3), [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  assert.equal(defaultPreset(presets, 3), "sobel_x");
  assert.equal(defaultPreset(presets, 5), "box_blur_5");
  assert.deepEqual(defaultPreset(presets, 7), Array.from({ length: 7 }, () => Array(7).fill(0)));
});

test("a receptive field larger than the drawn margin keeps all four sides, the cut ones marked", async () => {
  const { marginFor, visibleBox } = await import("../../static/js/common/mapdraw.js");
  // ResNet-50 on 224: r = 435 around the centre pixel
  const u = { top: -105, left: -105, bottom: 329, right: 329 };
  const m = marginFor({ unclipped: u }, 224, 224);
  assert.equal(m, 106);
  assert.deepEqual(visibleBox(u, m, 224, 224), { ...u, cut: { top: false, left: false, bottom: false, right: false } });
  const corner = { top: -434, left: -434, bottom: 0, right: 0 };
  const mc = marginFor({ unclipped: corner }, 224, 224);
  assert.equal(mc, 112);
  assert.deepEqual(visibleBox(corner, mc, 224, 224), { top: -112, left: -112, bottom: 0, right: 0, cut: { top: true, left: true, bottom: false, right: false } });
});
