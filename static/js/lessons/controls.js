// Two-way bindings between form controls and one state object: the control shows state[key], and a change
// clamps the value to the control's min/max, stores it and calls onChange once.

function clampTo(input, value) {
  const min = input.min === "" ? -Infinity : Number(input.min);
  const max = input.max === "" ? Infinity : Number(input.max);
  return Math.min(max, Math.max(min, value));
}

// onClamp(typed, kept) is told when a typed value was outside the control's range.
export function bindNumber(input, state, key, onChange, { output, integer = true, format = String, onClamp } = {}) {
  const show = () => {
    input.value = String(state[key]);
    if (output) output.textContent = format(state[key]);
  };
  input.addEventListener(input.type === "range" ? "input" : "change", () => {
    const raw = integer ? Number.parseInt(input.value, 10) : Number.parseFloat(input.value);
    if (Number.isFinite(raw)) {
      state[key] = clampTo(input, raw);
      if (state[key] !== raw) onClamp?.(raw, state[key]);
    }
    show();
    onChange();
  });
  show();
  return show;
}

export function bindCheckbox(input, state, key, onChange) {
  const show = () => {
    input.checked = Boolean(state[key]);
  };
  input.addEventListener("change", () => {
    state[key] = input.checked;
    onChange();
  });
  show();
  return show;
}

// Radio buttons sharing `name`; each value attribute is one of the enum's values.
export function bindRadio(root, name, state, key, onChange) {
  const inputs = [...root.querySelectorAll(`input[type="radio"][name="${name}"]`)];
  const show = () => {
    for (const input of inputs) input.checked = input.value === state[key];
  };
  for (const input of inputs) {
    input.addEventListener("change", () => {
      if (!input.checked) return;
      state[key] = input.value;
      onChange();
    });
  }
  show();
  return show;
}

// Calls fn once, `ms` after the last call of a burst (a slider drag sends one request, not fifty).
export function debounce(fn, ms = 200) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Runs an async request and drops the answer if a newer request started meanwhile.
export function latest(fetcher) {
  let controller = null;
  return async (...args) => {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    try {
      const result = await fetcher(signal, ...args);
      return signal.aborted ? undefined : result;
    } catch (error) {
      if (error.name === "AbortError") return undefined;
      throw error;
    }
  };
}

// Runs an async task at once, never two at a time: calls while one runs make one more run after it, which
// sees the state as it is then. An edit is sent without waiting for a timer, and quick edits cost one request.
export function serially(task) {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = false;
    }
  };
}
