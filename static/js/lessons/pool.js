// Max and average pooling of one H×W plane with torch's rules, window by window, for the pooling lesson.
// Output sizes follow convcore.shapes.pool_output_size (ceil_mode drops a last window that would start in
// the right padding); tests/js/lessons.test.js and the browser test compare the numbers with convcore.

// o = ⌊(i + 2p − k + (s − 1 if ceil)) / s⌋ + 1, minus one if the last window starts past i + p; 0 if none fits.
export function poolOutputSize(size, kernel, stride, padding, ceilMode) {
  const numerator = size + 2 * padding - kernel + (ceilMode ? stride - 1 : 0);
  if (numerator < 0) return 0;
  let out = Math.floor(numerator / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + padding) out -= 1;
  return out;
}

// Window (oi, oj): its cells with their kind — "image", "pad" (inside the padding) or "beyond" (past the
// padded input: only ceil_mode's extra window reaches there).
export function poolWindow(geom, oi, oj) {
  const { height, width, kernel, stride, padding } = geom;
  const cells = [];
  for (let a = 0; a < kernel; a++) {
    for (let b = 0; b < kernel; b++) {
      const r = oi * stride - padding + a;
      const c = oj * stride - padding + b;
      const inImage = r >= 0 && r < height && c >= 0 && c < width;
      const inPadded = r >= -padding && r < height + padding && c >= -padding && c < width + padding;
      cells.push({ r, c, kind: inImage ? "image" : inPadded ? "pad" : "beyond" });
    }
  }
  return cells;
}

// One pooling step: the window, its values, and the result. Max: the first largest image value wins
// (padding is −∞). Avg: the sum of image values over torch's divisor — the window clipped to the padded
// input (count_include_pad) or to the image.
export function poolStep(geom, plane, oi, oj) {
  const cells = poolWindow(geom, oi, oj);
  const image = cells.filter((cell) => cell.kind === "image");
  if (geom.mode === "max") {
    let winner = null;
    for (const cell of image) if (winner === null || plane[cell.r][cell.c] > plane[winner.r][winner.c]) winner = cell;
    return { cells, winner, value: plane[winner.r][winner.c] };
  }
  const sum = image.reduce((acc, cell) => acc + plane[cell.r][cell.c], 0);
  const counted = geom.countIncludePad ? cells.filter((cell) => cell.kind !== "beyond") : image;
  return { cells, sum, divisor: counted.length, value: sum / counted.length };
}

export function poolGeometry({ height, width, kernel, stride, padding, ceilMode, mode, countIncludePad = true }) {
  return {
    height,
    width,
    kernel,
    stride,
    padding,
    ceilMode,
    mode,
    countIncludePad,
    outHeight: poolOutputSize(height, kernel, stride, padding, ceilMode),
    outWidth: poolOutputSize(width, kernel, stride, padding, ceilMode),
  };
}

export function poolPlane(geom, plane) {
  return Array.from({ length: geom.outHeight }, (_, i) =>
    Array.from({ length: geom.outWidth }, (_, j) => poolStep(geom, plane, i, j).value),
  );
}

// Global average pooling: one mean per channel, whatever the plane size.
export function globalAvgPool(volume) {
  return volume.map((plane) => {
    const values = plane.flat();
    return values.reduce((a, b) => a + b, 0) / values.length;
  });
}
