// Drawing for the equivariance lesson: the row of maps with the trusted region marked, and the rows of the
// lecture's answer table from the measured numbers.
import { t } from "../common/i18n.js";
import { fmt, fmtSci } from "../common/format.js";

// One map of the row, made once and then updated in place: a slider change replaces only the pictures and
// captions that changed (an <img> whose src is the same is not decoded again).
function mapFigure(container, name) {
  let fig = container.querySelector(`figure[data-map="${name}"]`);
  if (fig) return fig;
  fig = document.createElement("figure");
  fig.dataset.map = name;
  const box = document.createElement("div");
  box.className = "map-box";
  const img = document.createElement("img");
  const mark = document.createElement("div");
  mark.className = "region";
  mark.hidden = true;
  box.append(img, mark);
  fig.append(box, document.createElement("figcaption"));
  container.append(fig);
  return fig;
}

function percent(part, whole) {
  return `${(100 * part) / whole}%`;
}

// Sets a figure's picture, caption and dashed region; resolves once a new picture is decoded.
function updateFigure(fig, { src, caption, region, size, offset }) {
  const img = fig.querySelector("img");
  fig.querySelector("figcaption").textContent = caption;
  img.alt = caption;
  // shift(x): the unshifted x moved inside its frame; what enters is black, as the zeros the server fills
  img.style.transform = offset ? `translate(${percent(offset[1], size.width)}, ${percent(offset[0], size.height)})` : "";
  const mark = fig.querySelector(".region");
  mark.hidden = !region;
  if (region) {
    mark.style.top = percent(region.top, size.height);
    mark.style.left = percent(region.left, size.width);
    mark.style.height = percent(region.bottom - region.top + 1, size.height);
    mark.style.width = percent(region.right - region.left + 1, size.width);
  }
  if (img.getAttribute("src") === src) return Promise.resolve();
  img.src = src;
  return img.decode().catch(() => undefined);
}

// Draws the row of maps and resolves once every changed picture is decoded (so a measured re-render
// includes painting).
export async function drawMaps(container, d) {
  const [dy, dx] = d.shift;
  const [oy, ox] = d.output_shift;
  const out = d.output;
  const maps = [
    ["input", { src: d.maps.input, caption: t("equi.figInput", { dy, dx }), size: d.input, offset: d.shift }],
    ["original", { src: d.maps.original, caption: t("equi.figOriginal", { ch: d.channel }), size: out }],
    ["shifted", { src: d.maps.shifted, caption: t("equi.figShifted"), region: d.region, size: out }],
    [
      "expected",
      { src: d.maps.expected, caption: t("equi.figExpected", { oy, ox }), region: d.region, size: out },
    ],
    [
      "difference",
      {
        src: d.maps.difference,
        caption: t("equi.figDifference", { scale: fmtSci(d.difference_scale, 2) }),
        region: d.region,
        size: out,
      },
    ],
  ];
  await Promise.all(maps.map(([name, spec]) => updateFigure(mapFigure(container, name), spec)));
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
