// The glossary: one word per concept, the lecture's word where it has one (lecture 6 says «страйд»,
// «паддинг», «пулинг», «смещение», «карта признаков», «остаточные связи»). tests/js/i18n.test.js checks every
// Russian string against AVOID, so a table that drifts from the lecture's word fails.

// Words that crept into the Russian tables for a concept the glossary names otherwise. "Шаг" stays the
// word for an animation or training step, so stride must never be called «шаг».
export const AVOID = [
  { pattern: /шаг\w*\s*\(stride\)|шаг \((высота|ширина)\)|эффективный шаг|шаг\w* >|\(шаг\)|меньше шага/i, use: "страйд" },
  { pattern: /разреж|дилатированн|разрежение/i, use: "дилатация" },
  { pattern: /сдвиг\w* \(bias\)|по одному сдвигу/i, use: "смещение" },
  { pattern: /усредняющ\w* пулинг|max pooling|average pooling/, use: "max-пулинг, avg-пулинг, глобальный avg-пулинг" },
  { pattern: /\bпитают|\bпитает/i, use: "«поступают на вход», «влияют на»" },
  { pattern: /разброс/i, use: "«рассеяние» (scatter)" },
  { pattern: /стебел/i, use: "«входной блок (stem)»" },
  { pattern: /меняется до/i, use: "«меняется на величину до»" },
  { pattern: /символьн/i, use: "«символическая размерность»" },
  { pattern: /\bчитаю\b|\bсчитаю\b|\bмой\b|\bмоя\b|\bмоё\b/i, use: "«вы»-форма: «Читаем…», «ваш»" },
];

// English words for glossary concepts. A Russian string may name a torch argument (`ceil_mode`,
// `padding="same"`, `nn.AvgPool2d`), write a formula (`momentum·batch`) or gloss a term in parentheses, but not use the English word as text.
const ENGLISH = /\b(stride|padding|dilation|pooling|bias|batch norm|dropout|residual|seed|momentum|scatter|stem)\b/i;

/** The glossary problems of one Russian string: [] when it says everything the glossary's way. */
export function glossaryProblems(text) {
  const problems = AVOID.filter(({ pattern }) => pattern.test(text)).map(({ pattern, use }) => `${pattern} → ${use}`);
  const prose = text
    .replace(/\([^()]*\)/g, "")
    .replace(/\S*[_.=/"«»`·]\S*/g, "")
    .replace(/\{\w+\}/g, "");
  const english = prose.match(ENGLISH);
  if (english) problems.push(`English «${english[0]}» in Russian text`);
  return problems;
}
