// One requestAnimationFrame loop per page: redraws asked for during a frame run once, on the next frame, and
// Play advances a step at a time. The loop runs only while something waits to be drawn or Play is on; Stop
// cancels the running token, so a frame already queued cannot advance the step after Pause. Every rate goes
// through the site's reduced-motion policy (common/motion.js): Play still works, at most a step a second.
import { stepRate } from "./motion.js";

// render(): the page's whole redraw (the default of schedule); advance(): one step of Play, false to stop it.
export function createLoop({ render = () => {}, advance = () => false } = {}) {
  const pending = new Set();
  let frame = 0;
  let token = null;
  let last = 0;
  let carried = 0;

  function tick(now) {
    frame = 0;
    if (token && !token.cancelled) {
      carried += last ? now - last : 0;
      last = now;
      // one step at most per frame, so a slow frame never skips a step the student should see
      if (carried * token.speed >= 1000) {
        carried = Math.min(carried - 1000 / token.speed, 1000 / token.speed);
        if (!advance()) stop();
        pending.add(render);
      }
    }
    const draws = [...pending];
    pending.clear();
    for (const draw of draws) draw();
    if (pending.size || (token && !token.cancelled)) wake();
  }

  function wake() {
    if (!frame) frame = requestAnimationFrame(tick);
  }

  function stop() {
    if (token) token.cancelled = true;
    token = null;
  }

  return {
    // Draws on the next frame (once, however often it is asked for before then).
    schedule(draw = render) {
      pending.add(draw);
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
