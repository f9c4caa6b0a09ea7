// Painting a grid too fine for numbers on a canvas, with the same meanings as the SVG cells' CSS classes:
// padding dashed and grey, inserted zeros dotted, unread cells crossed by a diagonal, outputs not yet
// computed faded, output_padding long-dashed; the window, hover, feeds and current marks as outlines.

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

function outline(ctx, cells, size, style) {
  ctx.beginPath();
  for (const [r, c] of cells) ctx.rect(c * size + 0.5, r * size + 0.5, size - 2, size - 2);
  ctx.strokeStyle = style.stroke;
  ctx.lineWidth = style.width;
  ctx.setLineDash(style.dash);
  ctx.stroke();
}

export function paintCanvas(canvas, grid) {
  const { rows, cols, size, cells, marks } = grid;
  const ratio = globalThis.devicePixelRatio || 1;
  const width = cols * size + 2;
  const height = rows * size + 2;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, ratio, ratio);
  ctx.clearRect(-1, -1, width, height);
  const groups = new Map();
  const add = (cls, r, c) => {
    if (!groups.has(cls)) groups.set(cls, []);
    groups.get(cls).push([r, c]);
  };
  for (let n = 0; n < cells.length; n++) {
    const cell = cells[n];
    const r = Math.floor(n / cols);
    const c = n % cols;
    const special = cell.classes.includes("pad") ? "pad" : cell.classes.includes("ins") ? "ins" : null;
    ctx.globalAlpha = cell.classes.includes("later") ? 0.35 : 1;
    ctx.fillStyle = special ? STYLES[special].fill : cell.fill ?? "#fff";
    ctx.fillRect(c * size, r * size, size - 1, size - 1);
    for (const cls of cell.classes) if (cls !== "later") add(cls, r, c);
  }
  for (const [name, set] of marks) for (const n of set) add(`m-${name}`, Math.floor(n / cols), n % cols);
  ctx.globalAlpha = 1;
  ctx.beginPath();
  for (let n = 0; n < cells.length; n++) {
    if (cells[n].classes.length) continue;
    ctx.rect((n % cols) * size + 0.5, Math.floor(n / cols) * size + 0.5, size - 2, size - 2);
  }
  ctx.strokeStyle = LINE;
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.stroke();
  for (const [cls, list] of groups) {
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
