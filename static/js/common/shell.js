// What every page does first: shared strings, the language switch, the current nav link, instructor flags.
import "./strings.js";
import { applyI18n, setLang } from "./i18n.js";
import { applyInstructor } from "./instructor.js";
import { keyboardScrollBoxes } from "./scrollboxes.js";

export function initShell() {
  for (const button of document.querySelectorAll(".lang-switch [data-lang]")) {
    button.addEventListener("click", () => setLang(button.dataset.lang));
  }
  for (const link of document.querySelectorAll(".site-header nav a")) {
    if (link.getAttribute("href") !== location.pathname) continue;
    link.setAttribute("aria-current", "page");
    // On a phone the links scroll sideways in one row: bring the current one into view.
    const nav = link.parentElement;
    if (nav.scrollWidth > nav.clientWidth) nav.scrollLeft = link.offsetLeft - nav.offsetLeft - 8;
  }
  applyI18n();
  applyInstructor();
  keyboardScrollBoxes();
}
