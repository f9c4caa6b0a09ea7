// The per-layer table: the numbers of /api/v1/shapes, one row per layer, warnings worded per language.
import { t } from "../common/i18n.js";
import { isWhole } from "../common/rfgeometry.js";

const COLUMNS = ["index", "name", "type", "output", "params", "macs", "r", "S", "P", "warnings"];

function cell(tag, text, className = "") {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function groupDigits(n) {
  return n === null || n === undefined ? "—" : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

function pair([h, w]) {
  return h === w ? String(h) : `${h}×${w}`;
}

// r with "whole" where an axis sees the whole input (the cell's title says what that means).
function sizeCell(rf) {
  const td = cell("td", pair(rf.size), "mono r");
  if (isWhole(rf)) {
    td.append(" ", cell("span", t("rf.whole"), "whole"));
    td.title = t("rf.wholeTitle");
  }
  return td;
}

export function warningText(w) {
  const key = `rf.warn.${w.code}`;
  const text = t(key, { count: w.count ?? "", axis: w.axis ? t(`rf.axis.${w.axis}`) : "" });
  return text === key ? w.message : text;
}

// onChoose(index) is called when a row's button is pressed; `chosen` is highlighted.
export function renderTable(table, report, chosen, onChoose) {
  const head = document.createElement("tr");
  for (const key of COLUMNS) {
    const th = cell("th", t(`rf.col.${key}`));
    th.scope = "col";
    if (key === "name") th.className = "key";
    head.append(th);
  }
  const byLayer = new Map();
  for (const w of report.warnings) byLayer.set(w.layer, [...(byLayer.get(w.layer) ?? []), w]);
  const body = document.createElement("tbody");
  report.layers.forEach((row, i) => {
    const tr = document.createElement("tr");
    tr.dataset.index = String(i);
    tr.dataset.name = row.name || "";
    if (i === chosen) tr.className = "chosen";
    const choose = document.createElement("button");
    choose.type = "button";
    choose.className = "row-button";
    choose.textContent = String(i);
    choose.setAttribute("aria-label", t("rf.chooseRow", { n: i }));
    choose.setAttribute("aria-pressed", String(i === chosen));
    choose.disabled = !row.receptive_field || !row.output;
    choose.addEventListener("click", () => onChoose(i));
    const first = document.createElement("td");
    first.append(choose);
    const rf = row.receptive_field;
    const o = row.output;
    tr.append(
      first,
      cell("td", row.name || "", "name key"),
      cell("td", row.type),
      cell("td", o ? `${o.channels}×${o.height}×${o.width}` : "—", "mono"),
      cell("td", groupDigits(row.params), "mono"),
      cell("td", groupDigits(row.macs), "mono"),
      rf ? sizeCell(rf) : cell("td", "—", "mono r"),
      cell("td", rf ? pair(rf.stride) : "—", "mono s"),
      cell("td", rf ? pair(rf.padding) : "—", "mono p"),
      cell("td", (byLayer.get(i) ?? []).map(warningText).join("; "), "warn"),
    );
    body.append(tr);
  });
  const thead = document.createElement("thead");
  thead.append(head);
  table.replaceChildren(thead, body);
}
