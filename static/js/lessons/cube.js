// The classic normalization figure (Wu & He, 2018, fig. 2): a cube with axes N (across), H·W (down) and
// C (into the page); the cells that share one (μ, σ²) with the first element are shaded.

const SVG = "http://www.w3.org/2000/svg";

// Visible faces of an N × C × HW cube in an oblique projection: the front face (channel 0), the top face
// (first H·W position) and the right face (last sample). Each cell: {face, n, c, k, points: [[x, y]...]}.
export function cubeCells(n, c, hw, { cell = 22, depth = 0.55 } = {}) {
  const dx = cell * depth;
  const dy = cell * depth * 0.8;
  const top = c * dy;
  const cells = [];
  const at = (x, y) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < hw; k++) {
      const x = i * cell;
      const y = top + k * cell;
      cells.push({ face: "front", n: i, c: 0, k, points: [at(x, y), at(x + cell, y), at(x + cell, y + cell), at(x, y + cell)] });
    }
  }
  const p = (i, j) => at(i * cell + j * dx, top - j * dy);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      cells.push({ face: "top", n: i, c: j, k: 0, points: [p(i, j), p(i + 1, j), p(i + 1, j + 1), p(i, j + 1)] });
    }
  }
  const q = (j, k) => at(n * cell + j * dx, top - j * dy + k * cell);
  for (let j = 0; j < c; j++) {
    for (let k = 0; k < hw; k++) {
      cells.push({ face: "side", n: n - 1, c: j, k, points: [q(j, k), q(j + 1, k), q(j + 1, k + 1), q(j, k + 1)] });
    }
  }
  return { cells, width: n * cell + c * dx, height: top + hw * cell };
}

// labels: statistics_index from the API, nested [n][c][h][w]; width: W (to split k into h, w).
export function drawCube(svg, labels, { title = "", axes = ["N", "C", "H·W"] } = {}) {
  const n = labels.length;
  const c = labels[0].length;
  const w = labels[0][0][0].length;
  const hw = labels[0][0].length * w;
  const label = (i, j, k) => labels[i][j][Math.floor(k / w)][k % w];
  const target = label(0, 0, 0);
  const { cells, width, height } = cubeCells(n, c, hw);
  const pad = 28;
  svg.replaceChildren();
  svg.setAttribute("viewBox", `${-pad} ${-4} ${width + 2 * pad} ${height + pad + 8}`);
  svg.setAttribute("role", "img");
  if (title) {
    const t = document.createElementNS(SVG, "title");
    t.textContent = title;
    svg.append(t);
  }
  for (const cell of cells) {
    const polygon = document.createElementNS(SVG, "polygon");
    polygon.setAttribute("points", cell.points.map((pt) => pt.join(",")).join(" "));
    const shared = label(cell.n, cell.c, cell.k) === target;
    polygon.setAttribute("class", shared ? "cube-cell shared" : "cube-cell");
    svg.append(polygon);
  }
  const text = (x, y, value, anchor = "middle") => {
    const node = document.createElementNS(SVG, "text");
    node.setAttribute("x", String(x));
    node.setAttribute("y", String(y));
    node.setAttribute("text-anchor", anchor);
    node.textContent = value;
    svg.append(node);
  };
  const front = cells.filter((cell) => cell.face === "front");
  const bottom = Math.max(...front.flatMap((cell) => cell.points.map((pt) => pt[1])));
  const right = Math.max(...front.flatMap((cell) => cell.points.map((pt) => pt[0])));
  text(right / 2, bottom + 13, axes[0]);
  text(-4, (bottom + front[0].points[0][1]) / 2, axes[2], "end");
  text(width - 2, 8, axes[1], "end");
}
