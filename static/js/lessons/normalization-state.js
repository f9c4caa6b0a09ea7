// The normalization lesson's state properties and its small pure arithmetic (group count, the sigmoid's
// departure from a straight line).

// The page's properties within its limits ({key: {min, max}} as the server renders them: app/limits.py,
// common/limits.js). The per-channel sliders hold one value per channel the page allows.
export function normalizationProps(limits) {
  return [
    { key: "n", type: "int", default: 3, ...limits.n },
    { key: "c", type: "int", default: 4, ...limits.c },
    { key: "size", type: "int", default: 2, ...limits.size },
    { key: "seed", type: "int", default: 1, ...limits.seed },
    { key: "momentum", type: "float", default: 0.1, ...limits.momentum },
    { key: "mode", type: "enum", default: "train", values: ["train", "eval"] },
    { key: "steps", type: "int", default: 1, min: 1, max: 60 },
    { key: "shift", type: "floats", default: [2, -1, 0.5, 3] },
    { key: "scale", type: "floats", default: [1.5, 0.5, 1, 2] },
    { key: "gamma", type: "floats", default: [1, 1, 1, 1] },
    { key: "beta", type: "floats", default: [0, 0, 0, 0] },
    { key: "mates", type: "int", default: 1, min: 1, max: 100000 },
    { key: "ag", type: "float", default: 4, min: 0.25, max: 6 },
    { key: "ab", type: "float", default: 0, min: -4, max: 4 },
    { key: "g", type: "int", default: 2, ...limits.g },
  ];
}
export const CHANNEL_SLIDERS = [
  { key: "shift", min: -4, max: 4, step: 0.25 },
  { key: "scale", min: 0.25, max: 3, step: 0.25 },
  { key: "gamma", min: -2, max: 3, step: 0.25 },
  { key: "beta", min: -3, max: 3, step: 0.25 },
];

// Group norm needs C divisible by G: the largest divisor of C not above the chosen G.
export function largestDivisor(c, g) {
  for (let d = Math.min(c, g); d > 1; d--) if (c % d === 0) return d;
  return 1;
}

export const sigmoid = (v) => 1 / (1 + Math.exp(-v));

// Largest gap between sigmoid(γ·x̂ + β) and its tangent line at x̂ = 0, over |x̂| ≤ 1 (one standard deviation).
export function nonlinearity(gamma, beta) {
  const s0 = sigmoid(beta);
  const slope = gamma * s0 * (1 - s0);
  let worst = 0;
  for (let i = 0; i <= 200; i++) {
    const x = -1 + i / 100;
    worst = Math.max(worst, Math.abs(sigmoid(gamma * x + beta) - (s0 + slope * x)));
  }
  return worst;
}
