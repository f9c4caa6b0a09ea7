// Number formatting shared by the pages: a real minus sign, a fixed number of decimals, no "-0"; powers of ten
// with superscripts; digits grouped by thin spaces.

export function fmt(value, digits = 2) {
  if (!Number.isFinite(value)) return String(value);
  const rounded = Number(value.toFixed(digits));
  const text = (Object.is(rounded, -0) ? 0 : rounded).toFixed(digits);
  return text.startsWith("-") ? `−${text.slice(1)}` : text;
}

// Large or small magnitudes in scientific notation (1.2·10¹⁵), others with `digits` significant digits.
export function fmtSci(value, digits = 3) {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent >= -2 && exponent < 5) return fmt(value, Math.max(0, digits - 1 - exponent));
  const mantissa = value / 10 ** exponent;
  return `${fmt(mantissa, digits - 1)}·${pow10(exponent)}`;
}

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

// 10 to an integer power with a superscript exponent: 10¹³, 10⁻²
export function pow10(exponent) {
  return `10${[...String(exponent)].map((ch) => SUPERSCRIPT[ch]).join("")}`;
}

// A ratio as a count for t(): a number up to 10⁵ (so that «в 2 раза», «в 5376 раз» take the right form), its
// scientific notation as text beyond
export function fmtFactor(value) {
  const text = fmtSci(value, 3);
  return text.includes("·") ? text : Number(text);
}

// An integer with its digits grouped by thin spaces (138 357 544); "—" when there is none.
export function groupDigits(n) {
  return n === null || n === undefined ? "—" : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

// A per-axis [h, w] pair as one number when both are equal, else "h×w".
export function pair([h, w]) {
  return h === w ? String(h) : `${h}×${w}`;
}
