// A two-sided colour scale: zero is white, negatives blue, positives red, so a sign is never lost.

const NEG = [33, 102, 172];
const POS = [178, 24, 43];

export function divergingRgb(value, maxAbs) {
  const scale = maxAbs > 0 ? Math.max(-1, Math.min(1, value / maxAbs)) : 0;
  const end = scale < 0 ? NEG : POS;
  const a = Math.abs(scale);
  return end.map((c) => Math.round(255 + (c - 255) * a));
}

export function divergingColor(value, maxAbs) {
  const [r, g, b] = divergingRgb(value, maxAbs);
  return `rgb(${r} ${g} ${b})`;
}

// Black or white text, whichever reads better on the cell colour.
export function textColorOn(value, maxAbs) {
  const [r, g, b] = divergingRgb(value, maxAbs);
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#111" : "#fff";
}

export function maxAbsOf(values) {
  let m = 0;
  for (const v of values.flat(Infinity)) m = Math.max(m, Math.abs(v));
  return m;
}
