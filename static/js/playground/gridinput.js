// How a grid answers the pointer and the keyboard: hover and click find the cell under the pointer, the arrow
// keys move a cursor that appears only for keyboard focus, Enter or Space activate its cell; and the in-place
// editor, an <input> over one cell.

const MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

function cellAt(grid, event) {
  const box = (grid.useCanvas ? grid.canvas : grid.svg).getBoundingClientRect();
  const r = Math.floor((event.clientY - box.top - 1) / grid.size);
  const c = Math.floor((event.clientX - box.left - 1) / grid.size);
  return r >= 0 && c >= 0 && r < grid.rows && c < grid.cols ? [r, c] : null;
}

function onKey(grid, e) {
  if (!grid.cursor) grid.cursor = grid.options.initialCursor?.() ?? [0, 0];
  if (MOVES[e.key]) {
    const [dr, dc] = MOVES[e.key];
    grid.cursor = [
      Math.min(grid.rows - 1, Math.max(0, grid.cursor[0] + dr)),
      Math.min(grid.cols - 1, Math.max(0, grid.cursor[1] + dc)),
    ];
    grid.drawCursor();
    grid.options.onHover?.(grid.cursor);
    e.preventDefault();
    e.stopPropagation();
  } else if (e.key === "Enter" || e.key === " ") {
    grid.options.onActivate?.(grid.cursor[0], grid.cursor[1]);
    e.preventDefault();
    e.stopPropagation();
  }
}

// The grid's options.onHover(r, c | null) and onActivate(r, c) on its scroll box's pointer and key events.
export function bindInput(grid) {
  const surface = grid.scroll;
  surface.addEventListener("pointermove", (e) => {
    if (e.target === grid.editor) return;
    const rc = cellAt(grid, e);
    const key = rc ? rc.join(",") : "";
    if (key === grid.hoverKey) return;
    grid.hoverKey = key;
    grid.options.onHover?.(rc);
  });
  surface.addEventListener("pointerleave", () => {
    grid.hoverKey = "";
    grid.options.onHover?.(null);
  });
  surface.addEventListener("click", (e) => {
    if (e.target === grid.editor) return;
    const rc = cellAt(grid, e);
    if (rc) {
      grid.cursor = rc;
      grid.options.onActivate?.(rc[0], rc[1]);
    }
  });
  surface.addEventListener("keydown", (e) => onKey(grid, e));
  // The keyboard cursor appears only for keyboard focus; a click already points at its cell.
  surface.addEventListener("focus", () => {
    if (!surface.matches(":focus-visible")) return;
    if (!grid.cursor) grid.cursor = grid.options.initialCursor?.() ?? [0, 0];
    grid.drawCursor();
    grid.options.onHover?.(grid.cursor);
  });
  surface.addEventListener("blur", (e) => {
    if (e.relatedTarget === grid.editor) return;
    grid.drawCursor(true);
    grid.options.onHover?.(null);
  });
}

// An <input> over the grid's cell (r, c); commit(value) on Enter or blur, nothing on Escape.
export function editCell(grid, r, c, value, label, commit) {
  grid.editor?.remove();
  const input = document.createElement("input");
  input.type = "number";
  input.step = "any";
  input.className = "pg-cell-editor";
  input.value = String(value);
  input.setAttribute("aria-label", label);
  input.style.left = `${c * grid.size}px`;
  input.style.top = `${r * grid.size}px`;
  input.style.width = `${Math.max(grid.size, 56)}px`;
  input.style.height = `${Math.max(grid.size, 28)}px`;
  grid.scroll.append(input);
  grid.editor = input;
  let done = false;
  const finish = (save) => {
    if (done) return;
    done = true;
    const v = Number.parseFloat(input.value);
    input.remove();
    grid.editor = null;
    grid.scroll.focus({ preventScroll: true });
    if (save && Number.isFinite(v)) commit(v);
  };
  input.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Enter") finish(true);
    if (e.key === "Escape") finish(false);
  });
  input.addEventListener("blur", () => finish(true));
  input.focus();
  input.select();
}
