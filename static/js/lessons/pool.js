// Pooling geometry the pooling lesson needs before (and besides) the server's answer: torch's output size,
// to keep an impossible setup from being chosen, and where a window cell lies. The values, winners and
// divisors come from /api/v1/ops/{max,avg}_pool2d?trace=true.

// o = ⌊(i + 2p − k + (s − 1 if ceil)) / s⌋ + 1, minus one if the last window starts past i + p; 0 if none fits.
export function poolOutputSize(size, kernel, stride, padding, ceilMode) {
  const numerator = size + 2 * padding - kernel + (ceilMode ? stride - 1 : 0);
  if (numerator < 0) return 0;
  let out = Math.floor(numerator / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + padding) out -= 1;
  return out;
}

// "image", "pad" (inside the zero/−∞ padding) or "beyond" (past the padded input: only ceil_mode's last
// window reaches there) for input cell (r, c) of an H×W plane with padding p.
export function cellKind(r, c, height, width, padding) {
  if (r >= 0 && r < height && c >= 0 && c < width) return "image";
  const inside = (v, size) => v >= -padding && v < size + padding;
  return inside(r, height) && inside(c, width) ? "pad" : "beyond";
}
