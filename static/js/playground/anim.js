// One requestAnimationFrame loop for the whole page. It runs while something needs drawing or the
// animation plays, and stops itself otherwise; pausing cancels the running token so a stale frame
// cannot advance the step after Pause. The rate obeys the site's reduced-motion policy (common/motion.js).
import { stepRate } from "../common/motion.js";

export function createLoop({ render, advance }) {
  let dirty = false;
  let frame = 0;
  let token = null;
  let last = 0;
  let carried = 0;

  function tick(now) {
    frame = 0;
    if (token && !token.cancelled) {
      const elapsed = last ? now - last : 0;
      last = now;
      carried += elapsed;
      // One step at most per frame, so a slow frame never skips a step the student should see.
      if (carried * token.speed >= 1000) {
        carried = Math.min(carried - 1000 / token.speed, 1000 / token.speed);
        if (!advance()) stop();
        dirty = true;
      }
    }
    if (dirty) {
      dirty = false;
      render();
    }
    if (token && !token.cancelled) frame = requestAnimationFrame(tick);
  }

  function wake() {
    if (!frame) frame = requestAnimationFrame(tick);
  }

  function stop() {
    if (token) token.cancelled = true;
    token = null;
  }

  return {
    schedule() {
      dirty = true;
      wake();
    },
    // Steps per second; the first step comes one period after Play, like pressing Step forward.
    play(speed) {
      stop();
      token = { cancelled: false, speed: stepRate(speed) };
      last = 0;
      carried = 0;
      wake();
    },
    setSpeed(speed) {
      if (token) token.speed = stepRate(speed);
    },
    stop,
    get playing() {
      return token !== null && !token.cancelled;
    },
  };
}
