// The receptive-field growth plot (on the site's axes, common/plot.js) and the main path's chips.
import { t } from "../common/i18n.js";
import { drawAxes, logTicks, niceTicks, pathThrough, scale, sizeSvg, svgEl } from "../common/plot.js";

// series: {r: [{x, y, index}], s: [...], whole: [...]} (whole: nodes that see the whole input, drawn apart from
// r); chosen: the chosen node index; onChoose(index) on a point click.
export function drawGrowth(svg, series, { width, height, log, chosen }, onChoose) {
  const box = { left: 48, right: width - 12, top: 24, bottom: height - 36 };
  const all = [...series.r, ...series.s, ...series.whole];
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const yMax = Math.max(2, ...all.map((p) => p.y));
  const x = scale([0, xMax], [box.left, box.right]);
  const y = scale(log ? [1, yMax] : [0, yMax], [box.bottom, box.top], log);
  sizeSvg(svg, width, height, true);
  const axes = drawAxes({ box, sx: x, sy: y, yTicks: log ? logTicks(1, yMax, 6) : niceTicks(0, yMax, 8), log });
  axes.append(svgEl("text", { x: (box.left + box.right) / 2, y: height - 6, "text-anchor": "middle" }, t("model.xLabel")));
  axes.append(svgEl("text", { x: 4, y: 14 }, t("model.yLabel")));
  const groups = [axes];
  const at = (p) => [x(p.x), y(log ? Math.max(p.y, 1) : p.y)];
  for (const [key, points] of [["r", series.r], ["s", series.s], ["whole", series.whole]]) {
    const g = svgEl("g", { class: `series ${key}` });
    if (points.length) g.append(svgEl("path", { d: pathThrough(points.map(at)) }));
    for (const p of points) {
      const [cx, cy] = at(p);
      const circle = svgEl("circle", { cx, cy, r: p.index === chosen ? 5 : 3, "data-index": p.index });
      if (p.index === chosen) circle.classList.add("chosen");
      circle.append(svgEl("title", {}, `${key === "s" ? "S" : "r"} = ${p.y}`));
      circle.addEventListener("click", () => onChoose(p.index));
      g.append(circle);
    }
    groups.push(g);
  }
  const legend = svgEl("g", { class: "plot-legend" });
  const entries = [["r", t("model.seriesR")], ["s", t("model.seriesS")]];
  if (series.whole.length) entries.push(["whole", t("model.seriesWhole")]);
  // one entry per line, in the plot's top left corner, which the growing r leaves empty: a row of three did not
  // fit a phone
  entries.forEach(([key, label], i) => {
    legend.append(svgEl("rect", { x: box.left + 8, y: box.top + 2 + i * 16, width: 10, height: 10, class: `swatch ${key}` }));
    legend.append(svgEl("text", { x: box.left + 22, y: box.top + 11 + i * 16 }, label));
  });
  groups.push(legend);
  svg.replaceChildren(...groups);
}

// The main path as a list of buttons (one per step); ⊕ marks merges, a warning class misaligned ones.
export function renderPath(list, summary, steps, chosen, onChoose) {
  const items = steps.map((index) => {
    const node = summary.nodes[index];
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chip";
    if (node.role === "merge") button.classList.add("merge", ...(node.aligned ? [] : ["misaligned"]));
    const rf = node.receptive_field;
    const r = !rf ? "—" : rf.global?.[0] ? `${t("model.whole")} (${rf.size[0]})` : rf.size[0];
    const label = `${node.role === "merge" ? "⊕ " : ""}${t("model.pathItem", { node: node.target || node.name, r })}`;
    button.textContent = label;
    button.setAttribute("aria-pressed", String(index === chosen));
    button.disabled = node.receptive_field === null;
    button.addEventListener("click", () => onChoose(index));
    li.append(button);
    return li;
  });
  list.replaceChildren(...items);
}
