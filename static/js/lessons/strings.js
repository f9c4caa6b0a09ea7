// Strings shared by the lesson pages (the question widget, common controls).
import { registerStrings } from "../common/i18n.js";

registerStrings({
  en: {
    "lesson.yourAnswer": "Your answer",
    "lesson.check": "Check",
    "lesson.answer": "Answer",
    "lesson.correct": "Correct!",
    "lesson.notQuite": "Not quite — compare with the answer below.",
    "lesson.questions": "Questions from the lecture",
    "lesson.play": "Play",
    "lesson.pause": "Pause",
    "lesson.stepForward": "Step forward",
    "lesson.stepBack": "Step back",
    "lesson.speed": "Speed",
    "lesson.seed": "Seed",
    "lesson.loading": "Computing…",
  },
  ru: {
    "lesson.yourAnswer": "Ваш ответ",
    "lesson.check": "Проверить",
    "lesson.answer": "Ответ",
    "lesson.correct": "Верно!",
    "lesson.notQuite": "Не совсем — сравните с ответом ниже.",
    "lesson.questions": "Вопросы из лекции",
    "lesson.play": "Пуск",
    "lesson.pause": "Пауза",
    "lesson.stepForward": "Шаг вперёд",
    "lesson.stepBack": "Шаг назад",
    "lesson.speed": "Скорость",
    "lesson.seed": "Зерно (seed)",
    "lesson.loading": "Считаем…",
  },
});
