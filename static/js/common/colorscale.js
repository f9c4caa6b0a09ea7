// A two-sided colour scale: zero is white, negatives blue, positives red, so a sign is never lost.

const NEG = [33, 102, 172];
const POS = [178, 24, 43];

// The colour of `value` written into `rgb` (three channels, 0–255): a canvas grid colours thousands of cells a
// change, and one array per cell kept the garbage collector busy.
export function divergingInto(value, maxAbs, rgb) {
  const scale = maxAbs > 0 ? Math.max(-1, Math.min(1, value / maxAbs)) : 0;
  const end = scale < 0 ? NEG : POS;
  const a = Math.abs(scale);
  for (let n = 0; n < 3; n++) rgb[n] = Math.round(255 + (end[n] - 255) * a);
  return rgb;
}

export function divergingRgb(value, maxAbs) {
  return divergingInto(value, maxAbs, [0, 0, 0]);
}

export function divergingColor(value, maxAbs) {
  const [r, g, b] = divergingRgb(value, maxAbs);
  return `rgb(${r} ${g} ${b})`;
}

// WCAG 2.1 relative luminance of an sRGB colour given as 0–255 channels.
export function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const BLACK = [0, 0, 0];
const WHITE = [255, 255, 255];

// Black or white text, whichever has the higher WCAG contrast on the cell colour. One of the two always
// reaches 4.5:1 on any colour of this scale (the worst case, where they tie, is about 4.6:1).
// The scale has a few hundred distinct colours, so each is judged once (a 32×32 grid redraws often).
const inkByColour = new Map();

export function textColorOn(value, maxAbs) {
  const cell = divergingRgb(value, maxAbs);
  const key = (cell[0] << 16) | (cell[1] << 8) | cell[2];
  let ink = inkByColour.get(key);
  if (ink === undefined) {
    ink = contrastRatio(cell, BLACK) >= contrastRatio(cell, WHITE) ? "#000" : "#fff";
    inkByColour.set(key, ink);
  }
  return ink;
}

export function maxAbsOf(values) {
  let m = 0;
  for (const v of values.flat(Infinity)) m = Math.max(m, Math.abs(v));
  return m;
}
