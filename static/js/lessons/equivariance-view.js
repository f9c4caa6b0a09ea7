// Drawing for the equivariance lesson: the row of maps with the trusted region marked, plain tables, and the
// lecture's answer table from the measured numbers.
import { t } from "../common/i18n.js";
import { fmt, fmtSci } from "./format.js";

function mapFigure(src, caption, name, region, size) {
  const fig = document.createElement("figure");
  fig.dataset.map = name;
  const box = document.createElement("div");
  box.className = "map-box";
  const img = document.createElement("img");
  img.alt = caption;
  img.src = src;
  box.append(img);
  if (region) {
    const mark = document.createElement("div");
    mark.className = "region";
    mark.style.top = `${(100 * region.top) / size.height}%`;
    mark.style.left = `${(100 * region.left) / size.width}%`;
    mark.style.height = `${(100 * (region.bottom - region.top + 1)) / size.height}%`;
    mark.style.width = `${(100 * (region.right - region.left + 1)) / size.width}%`;
    box.append(mark);
  }
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  fig.append(box, cap);
  return { fig, img };
}

// Replaces the maps and resolves once every image is decoded (so a measured re-render includes painting).
export async function drawMaps(container, d) {
  const [dy, dx] = d.shift;
  const [oy, ox] = d.output_shift;
  const out = d.output;
  const figures = [
    mapFigure(d.maps.input, t("equi.figInput", { dy, dx }), "input", null, d.input),
    mapFigure(d.maps.original, t("equi.figOriginal", { ch: d.channel }), "original", null, out),
    mapFigure(d.maps.shifted, t("equi.figShifted"), "shifted", d.region, out),
    mapFigure(d.maps.expected, t("equi.figExpected", { oy, ox }), "expected", d.region, out),
    mapFigure(d.maps.difference, t("equi.figDifference", { scale: fmtSci(d.difference_scale, 2) }), "difference", d.region, out),
  ];
  await Promise.all(figures.map(({ img }) => img.decode().catch(() => undefined)));
  container.replaceChildren(...figures.map(({ fig }) => fig));
}

export function drawTable(table, head, rows) {
  const tr = document.createElement("tr");
  for (const text of head) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    tr.append(th);
  }
  const thead = document.createElement("thead");
  thead.append(tr);
  const tbody = document.createElement("tbody");
  for (const row of rows) {
    const r = document.createElement("tr");
    row.forEach((text, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.textContent = text;
      r.append(cell);
    });
    tbody.append(r);
  }
  table.replaceChildren(thead, tbody);
}

// [operation, property, measured] for each row of the lecture's question; "—" until the numbers arrive.
export function answerRows(summary, shift) {
  const none = t("equi.notComputed");
  const s = summary?.stride ?? 2;
  const alias = summary?.alias.relative_error;
  const pool = summary?.pooling.unchanged["2"];
  const measured = (key, vars, ready) => (ready ? t(key, vars) : none);
  return [
    [
      t("equi.rowConv"),
      t("equi.rowConvP"),
      measured("equi.rowConvM", { err: fmtSci(summary?.stride1_shift1.max_error_inside ?? 0, 3) }, summary),
    ],
    [
      t("equi.rowStride", { s }),
      t("equi.rowStrideP", { s }),
      measured(
        "equi.rowStrideM",
        { s, one: fmtSci(alias?.["1"][1] ?? 0, 3), s_err: s <= 4 ? fmtSci(alias?.["1"][s] ?? 0, 3) : none },
        summary,
      ),
    ],
    [t("equi.rowBlur"), t("equi.rowBlurP"), measured("equi.rowBlurM", { one: fmtSci(alias?.["3"][1] ?? 0, 3) }, summary)],
    [
      t("equi.rowMax"),
      t("equi.rowMaxP"),
      measured("equi.rowMaxM", { one: fmt(pool?.[1] ?? 0, 3), four: fmt(pool?.[4] ?? 0, 3) }, summary),
    ],
    [
      t("equi.rowGap"),
      t("equi.rowGapP"),
      measured(
        "equi.rowGapM",
        { circular: fmtSci(shift?.gap.circular ?? 0, 2), filled: fmtSci(shift?.gap.filled ?? 0, 3) },
        shift,
      ),
    ],
    [
      t("equi.rowRot"),
      t("equi.rowRotP"),
      measured(
        "equi.rowRotM",
        Object.fromEntries(
          ["rot90", "flip", "scale2"].map((k) => [k, fmtSci(summary?.transforms[k].relative_error ?? 0, 3)]),
        ),
        summary,
      ),
    ],
  ];
}
