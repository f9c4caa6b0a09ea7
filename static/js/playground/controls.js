// The hyper-parameter controls: a slider and a number field per value, sharing one visible label, with the
// reason under the control whenever its valid range is narrower than usual.
import { t } from "../common/i18n.js";
import { linkedRange } from "./ranges.js";
import { usesSame } from "./state.js";

const ROWS = [
  { key: "h", label: "ctl.h" },
  { key: "w", label: "ctl.w" },
  { key: "cin", label: "ctl.cin" },
  { key: "cout", label: "ctl.cout" },
  { key: "kh", pair: "kw", label: "ctl.kernel", axis: "h" },
  { key: "kw", label: "ctl.kernel", axis: "w" },
  { key: "sh", pair: "sw", label: "ctl.stride", axis: "h" },
  { key: "sw", label: "ctl.stride", axis: "w" },
  { key: "ph", pair: "pw", label: "ctl.padding", axis: "h", padding: true },
  { key: "pw", label: "ctl.padding", axis: "w", padding: true },
  { key: "dh", pair: "dw", label: "ctl.dilation", axis: "h" },
  { key: "dw", label: "ctl.dilation", axis: "w" },
  { key: "oph", pair: "opw", label: "ctl.output_padding", axis: "h", transposedOnly: true },
  { key: "opw", label: "ctl.output_padding", axis: "w", transposedOnly: true },
];

function makeRow(host, row, onChange) {
  const wrap = document.createElement("div");
  wrap.className = "control";
  const label = document.createElement("label");
  label.id = `pg-label-${row.key}`;
  label.htmlFor = `pg-${row.key}`;
  const slider = document.createElement("input");
  slider.type = "range";
  slider.id = `pg-${row.key}`;
  slider.step = "1";
  const number = document.createElement("input");
  number.type = "number";
  number.step = "1";
  number.setAttribute("aria-labelledby", label.id);
  const why = document.createElement("p");
  why.className = "pg-why note";
  why.id = `pg-why-${row.key}`;
  why.hidden = true;
  for (const input of [slider, number]) input.setAttribute("aria-describedby", why.id);
  wrap.append(label, slider, number, why);
  host.append(wrap);
  slider.addEventListener("input", () => onChange(row.key, Number(slider.value)));
  // Typing "12" passes through "1": apply what is in range at once, clamp the rest when the field is left.
  // `shown` keeps what update() last wrote to each element, so that it compares instead of reading the DOM.
  const shown = { wrap: {}, label: {}, slider: {}, number: {}, why: {} };
  const entry = { row, wrap, label, slider, number, why, typing: false, shown };
  number.addEventListener("input", () => {
    entry.typing = true;
    const v = Number(number.value);
    if (number.value !== "" && Number.isInteger(v) && v >= Number(number.min) && v <= Number(number.max)) {
      onChange(row.key, v);
    }
  });
  number.addEventListener("change", () => {
    entry.typing = false;
    onChange(row.key, Number(number.value) || Number(number.min));
  });
  return entry;
}

// The reason under a control, when its value sits on a bound that the other settings narrowed.
function reasonText(value, range) {
  const low = value <= range.min && range.whyMin ? t(range.whyMin.key, range.whyMin.vars) : "";
  const high = value >= range.max && range.whyMax ? t(range.whyMax.key, range.whyMax.vars) : "";
  return low && high ? `${low} ${high}` : low || high;
}

// Write `value` as property `name` of `el` when it differs from what was last written there (`shown`).
function put(shown, el, name, value) {
  if (shown[name] === value) return;
  shown[name] = value;
  el[name] = value;
}

function putRange(shown, input, range) {
  put(shown, input, "min", String(range.min));
  put(shown, input, "max", String(range.max));
  put(shown, input, "disabled", range.min === range.max);
}

function updateRow(r, state, all) {
  const { key, axis, pair, transposedOnly, padding } = r.row;
  const inapplicable = (transposedOnly && state.mode !== "transposed") || (padding && usesSame(state));
  put(r.shown.wrap, r.wrap, "hidden", (axis === "w" && !state.axes) || inapplicable);
  const labelKey = axis && state.axes ? `${r.row.label}.${axis}` : r.row.label;
  if (r.shown.label.key !== labelKey) {
    r.shown.label.key = labelKey;
    r.label.dataset.i18n = labelKey;
  }
  put(r.shown.label, r.label, "textContent", t(labelKey));
  const range = pair && !state.axes ? linkedRange(all, key, pair) : all[key];
  // Only what changed is written: every write to a range input's min or max re-sanitizes its value.
  putRange(r.shown.slider, r.slider, range);
  putRange(r.shown.number, r.number, range);
  const value = String(state[key]);
  if (r.slider.value !== value) r.slider.value = value;
  if (r.number.value !== value && !r.typing) r.number.value = value;
  const text = reasonText(state[key], range);
  put(r.shown.why, r.why, "hidden", text === "");
  put(r.shown.why, r.why, "textContent", text);
}

export function buildControls(host, onChange) {
  const rows = ROWS.map((row) => makeRow(host, row, onChange));
  return {
    update(state, all) {
      for (const r of rows) updateRow(r, state, all);
    },
  };
}
