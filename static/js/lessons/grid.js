// Tensor grids as tables: one cell per value, the number as text, the two-sided colour scale behind it.
import { divergingColor, textColorOn } from "../common/colorscale.js";
import { fmt } from "../common/format.js";

// matrix: rows of numbers (null for an empty cell). options:
//   maxAbs (colour scale), digits, caption, cellClass(r, c) → extra class names, label (accessible name).
export function drawGrid(container, matrix, options = {}) {
  const { maxAbs = 1, digits = 2, caption = "", label = caption } = options;
  const table = document.createElement("table");
  table.className = "tensor-grid";
  if (label) table.setAttribute("aria-label", label);
  if (caption) {
    const cap = document.createElement("caption");
    cap.textContent = caption;
    table.append(cap);
  }
  const body = document.createElement("tbody");
  matrix.forEach((row, r) => {
    const tr = document.createElement("tr");
    row.forEach((value, c) => {
      const td = document.createElement("td");
      const extra = options.cellClass?.(r, c) ?? "";
      td.className = extra;
      if (value === null || value === undefined) {
        td.classList.add("empty");
      } else {
        td.textContent = fmt(value, digits);
        td.style.background = divergingColor(value, maxAbs);
        td.style.color = textColorOn(value, maxAbs);
      }
      td.dataset.row = String(r);
      td.dataset.col = String(c);
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(body);
  container.replaceChildren(table);
  return table;
}
