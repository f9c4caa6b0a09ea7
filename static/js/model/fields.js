// Global fields, measured operations and notes of a summary row (the JSON of /api/v1/models/summary), worded
// for the page. A global axis is one along which every output of the node sees the whole input: attention over
// all tokens, a mean over the map, a linear layer over a flattened map. Pure functions.
import { t } from "../common/i18n.js";
import { pair } from "../common/format.js";
import { noteKey } from "./state.js";

// Per axis (height, width), whether the field covers the whole input; a row without `global` is local.
export function wholeAxes(rf) {
  return rf?.global ?? [false, false];
}

// The r cell: "whole" on a global axis, r elsewhere ("whole×7" when only the height is global).
export function sizeText(rf) {
  const [h, w] = wholeAxes(rf);
  if (h && w) return t("model.whole");
  if (!h && !w) return pair(rf.size);
  return [h ? t("model.whole") : String(rf.size[0]), w ? t("model.whole") : String(rf.size[1])].join("×");
}

// The field as the photo overlay draws it: on a global axis every output sees [0, extent − 1].
export function drawnField(rf) {
  const whole = wholeAxes(rf);
  return {
    size: rf.size,
    stride: rf.stride.map((s, axis) => (whole[axis] ? 0 : s)),
    padding: rf.padding.map((p, axis) => (whole[axis] ? 0 : p)),
  };
}

// The node's notes in the page's language: the ones the page knows are translated, others shown as sent.
export function noteTexts(node) {
  const notes = node.notes ?? (node.note ? [node.note] : []);
  return notes.map((note) => {
    const key = noteKey({ role: node.role, note });
    return key ? t(key) : note;
  });
}

// The line under the totals: how many nodes see the whole image (and the first), measured ops, notes.
export function fieldSummary(summary) {
  const global = summary.nodes.filter((n) => n.field === "global");
  const counts = {
    measured: summary.nodes.filter((n) => n.measured).length,
    notes: summary.nodes.filter((n) => noteTexts(n).length > 0).length,
  };
  if (!global.length) return t("model.fieldSummaryLocal", counts);
  return t("model.fieldSummary", { ...counts, global: global.length, first: global[0].target || global[0].name });
}

// The overlay's caption for a node whose field is global on some axis.
export function globalCaption(node, row, col) {
  const [h, w] = wholeAxes(node.receptive_field);
  const axes = t(h && w ? "model.axis.both" : h ? "model.axis.height" : "model.axis.width");
  return t("model.overlayGlobal", { node: node.target || node.name, row, col, axes, r: sizeText(node.receptive_field) });
}
