// One typed list of state properties that serializes to and from the URL (after tensorflow/playground's
// state.ts), so that every view is a shareable link. Values equal to their default are left out.

function parse(prop, raw) {
  switch (prop.type) {
    case "int": {
      const n = Number.parseInt(raw, 10);
      if (!Number.isFinite(n)) return prop.default;
      return Math.min(prop.max ?? n, Math.max(prop.min ?? n, n));
    }
    case "float": {
      const x = Number.parseFloat(raw);
      if (!Number.isFinite(x)) return prop.default;
      return Math.min(prop.max ?? x, Math.max(prop.min ?? x, x));
    }
    case "bool":
      return raw === "1" || raw === "true";
    case "enum":
      return prop.values.includes(raw) ? raw : prop.default;
    case "floats": {
      const xs = raw.split(",").map(Number.parseFloat);
      return xs.every(Number.isFinite) ? xs : prop.default;
    }
    default:
      return raw;
  }
}

function format(prop, value) {
  if (prop.type === "bool") return value ? "1" : "0";
  if (prop.type === "floats") return value.map((x) => String(Math.round(x * 1e4) / 1e4)).join(",");
  return String(value);
}

function same(a, b) {
  return Array.isArray(a) ? Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]) : a === b;
}

export function readState(props, search = globalThis.location?.search ?? "") {
  const params = new URLSearchParams(search);
  const state = {};
  for (const prop of props) {
    state[prop.key] = params.has(prop.key) ? parse(prop, params.get(prop.key)) : structuredClone(prop.default);
  }
  return state;
}

export function serializeState(props, state, base = "") {
  const params = new URLSearchParams(base);
  for (const prop of props) {
    if (same(state[prop.key], prop.default)) params.delete(prop.key);
    else params.set(prop.key, format(prop, state[prop.key]));
  }
  return params.toString();
}

// An unchanged address is not written again: history.replaceState took 20–40 ms a call on a loaded machine.
export function writeState(props, state) {
  const query = serializeState(props, state, location.search);
  if (query === location.search.slice(1)) return;
  history.replaceState(history.state, "", query ? `${location.pathname}?${query}` : location.pathname);
}

// For a page whose answer comes from the server: the address once that answer is on screen. history.replaceState
// takes several ms under load, and Chromium then fetches the favicon again, from a server that may still be
// computing. getState() is read then, so the address says what is shown.
export function writeStateAfterPaint(props, getState) {
  requestAnimationFrame(() => setTimeout(() => writeState(props, getState())));
}
