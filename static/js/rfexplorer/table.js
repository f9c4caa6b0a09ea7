// The per-layer table: the numbers of /api/v1/shapes, one row per layer, warnings worded per language.
import { groupDigits, pair } from "../common/format.js";
import { t } from "../common/i18n.js";
import { warningText } from "../common/layer-warnings.js";
import { isWhole } from "../common/rfgeometry.js";
import { fillTable, rowButton } from "../common/table.js";

const COLUMNS = ["index", "name", "type", "output", "params", "macs", "r", "S", "P", "warnings"];
const KEY = COLUMNS.indexOf("name");

// r with "whole" where an axis sees the whole input (the cell's title says what that means).
function sizeCell(rf) {
  if (!isWhole(rf)) return { text: pair(rf.size), className: "mono r" };
  const whole = document.createElement("span");
  whole.className = "whole";
  whole.textContent = t("rf.whole");
  return { nodes: [pair(rf.size), " ", whole], className: "mono r", title: t("rf.wholeTitle") };
}

// onChoose(index) is called when a row's button is pressed; `chosen` is highlighted.
export function renderTable(table, report, chosen, onChoose) {
  const byLayer = new Map();
  for (const w of report.warnings) byLayer.set(w.layer, [...(byLayer.get(w.layer) ?? []), w]);
  const rows = report.layers.map((row, i) => {
    const rf = row.receptive_field;
    const o = row.output;
    const mono = (text, extra = "") => ({ text, className: `mono ${extra}`.trim() });
    return {
      className: i === chosen ? "chosen" : "",
      data: { index: String(i), name: row.name || "" },
      cells: [
        rowButton(i, { label: t("rf.chooseRow", { n: i }), pressed: i === chosen, disabled: !rf || !o, onChoose }),
        { text: row.name || "", className: "name" },
        row.type,
        mono(o ? `${o.channels}×${o.height}×${o.width}` : "—"),
        mono(groupDigits(row.params)),
        mono(groupDigits(row.macs)),
        rf ? sizeCell(rf) : mono("—", "r"),
        mono(rf ? pair(rf.stride) : "—", "s"),
        mono(rf ? pair(rf.padding) : "—", "p"),
        { text: (byLayer.get(i) ?? []).map(warningText).join("; "), className: "warn" },
      ],
    };
  });
  fillTable(table, COLUMNS.map((key) => t(`rf.col.${key}`)), rows, { key: KEY });
}

// The plain and dilated stacks side by side: layer, dilation, r and parameters.
export function comparisonTable(table, report) {
  const rows = report.layers.map((row, i) => [
    String(i),
    String(report.stack[i].dilation),
    String(row.receptive_field.size[0]),
    groupDigits(row.params),
  ]);
  fillTable(table, ["#", "d", "r", t("rf.col.params")], rows);
}
