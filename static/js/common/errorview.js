// An error shown on a page, said again after a language switch: an ApiError's message is read in the
// current language each time (common/api.js), so re-rendering is all a switch needs.
import { t } from "./i18n.js";

const shown = new Map(); // element → render()

// error null hides the element; wrapKey ("error.generic") puts the message into a sentence.
export function showError(element, error, wrapKey = null) {
  if (!error) {
    shown.delete(element);
    element.hidden = true;
    element.textContent = "";
    return;
  }
  const render = () => {
    element.textContent = wrapKey ? t(wrapKey, { message: error.message }) : error.message;
  };
  shown.set(element, render);
  element.hidden = false;
  render();
}

document.addEventListener("langchange", () => {
  for (const render of shown.values()) render();
});
