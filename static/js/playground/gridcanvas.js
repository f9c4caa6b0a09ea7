// Painting a grid too fine for numbers on a canvas, with the same meanings as the SVG cells' CSS classes:
// padding dashed and grey, inserted zeros dotted, unread cells crossed by a diagonal, outputs not yet
// computed faded, output_padding long-dashed; the window, hover, feeds and current marks as outlines.
// Two stacked canvases: the cells (grouped by colour, so each colour is parsed once) are repainted only when
// they change; the marks, which move on every animation step, have a transparent canvas of their own.

const LINE = "#c4cad2";
const STYLES = {
  pad: { fill: "#eceff3", stroke: "#8b95a1", dash: [3, 2], width: 1 },
  ins: { fill: "#f7f7f9", stroke: "#c4cad2", dash: [1, 2], width: 1 },
  oppad: { stroke: "#5b3d99", dash: [6, 2], width: 2 },
  "m-win": { stroke: "#111", dash: [], width: 2 },
  "m-hover": { stroke: "#111", dash: [2, 2], width: 2 },
  "m-feeds": { stroke: "#111", dash: [1, 2], width: 2.5 },
  "m-cur": { stroke: "#111", dash: [], width: 3 },
  "m-winner": { stroke: "#111", dash: [], width: 3 },
};
const BOXES = { "box-win": { width: 3, dash: [] }, "box-cur": { width: 2, dash: [] } };

function push(map, key, item) {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(item);
}

function outline(ctx, cells, size, style) {
  ctx.beginPath();
  for (const [r, c] of cells) ctx.rect(c * size + 0.5, r * size + 0.5, size - 2, size - 2);
  ctx.strokeStyle = style.stroke;
  ctx.lineWidth = style.width;
  ctx.setLineDash(style.dash);
  ctx.stroke();
}

function paintBase(base, grid, ratio) {
  const { cols, size, cells } = grid;
  const ctx = base.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, base.width, base.height);
  ctx.setTransform(ratio, 0, 0, ratio, ratio, ratio);
  // The 1-px gaps between cells show this background as the grid lines (cheaper than stroking each cell).
  ctx.fillStyle = LINE;
  ctx.fillRect(0, 0, grid.cols * size - 1, grid.rows * size - 1);
  const fills = new Map();
  const classes = new Map();
  for (let n = 0; n < cells.length; n++) {
    const cell = cells[n];
    const r = Math.floor(n / cols);
    const c = n % cols;
    const special = cell.classes.includes("pad") ? "pad" : cell.classes.includes("ins") ? "ins" : null;
    const fill = special ? STYLES[special].fill : cell.fill ?? "#fff";
    push(fills, `${cell.classes.includes("later") ? 0.35 : 1}|${fill}`, [r, c]);
    for (const cls of cell.classes) push(classes, cls, [r, c]);
  }
  for (const [key, list] of fills) {
    const [alpha, fill] = key.split("|");
    ctx.globalAlpha = Number(alpha);
    ctx.fillStyle = fill;
    ctx.beginPath();
    for (const [r, c] of list) ctx.rect(c * size, r * size, size - 1, size - 1);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  for (const [cls, list] of classes) {
    if (cls === "unread") {
      ctx.beginPath();
      for (const [r, c] of list) {
        ctx.moveTo(c * size, (r + 1) * size - 1);
        ctx.lineTo((c + 1) * size - 1, r * size);
      }
      ctx.strokeStyle = "#9a5b00";
      ctx.lineWidth = 1;
      ctx.setLineDash([]);
      ctx.stroke();
    } else if (STYLES[cls]?.stroke) {
      outline(ctx, list, size, STYLES[cls]);
    }
  }
}

function fit(canvas, width, height, ratio) {
  if (canvas.width === Math.round(width * ratio) && canvas.height === Math.round(height * ratio)) return false;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  return true;
}

// `base` holds the cells, `overlay` (stacked on top) the marks, boxes and keyboard cursor.
export function paintCanvas(base, overlay, grid) {
  const { rows, cols, size, marks } = grid;
  const ratio = globalThis.devicePixelRatio || 1;
  const width = cols * size + 2;
  const height = rows * size + 2;
  fit(overlay, width, height, ratio);
  if (fit(base, width, height, ratio) || grid.baseDirty) {
    paintBase(base, grid, ratio);
    grid.baseDirty = false;
  }
  const ctx = overlay.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  ctx.setTransform(ratio, 0, 0, ratio, ratio, ratio);
  for (const [name, set] of marks) {
    if (!set.size || !STYLES[`m-${name}`]) continue;
    outline(ctx, [...set].map((n) => [Math.floor(n / cols), n % cols]), size, STYLES[`m-${name}`]);
  }
  for (const box of grid.boxList) {
    const style = BOXES[box.cls] ?? BOXES["box-cur"];
    ctx.strokeStyle = "#111";
    ctx.lineWidth = style.width;
    ctx.setLineDash(style.dash);
    ctx.strokeRect(box.c0 * size - 0.5, box.r0 * size - 0.5, (box.c1 - box.c0 + 1) * size, (box.r1 - box.r0 + 1) * size);
  }
  if (grid.cursorShown && grid.cursor) {
    ctx.strokeStyle = "#ffb300";
    ctx.lineWidth = 3;
    ctx.setLineDash([]);
    ctx.strokeRect(grid.cursor[1] * size - 1.5, grid.cursor[0] * size - 1.5, size + 2, size + 2);
  }
}
