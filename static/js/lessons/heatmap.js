// A grid too large for a number per cell (a 32×32 spectrum) as a canvas heatmap on the two-sided colour scale,
// one block of pixels per cell, with an optional frame around a block of cells.
import { divergingInto, maxAbsOf } from "../common/colorscale.js";
import { strokeBox } from "../common/mapdraw.js";

// grid: rows of numbers; options: label (the accessible name), maxAbs (default: the grid's own), frame:
// {top, left, rows, cols} in cells, cell (CSS pixels per cell, default to fill `width`), width (CSS pixels).
export function drawHeatmap(canvas, grid, { label, maxAbs = maxAbsOf(grid), frame = null, width = 128 } = {}) {
  const [rows, cols] = [grid.length, grid[0].length];
  const cell = Math.max(2, Math.floor(width / Math.max(rows, cols)));
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(cols * cell * ratio);
  canvas.height = Math.round(rows * cell * ratio);
  canvas.style.width = `${cols * cell}px`;
  canvas.style.height = `${rows * cell}px`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const rgb = [0, 0, 0];
  grid.forEach((row, r) =>
    row.forEach((value, c) => {
      const [red, green, blue] = divergingInto(value, maxAbs, rgb);
      ctx.fillStyle = `rgb(${red} ${green} ${blue})`;
      ctx.fillRect(c * cell, r * cell, cell, cell);
    }),
  );
  if (frame) strokeBox(ctx, frame.left * cell + 1, frame.top * cell + 1, frame.cols * cell - 2, frame.rows * cell - 2, false);
}
