import { registerStrings } from "../common/i18n.js";
import { initShell } from "../common/shell.js";

registerStrings({
  en: { "playground.title": "Convolution playground" },
  ru: { "playground.title": "Песочница свёрток" },
});
initShell();
