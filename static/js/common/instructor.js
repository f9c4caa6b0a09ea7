// Instructor links, like TensorFlow Playground's URL flags: a teacher presets a page through its usual URL
// keys and adds
//   lock=k1,k2   those controls show their value but cannot be changed,
//   hide=k1,k2   those controls are not shown,
//   present=1    projector mode: large type and large grids.
// A key names a control by its URL key: the form control whose id or name is the key or ends in "-key"
// (`pool-k`, `pg-kh`, `name="mode"`), or an element marked data-param="key".

import { t } from "./i18n.js";

const WRAPPERS = ".control, .field, fieldset, label, [data-param]";
const FORM = "input, select, textarea, button";

export function instructorFlags(search = globalThis.location?.search ?? "") {
  const params = new URLSearchParams(search);
  const list = (name) => (params.get(name) ?? "").split(",").map((key) => key.trim()).filter((key) => /^[\w-]+$/.test(key));
  const present = params.get("present");
  return { lock: list("lock"), hide: list("hide"), present: present === "1" || present === "true" };
}

// The wrappers of the controls a key names: the unit that is hidden, and whose form controls are locked.
export function controlsFor(root, key) {
  const named = root.querySelectorAll(
    `[data-param~="${key}"], :is(${FORM})[id="${key}"], :is(${FORM})[id$="-${key}"], :is(${FORM})[name="${key}"], :is(${FORM})[name$="-${key}"]`,
  );
  const wrappers = new Set();
  for (const el of named) wrappers.add((el.type === "radio" && el.closest("fieldset")) || el.closest(WRAPPERS) || el);
  return [...wrappers];
}

function lockedControls(root, keys) {
  return keys.flatMap((key) => controlsFor(root, key)).flatMap((w) => (w.matches(FORM) ? [w] : [...w.querySelectorAll(FORM)]));
}

// Applies the flags to the page, and keeps them applied while the page rebuilds or re-enables its controls.
export function applyInstructor(flags = instructorFlags(), root = document.querySelector("main")) {
  document.documentElement.classList.toggle("present", flags.present);
  if (!root || (flags.lock.length === 0 && flags.hide.length === 0)) return;
  if (flags.lock.length > 0) {
    const note = document.createElement("p");
    note.className = "note instructor-note";
    note.dataset.i18n = "instructor.note";
    note.textContent = t("instructor.note");
    root.prepend(note);
  }
  const apply = () => {
    for (const key of flags.hide) for (const w of controlsFor(root, key)) w.classList.add("instructor-hidden");
    for (const el of lockedControls(root, flags.lock)) {
      if (!el.disabled) el.disabled = true;
      el.closest(WRAPPERS)?.classList.add("instructor-locked");
    }
  };
  apply();
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      apply();
    });
  }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"] });
}
