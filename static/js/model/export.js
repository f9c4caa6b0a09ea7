// The export commands under the upload form: a copy button per command. Where the clipboard API is missing
// (a page served over plain http from another machine), the command is selected for Ctrl+C instead.
import { t } from "../common/i18n.js";

const SHOWN_MS = 2000;

async function copy(code, status) {
  try {
    await navigator.clipboard.writeText(code.textContent);
    status.textContent = t("model.copied");
  } catch {
    window.getSelection().selectAllChildren(code);
    status.textContent = t("model.copyManual");
  }
  setTimeout(() => {
    status.textContent = "";
  }, SHOWN_MS);
}

// Wires every `button[data-copy]` in `root` to copy the element whose id it names; `status` is announced.
export function wireCopyButtons(root, status) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", () => copy(document.getElementById(button.dataset.copy), status));
  }
}
