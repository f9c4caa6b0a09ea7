// Painting a grid too fine for numbers on a canvas, with the same meanings as the SVG cells' CSS classes:
// padding dashed and grey (a dashed outline over the copied value in reflect, replicate or circular padding),
// a ceil_mode window's overhang past the padded input white with a dotted orange outline, inserted zeros dotted, unread cells crossed by a diagonal, outputs not yet
// computed faded, output_padding long-dashed; the window, hover, feeds and current marks as outlines.
// Two stacked canvases: the cells (grouped by colour, so each colour is parsed once) are repainted only when
// they change; the marks, which move on every animation step, have a transparent canvas of their own.

const LINE = "#c4cad2";
const STYLES = {
  pad: { fill: "#eceff3", stroke: "#8b95a1", dash: [3, 2], width: 1 },
  ins: { fill: "#f7f7f9", stroke: "#c4cad2", dash: [1, 2], width: 1 },
  copy: { stroke: "#4d5661", dash: [3, 2], width: 1.5 },
  past: { fill: "#fff", stroke: "#b35c00", dash: [1, 2], width: 1 },
  oppad: { stroke: "#5b3d99", dash: [6, 2], width: 2 },
  "m-win": { stroke: "#111", dash: [], width: 2 },
  "m-hover": { stroke: "#111", dash: [2, 2], width: 2 },
  "m-feeds": { stroke: "#111", dash: [1, 2], width: 2.5 },
  "m-cur": { stroke: "#111", dash: [], width: 3 },
  "m-winner": { stroke: "#111", dash: [], width: 3 },
};
const BOXES = { "box-win": { width: 3, dash: [] }, "box-cur": { width: 2, dash: [] } };

// Classes drawn as outlines over the cell fills.
const OUTLINED = new Set(["unread", ...Object.keys(STYLES).filter((cls) => STYLES[cls].stroke)]);
// What a class string means for painting, worked out once per distinct string (there are a handful).
const byClass = new Map();

function classPaint(cls) {
  let paint = byClass.get(cls);
  if (!paint) {
    const classes = cls ? cls.split(" ") : [];
    const special = ["pad", "ins", "past"].find((name) => classes.includes(name));
    paint = {
      fill: special && STYLES[special].fill,
      faded: classes.includes("later"),
      outlines: classes.filter((name) => OUTLINED.has(name)),
    };
    byClass.set(cls, paint);
  }
  return paint;
}

// What paintBase needs of one cell: its fill, whether it is faded (an output not yet computed) and the
// classes drawn as outlines.
export function canvasCell(value, cls, fill) {
  const paint = classPaint(cls);
  return { value, cls, paint: paint.fill || (fill ?? "#fff"), faded: paint.faded, outlines: paint.outlines };
}

function push(map, key, n) {
  const list = map.get(key);
  if (list) list.push(n);
  else map.set(key, [n]);
}

// `cells` are indices n = r * cols + c.
function outline(ctx, cells, cols, size, style) {
  ctx.beginPath();
  for (const n of cells) ctx.rect((n % cols) * size + 0.5, Math.floor(n / cols) * size + 0.5, size - 2, size - 2);
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
  // Cells grouped by fill, so each colour is parsed and filled once: opaque ones, then faded ones.
  const fills = [new Map(), new Map()];
  const outlines = new Map();
  for (let n = 0; n < cells.length; n++) {
    const cell = cells[n];
    push(fills[cell.faded ? 1 : 0], cell.paint, n);
    for (const cls of cell.outlines) push(outlines, cls, n);
  }
  fills.forEach((groups, faded) => {
    ctx.globalAlpha = faded ? 0.35 : 1;
    for (const [fill, list] of groups) {
      ctx.fillStyle = fill;
      ctx.beginPath();
      for (const n of list) ctx.rect((n % cols) * size, Math.floor(n / cols) * size, size - 1, size - 1);
      ctx.fill();
    }
  });
  ctx.globalAlpha = 1;
  for (const [cls, list] of outlines) {
    if (cls === "unread") {
      ctx.beginPath();
      for (const n of list) {
        const r = Math.floor(n / cols);
        const c = n % cols;
        ctx.moveTo(c * size, (r + 1) * size - 1);
        ctx.lineTo((c + 1) * size - 1, r * size);
      }
      ctx.strokeStyle = "#9a5b00";
      ctx.lineWidth = 1;
      ctx.setLineDash([]);
      ctx.stroke();
    } else {
      outline(ctx, list, cols, size, STYLES[cls]);
    }
  }
}

// The painted canvases only grow, in steps of GROW_STEP device pixels, and the stack clips them to the cells:
// reallocating a canvas costs a few milliseconds in Chromium, too much for eight of them on every change of
// the layer's shape. Only the sizing canvas under them, which has no bitmap, follows the grid exactly.
const GROW_STEP = 128;
const stepUp = (px) => Math.ceil(px / GROW_STEP) * GROW_STEP;

function grow(canvas, width, height, ratio) {
  const w = Math.max(canvas.width, stepUp(width * ratio));
  const h = Math.max(canvas.height, stepUp(height * ratio));
  if (canvas.width === w && canvas.height === h) return false;
  canvas.width = w;
  canvas.height = h;
  canvas.style.width = `${w / ratio}px`;
  canvas.style.height = `${h / ratio}px`;
  return true;
}

// `surface` sizes the stack, `base` holds the cells, `overlay` (on top) the marks, boxes and keyboard cursor.
export function paintCanvas(surface, base, overlay, grid) {
  const { rows, cols, size, marks } = grid;
  const ratio = globalThis.devicePixelRatio || 1;
  const width = cols * size + 2;
  const height = rows * size + 2;
  if (surface.style.width !== `${width}px` || surface.style.height !== `${height}px`) {
    surface.style.width = `${width}px`;
    surface.style.height = `${height}px`;
  }
  grow(overlay, width, height, ratio);
  if (grow(base, width, height, ratio) || grid.baseDirty) {
    paintBase(base, grid, ratio);
    grid.baseDirty = false;
  }
  const ctx = overlay.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  ctx.setTransform(ratio, 0, 0, ratio, ratio, ratio);
  for (const [name, set] of marks) {
    if (!set.size || !STYLES[`m-${name}`]) continue;
    outline(ctx, set, cols, size, STYLES[`m-${name}`]);
  }
  for (const box of grid.boxList) {
    const style = BOXES[box.cls] ?? BOXES["box-cur"];
    ctx.strokeStyle = "#111";
    ctx.lineWidth = style.width;
    ctx.setLineDash(style.dash);
    ctx.strokeRect(box.c0 * size - 0.5, box.r0 * size - 0.5, (box.c1 - box.c0 + 1) * size, (box.r1 - box.r0 + 1) * size);
  }
  if (grid.cursorShown && grid.cursor) {
    ctx.strokeStyle = "#b35c00";
    ctx.lineWidth = 3;
    ctx.setLineDash([]);
    ctx.strokeRect(grid.cursor[1] * size - 1.5, grid.cursor[0] * size - 1.5, size + 2, size + 2);
  }
}
