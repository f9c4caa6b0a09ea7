// The lecture's question at the end of a page: the student types an answer and checks it; a wrong one gets
// the question's hint and another try before the number the page computes (from the API) is shown with its
// formula. Texts are i18n keys, so a language switch re-renders.
import { t } from "../common/i18n.js";

let counter = 0;

// spec: {question: key, questionVars: () => vars for the key, hint: key, compute: async () => ({value,
// formula, explanation}), tolerance}
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
  const reveal = document.createElement("button");
  reveal.type = "button";
  const result = document.createElement("div");
  result.className = "question-result";
  result.setAttribute("aria-live", "polite");
  row.append(label, input, button, reveal);
  section.append(title, row, result);
  container.append(section);

  // A wrong number gets a hint and another try; the answer shows after MAX_TRIES wrong ones, a right one,
  // or "Show the answer". Text that is not a number is not a try.
  let last = null;
  let tries = 0;
  let revealed = false;
  let verdict = null; // {key, ok}
  function renderText() {
    title.textContent = t(spec.question, spec.questionVars?.() ?? {});
    label.textContent = t("lesson.yourAnswer");
    button.textContent = t("lesson.check");
    reveal.textContent = t("lesson.showAnswer");
  }
  function paragraph(text, className = "") {
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    return p;
  }
  function renderResult() {
    result.replaceChildren();
    if (verdict) result.append(paragraph(t(verdict.key, { count: MAX_TRIES - tries }), verdict.ok ? "verdict ok" : "verdict no"));
    if (verdict && !verdict.ok && !revealed && spec.hint) result.append(paragraph(t(spec.hint), "hint"));
    if (!revealed || !last) return;
    result.append(paragraph(`${t("lesson.answer")}: ${last.value}`, "answer"));
    if (last.formula) result.append(paragraph(last.formula, "formula"));
    if (last.explanation) result.append(paragraph(last.explanation));
  }
  async function compute() {
    try {
      last = await spec.compute();
      return true;
    } catch (error) {
      result.textContent = t("error.generic", { message: error.message });
      return false;
    }
  }
  async function check() {
    const guess = normalizedGuess(input.value);
    if (!revealed && !isNumberLike(guess)) {
      verdict = { key: "lesson.enterNumber", ok: false };
      renderResult();
      return;
    }
    if (!(await compute())) return;
    const correct = isNumberLike(guess) && isCorrect(guess, last.value, spec.tolerance ?? 0);
    if (!revealed) tries += 1;
    revealed ||= correct || tries >= MAX_TRIES;
    verdict = { key: correct ? "lesson.correct" : revealed ? "lesson.notQuite" : "lesson.tryAgain", ok: correct };
    renderResult();
  }
  async function showAnswer() {
    revealed = true;
    if (await compute()) renderResult();
  }
  button.addEventListener("click", check);
  reveal.addEventListener("click", showAnswer);
  input.addEventListener("keydown", (event) => event.key === "Enter" && check());
  // the explanation is written in the current language, so a switch recomputes it
  document.addEventListener("langchange", async () => {
    renderText();
    if (revealed && (await compute())) renderResult();
    else renderResult();
  });
  renderText();
  return { check, section, refresh: renderText };
}

const MAX_TRIES = 3;

// "2,5" and "−3" as typed on a Russian keyboard → "2.5", "-3"
export function normalizedGuess(text) {
  return text.trim().replace(",", ".").replace("−", "-").replace(/\s/g, "");
}

export function isNumberLike(guess) {
  return guess !== "" && Number.isFinite(Number(guess));
}

// Does the typed guess match the answer? Numbers compare within a relative tolerance, strings exactly.
export function isCorrect(guess, value, tolerance = 0) {
  if (typeof value === "string") return guess.replace(/\s/g, "") === value;
  const number = Number(guess);
  if (!Number.isFinite(number)) return false;
  return Math.abs(number - value) <= tolerance * Math.max(1, Math.abs(value));
}
