// The image lab's state: one object, its URL form, and pure edits of the layer stack.
// Layers are kept in the API's own form (convcore.networks.network's layer dicts), so what the page shows is what it sends.

export const SAMPLES = ["house", "checkerboard", "circle", "text", "landscape"];
export const LAYER_TYPES = ["conv2d", "relu", "max_pool2d", "avg_pool2d", "batch_norm2d", "dropout", "global_avg_pool2d"];
export const CUSTOM = "custom";

export const DEFAULT_LAYERS = [
  { type: "conv2d", out_channels: 2, kernel_size: 3, stride: 1, padding: 1, dilation: 1, kernels: ["sobel_x", "sobel_y"] },
  { type: "relu" },
  { type: "max_pool2d", kernel_size: 2, stride: 2 },
];

export const PROPS = [
  { key: "sample", type: "enum", values: SAMPLES, default: "house" },
  { key: "color", type: "enum", values: ["gray", "rgb"], default: "gray" },
  { key: "layers", type: "string", default: JSON.stringify(DEFAULT_LAYERS) },
  // The chosen unit: [layer, channel, row, col]; empty when nothing is chosen.
  { key: "sel", type: "floats", default: [] },
  { key: "erf", type: "bool", default: false },
  // Per layer: −1 shows all channels, c shows channel c alone.
  { key: "view", type: "floats", default: [] },
];

export function newLayer(type) {
  switch (type) {
    case "conv2d":
      return { type, out_channels: 1, kernel_size: 3, stride: 1, padding: 1, dilation: 1, kernels: ["sobel_x"] };
    case "max_pool2d":
    case "avg_pool2d":
      return { type, kernel_size: 2, stride: 2 };
    case "batch_norm2d":
      return { type, training: true };
    case "dropout":
      return { type, p: 0.5, seed: 0 };
    default:
      return { type };
  }
}

function isKernel(entry, size) {
  if (typeof entry === "string") return entry.length > 0 && entry.length < 40;
  return (
    Array.isArray(entry) &&
    entry.length === size &&
    entry.every((row) => Array.isArray(row) && row.length === size && row.every(Number.isFinite))
  );
}

function validLayer(layer, maxChannels) {
  if (!layer || typeof layer !== "object" || !LAYER_TYPES.includes(layer.type)) return false;
  if (layer.type === "conv2d") {
    const k = layer.kernel_size;
    return (
      Number.isInteger(k) &&
      Array.isArray(layer.kernels) &&
      layer.kernels.length === layer.out_channels &&
      layer.kernels.length <= maxChannels &&
      layer.kernels.every((e) => isKernel(e, k))
    );
  }
  return true;
}

// The stack from its URL text; anything malformed or beyond the page's limits ({layers, channels}: {max},
// app/limits.py) gives the default stack rather than a broken page.
export function parseLayers(text, limits) {
  try {
    const layers = JSON.parse(text);
    if (Array.isArray(layers) && layers.length <= limits.layers.max && layers.every((l) => validLayer(l, limits.channels.max))) return layers;
  } catch {
    // fall through to the default stack
  }
  return structuredClone(DEFAULT_LAYERS);
}

export function moveLayer(layers, index, delta) {
  const target = index + delta;
  if (target < 0 || target >= layers.length) return layers;
  const copy = layers.slice();
  [copy[index], copy[target]] = [copy[target], copy[index]];
  return copy;
}

export function removeLayer(layers, index) {
  return layers.filter((_, i) => i !== index);
}

export function addLayer(layers, type, limits) {
  return layers.length >= limits.layers.max ? layers : [...layers, newLayer(type)];
}

export function zeroKernel(size) {
  return Array.from({ length: size }, () => Array(size).fill(0));
}

// A preset's weights as a fresh grid: the starting point when a channel switches to "custom".
export function kernelGrid(entry, presets, size) {
  if (Array.isArray(entry)) return entry.map((row) => row.slice());
  const preset = presets.find((p) => p.name === entry);
  return preset && preset.weights.length === size ? preset.weights.map((row) => row.slice()) : zeroKernel(size);
}

// The first preset of a size, for channels added to a layer or a layer whose kernel size changes.
export function defaultPreset(presets, size) {
  return presets.find((p) => p.weights.length === size && p.name !== "identity")?.name ?? zeroKernel(size);
}
