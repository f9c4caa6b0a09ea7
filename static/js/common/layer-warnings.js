// A layer's warnings from /api/v1/shapes (unread rows, skipped pixels, no receptive field), worded per
// language; a code with no entry keeps the server's English message. Used by every page with a layer table.
import { registerStrings, t } from "./i18n.js";

registerStrings({
  en: {
    "layer.warn.unread": "{axis} unread at the end: {count}",
    "layer.warn.gaps": "stride > kernel: skipped in every stride ({axis}): {count}",
    "layer.warn.rf_transposed": "upsampling: no receptive field from here",
    "layer.warn.rf_needs_input": "needs the input size",
    "layer.axis.height": "rows",
    "layer.axis.width": "columns",
  },
  ru: {
    "layer.warn.unread": "не читаются в конце ({axis}): {count}",
    "layer.warn.gaps": "страйд > ядра: в каждом страйде пропущено ({axis}): {count}",
    "layer.warn.rf_transposed": "повышение разрешения: дальше рецептивное поле не определено",
    "layer.warn.rf_needs_input": "нужен размер входа",
    "layer.axis.height": "строки",
    "layer.axis.width": "столбцы",
  },
});

export function warningText(w) {
  const key = `layer.warn.${w.code}`;
  const text = t(key, { count: w.count ?? "", axis: w.axis ? t(`layer.axis.${w.axis}`) : "" });
  return text === key ? w.message : text;
}
