// Number formatting shared by the lesson pages: a real minus sign, a fixed number of decimals, no "-0".

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
function pow10(exponent) {
  return `10${[...String(exponent)].map((ch) => SUPERSCRIPT[ch]).join("")}`;
}

// A ratio as a count for t(): a number up to 10⁵ (so that «в 2 раза», «в 5376 раз» take the right form), its
// scientific notation as text beyond
export function fmtFactor(value) {
  const text = fmtSci(value, 3);
  return text.includes("·") ? text : Number(text);
}

// The labels of one log axis in one format: powers of ten (10⁻¹, 10⁰) when every tick is one, else plain
// decimals (0.05, 0.1, 0.2, 0.5, 1), never the two mixed.
export function fmtLogTicks(ticks) {
  const powers = ticks.every((v) => v > 0 && Math.abs(v / 10 ** Math.round(Math.log10(v)) - 1) < 1e-9);
  return ticks.map((v) => (powers ? fmtPow10(v) : String(Number(v.toPrecision(3)))));
}

// Axis labels of a log scale: 10⁻², 10⁰, 10¹³ for exact powers of ten, fmtSci otherwise.
export function fmtPow10(value) {
  const exponent = Math.round(Math.log10(value));
  if (value > 0 && Math.abs(value / 10 ** exponent - 1) < 1e-9) {
    return pow10(exponent);
  }
  return fmtSci(value, 2);
}
