// The one reduced-motion policy of the site: with `prefers-reduced-motion: reduce`, Play still works, but each
// step appears at once (no flash, no transition) and steps come at most once a second, so nothing on the page
// moves faster than a student can follow by reading.

const REDUCED_STEPS_PER_SECOND = 1;
const query = globalThis.matchMedia?.("(prefers-reduced-motion: reduce)");

export function reducedMotion() {
  return Boolean(query?.matches);
}

// The rate an animation may actually run at, in steps per second.
export function stepRate(stepsPerSecond) {
  return reducedMotion() ? Math.min(stepsPerSecond, REDUCED_STEPS_PER_SECOND) : stepsPerSecond;
}
