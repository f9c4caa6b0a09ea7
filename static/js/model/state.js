// The page's state properties and pure derivations from a summary (the JSON of /api/v1/models/summary):
// which node is chosen, the main path's steps, the growth series, per-node notes worded per language.

export const BUILTIN = ["resnet18", "resnet50", "vgg16", "mobilenet_v1", "alexnet"];
export const UPLOAD = "upload";
export const SAMPLES = ["house", "checkerboard", "circle", "text", "landscape"];

// The page's state properties within its limits ({size}: {min, max}, app/limits.py).
export function modelProps(limits) {
  return [
    { key: "model", type: "enum", values: [...BUILTIN, UPLOAD], default: "resnet18" },
    { key: "size", type: "int", default: 224, ...limits.size },
    { key: "node", type: "string", default: "" },
    { key: "row", type: "int", default: -1, min: -1, max: 100000 },
    { key: "col", type: "int", default: -1, min: -1, max: 100000 },
    { key: "sample", type: "enum", values: SAMPLES, default: "landscape" },
    { key: "log", type: "bool", default: false },
    { key: "main", type: "bool", default: false },
  ];
}

// A node's output as a map: {height, width} of a C×H×W output, 1×1 for flat outputs.
export function outputMap(node) {
  const out = node.output;
  return out.length >= 3 ? { height: out[out.length - 2], width: out[out.length - 1] } : { height: 1, width: 1 };
}

// A node can be drawn on the photo when it has a receptive field.
export function drawable(node) {
  return node.receptive_field !== null;
}

// The chosen node's index: the one named `wanted`, else the last node with a field and a map larger than 1×1.
export function chosenIndex(summary, wanted) {
  const nodes = summary.nodes;
  const named = nodes.findIndex((n) => n.name === wanted);
  if (named >= 0 && drawable(nodes[named])) return named;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const map = outputMap(nodes[i]);
    if (drawable(nodes[i]) && map.height * map.width > 1) return i;
  }
  return 0;
}

// The main path without pass-through nodes: the steps where the field changes or branches meet.
export function pathSteps(summary) {
  const byName = new Map(summary.nodes.map((n, i) => [n.name, i]));
  return summary.main_path
    .map((name) => byName.get(name))
    .filter((i) => i !== undefined && summary.nodes[i].role !== "pass");
}

// r and S (height axis) along the main path's steps; x is the step number, `index` the node. A node that sees
// the whole input along the height goes to `whole`, not to `r`: its r is the input's height, less than a deep
// node's r in ResNet-18 (435, then 224 after the pooling), and the r line must not seem to shrink.
export function growthSeries(summary) {
  const r = [];
  const s = [];
  const whole = [];
  pathSteps(summary).forEach((index, step) => {
    const rf = summary.nodes[index].receptive_field;
    if (!rf) return;
    (rf.global?.[0] ? whole : r).push({ x: step, y: rf.size[0], index });
    s.push({ x: step, y: rf.stride[0], index });
  });
  return { r, s, whole };
}

// The key of a node's note in the string table (null: no note; "": show the server's English text).
export function noteKey(node) {
  if (!node.note) return null;
  // an adaptive pool with unequal windows is opaque too, but it does not upsample: its own note first
  if (node.note.startsWith("adaptive pooling")) return "model.note.window";
  if (node.role === "opaque") return "model.note.opaque";
  if (node.note.includes("different effective strides")) return "model.note.strides";
  if (node.note.startsWith("no receptive field: an input")) return "model.note.none";
  if (node.note.includes("misaligned")) return "model.note.misaligned";
  return "";
}

// The position to draw: the requested one clamped to the map, or the centre.
export function position(requested, length) {
  return requested >= 0 && requested < length ? requested : Math.floor((length - 1) / 2);
}
