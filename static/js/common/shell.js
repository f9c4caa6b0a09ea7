// What every page does first: shared strings, the language switch, the current nav link.
import "./strings.js";
import { applyI18n, setLang } from "./i18n.js";

export function initShell() {
  for (const button of document.querySelectorAll(".lang-switch [data-lang]")) {
    button.addEventListener("click", () => setLang(button.dataset.lang));
  }
  for (const link of document.querySelectorAll(".site-header nav a")) {
    if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
  }
  applyI18n();
}
