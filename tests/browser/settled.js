// Injected before any of a page's own scripts (context.add_init_script) by tests/browser/conftest.py: counts the
// work the page has scheduled, fetch() calls until their body has arrived and setTimeout() callbacks not yet run,
// so a test waits until the page has settled (its first render, its debounced requests and their answers drawn)
// instead of for 500 ms of quiet network.
(() => {
  const nativeSetTimeout = window.setTimeout.bind(window);
  const nativeClearTimeout = window.clearTimeout.bind(window);
  const nativeFetch = window.fetch.bind(window);
  const timers = new Set();
  let fetches = 0;
  let settledFrames = 0;

  window.setTimeout = (callback, ms, ...args) => {
    const id = nativeSetTimeout(() => {
      timers.delete(id);
      callback(...args);
    }, ms);
    timers.add(id);
    return id;
  };
  window.clearTimeout = (id) => {
    timers.delete(id);
    nativeClearTimeout(id);
  };
  window.fetch = (...args) => {
    fetches += 1;
    const done = () => {
      fetches -= 1;
    };
    return nativeFetch(...args).then(
      (response) => {
        response.clone().arrayBuffer().then(done, done);
        return response;
      },
      (error) => {
        done();
        throw error;
      },
    );
  };

  const settled = () =>
    document.readyState === "complete" &&
    fetches === 0 &&
    timers.size === 0 &&
    [...document.images].every((image) => image.complete);
  // Called once a frame (wait_for_function's "raf" polling) with a token new to each wait: true after three settled
  // frames in a row of that wait, so that what an answer's arrival schedules for the next frame has been drawn too.
  let waiting = null;
  window.__convvizSettled = (token) => {
    if (token !== waiting) {
      waiting = token;
      settledFrames = 0;
    }
    settledFrames = settled() ? settledFrames + 1 : 0;
    return settledFrames >= 3;
  };
})();
