// The per-node table: one row per node of the summary, a button per row to choose it.
import { groupDigits, pair } from "../common/format.js";
import { t } from "../common/i18n.js";
import { fillTable, rowButton } from "../common/table.js";
import { noteTexts, sizeText, wholeAxes } from "./fields.js";

const COLUMNS = ["index", "node", "op", "output", "params", "macs", "r", "S", "P", "aligned", "note"];

function span(tag, text, className = "") {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

function alignedCell(node) {
  if (node.aligned === null) return "";
  const offsets = t("model.offsets", { offsets: node.offsets.map(pair).join(", ") });
  return { text: t(node.aligned ? "model.aligned" : "model.misaligned"), className: node.aligned ? "ok" : "bad", title: offsets };
}

// The op, with a "measured" mark when the engine read its window from autograd.
function opCell(node) {
  if (!node.measured) return { text: node.op, className: "op" };
  const mark = span("span", t("model.measured"), "measured");
  mark.title = t("model.measuredTitle");
  return { nodes: [node.op, " ", mark], className: "op" };
}

// r, with "whole" on a global axis (the title says what that means).
function sizeCell(rf) {
  const title = wholeAxes(rf).some(Boolean) ? t("model.wholeTitle") : "";
  return { text: rf ? sizeText(rf) : "—", className: "mono r", title };
}

// One line per note.
function notesCell(node) {
  return { nodes: noteTexts(node).map((text) => span("div", text)), className: "note-cell" };
}

// onChoose(index) runs when a row's button is pressed; `chosen` is highlighted; `mainOnly` hides the branches.
export function renderTable(table, summary, chosen, mainOnly, onChoose) {
  const onPath = new Set(summary.main_path);
  const rows = [];
  summary.nodes.forEach((node, i) => {
    if (mainOnly && !onPath.has(node.name)) return;
    const rf = node.receptive_field;
    const classes = [onPath.has(node.name) ? "main" : "branch", node.field === "global" ? "global" : "", i === chosen ? "chosen" : ""];
    rows.push({
      className: classes.filter(Boolean).join(" "),
      data: { name: node.name },
      cells: [
        rowButton(i, { label: t("model.choose", { n: i }), pressed: i === chosen, disabled: rf === null, onChoose }),
        { text: node.target || node.name, className: "name" },
        opCell(node),
        { text: node.output.join("×"), className: "mono" },
        { text: groupDigits(node.params), className: "mono" },
        { text: groupDigits(node.macs), className: "mono" },
        sizeCell(rf),
        { text: rf ? pair(rf.stride) : "—", className: "mono s" },
        { text: rf ? pair(rf.padding) : "—", className: "mono p" },
        alignedCell(node),
        notesCell(node),
      ],
    });
  });
  fillTable(table, COLUMNS.map((key) => t(`model.col.${key}`)), rows, { key: COLUMNS.indexOf("node") });
}
