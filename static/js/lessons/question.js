// The lecture's question at the end of a page: the student types an answer, "Check" reveals the number the
// page computes (from the API) with its formula. Texts are i18n keys, so a language switch re-renders.
import { t } from "../common/i18n.js";

let counter = 0;

// spec: {question: key, questionVars: () => vars for the key, compute: async () => ({value, formula,
// explanation}), tolerance}
// value is a number (or a string for exact big integers); formula and explanation are plain text.
export function createQuestion(container, spec) {
  const id = `q${++counter}`;
  const section = document.createElement("section");
  section.className = "question-card";
  section.setAttribute("aria-labelledby", `${id}-title`);
  const title = document.createElement("h3");
  title.id = `${id}-title`;
  const row = document.createElement("div");
  row.className = "question-row";
  const label = document.createElement("label");
  label.htmlFor = `${id}-answer`;
  const input = document.createElement("input");
  input.id = `${id}-answer`;
  input.type = "text";
  input.inputMode = "decimal";
  input.autocomplete = "off";
  const button = document.createElement("button");
  button.type = "button";
  const result = document.createElement("div");
  result.className = "question-result";
  result.setAttribute("aria-live", "polite");
  row.append(label, input, button);
  section.append(title, row, result);
  container.append(section);

  let last = null;
  function renderText() {
    title.textContent = t(spec.question, spec.questionVars?.() ?? {});
    label.textContent = t("lesson.yourAnswer");
    button.textContent = t("lesson.check");
  }
  function renderResult() {
    result.replaceChildren();
    const verdict = document.createElement("p");
    const guess = input.value.trim().replace(",", ".").replace("−", "-");
    if (guess !== "") {
      const correct = isCorrect(guess, last.value, spec.tolerance ?? 0);
      verdict.textContent = t(correct ? "lesson.correct" : "lesson.notQuite");
      verdict.className = correct ? "verdict ok" : "verdict no";
      result.append(verdict);
    }
    const answer = document.createElement("p");
    answer.className = "answer";
    answer.textContent = `${t("lesson.answer")}: ${last.value}`;
    result.append(answer);
    if (last.formula) {
      const formula = document.createElement("p");
      formula.className = "formula";
      formula.textContent = last.formula;
      result.append(formula);
    }
    if (last.explanation) {
      const text = document.createElement("p");
      text.textContent = last.explanation;
      result.append(text);
    }
  }
  async function check() {
    try {
      last = await spec.compute();
      renderResult();
    } catch (error) {
      result.textContent = t("error.generic", { message: error.message });
    }
  }
  button.addEventListener("click", check);
  input.addEventListener("keydown", (event) => event.key === "Enter" && check());
  // the explanation is written in the current language, so a switch recomputes it
  document.addEventListener("langchange", () => {
    renderText();
    if (last) check();
  });
  renderText();
  return { check, section, refresh: renderText };
}

// Does the typed guess match the answer? Numbers compare within a relative tolerance, strings exactly.
export function isCorrect(guess, value, tolerance = 0) {
  if (typeof value === "string") return guess.replace(/\s/g, "") === value;
  const number = Number(guess);
  if (!Number.isFinite(number)) return false;
  return Math.abs(number - value) <= tolerance * Math.max(1, Math.abs(value));
}
