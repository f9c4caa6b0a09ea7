// A small seeded generator (mulberry32) so a page's random tensors are reproducible from the URL.

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Standard normal samples by Box–Muller.
export function normalSampler(seed) {
  const uniform = mulberry32(seed);
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

// Nested lists of `shape`, each value rounded to 2 decimals; fill(indices) gives the value at an index.
export function tensor(shape, fill) {
  const build = (depth, prefix) =>
    depth === shape.length
      ? Math.round(fill(prefix) * 100) / 100
      : Array.from({ length: shape[depth] }, (_, i) => build(depth + 1, [...prefix, i]));
  return build(0, []);
}

// An N×C×H×W batch whose channel c is drawn from N(shift[c], scale[c]²).
export function randomBatch([n, c, h, w], seed, shift, scale) {
  const normal = normalSampler(seed);
  return tensor([n, c, h, w], ([, ch]) => shift[ch] + scale[ch] * normal());
}
