// The per-node table: one row per node of the summary, a button per row to choose it.
import { t } from "../common/i18n.js";
import { noteTexts, sizeText, wholeAxes } from "./fields.js";
import { groupDigits, pair } from "./state.js";

const COLUMNS = ["index", "node", "op", "output", "params", "macs", "r", "S", "P", "aligned", "note"];

function cell(tag, text, className = "") {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

function alignedCell(node) {
  if (node.aligned === null) return cell("td", "");
  const td = cell("td", t(node.aligned ? "model.aligned" : "model.misaligned"), node.aligned ? "ok" : "bad");
  td.title = t("model.offsets", { offsets: node.offsets.map(pair).join(", ") });
  return td;
}

// The op, with a "measured" mark when the engine read its window from autograd.
function opCell(node) {
  const td = cell("td", node.op, "op");
  if (node.measured) {
    const mark = cell("span", t("model.measured"), "measured");
    mark.title = t("model.measuredTitle");
    td.append(" ", mark);
  }
  return td;
}

// r, with "whole" on a global axis (the title says what that means).
function sizeCell(rf) {
  const td = cell("td", rf ? sizeText(rf) : "—", "mono r");
  if (wholeAxes(rf).some(Boolean)) td.title = t("model.wholeTitle");
  return td;
}

// One line per note.
function notesCell(node) {
  const td = cell("td", "", "note-cell");
  td.append(...noteTexts(node).map((text) => cell("div", text)));
  return td;
}

// onChoose(index) runs when a row's button is pressed; `chosen` is highlighted; `mainOnly` hides the branches.
export function renderTable(table, summary, chosen, mainOnly, onChoose) {
  const head = document.createElement("tr");
  for (const key of COLUMNS) {
    const th = cell("th", t(`model.col.${key}`));
    th.scope = "col";
    if (key === "node") th.className = "key";
    head.append(th);
  }
  const onPath = new Set(summary.main_path);
  const body = document.createElement("tbody");
  summary.nodes.forEach((node, i) => {
    if (mainOnly && !onPath.has(node.name)) return;
    const tr = document.createElement("tr");
    tr.dataset.name = node.name;
    tr.className = [onPath.has(node.name) ? "main" : "branch", node.field === "global" ? "global" : "", i === chosen ? "chosen" : ""]
      .filter(Boolean)
      .join(" ");
    const choose = document.createElement("button");
    choose.type = "button";
    choose.className = "row-button";
    choose.textContent = String(i);
    choose.setAttribute("aria-label", t("model.choose", { n: i }));
    choose.setAttribute("aria-pressed", String(i === chosen));
    choose.disabled = node.receptive_field === null;
    choose.addEventListener("click", () => onChoose(i));
    const first = document.createElement("td");
    first.append(choose);
    const rf = node.receptive_field;
    tr.append(
      first,
      cell("td", node.target || node.name, "name key"),
      opCell(node),
      cell("td", node.output.join("×"), "mono"),
      cell("td", groupDigits(node.params), "mono"),
      cell("td", groupDigits(node.macs), "mono"),
      sizeCell(rf),
      cell("td", rf ? pair(rf.stride) : "—", "mono s"),
      cell("td", rf ? pair(rf.padding) : "—", "mono p"),
      alignedCell(node),
      notesCell(node),
    );
    body.append(tr);
  });
  const thead = document.createElement("thead");
  thead.append(head);
  table.replaceChildren(thead, body);
}
