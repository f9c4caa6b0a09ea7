// Strings shared by every page: navigation, language switch, generic errors.
import { registerStrings } from "./i18n.js";

registerStrings({
  en: {
    "nav.skip": "Skip to the page",
    "nav.label": "Main",
    "nav.language": "Language",
    "nav.playground": "Playground",
    "nav.image": "Image lab",
    "nav.rf": "Receptive field",
    "nav.pooling": "Pooling",
    "nav.normalization": "Normalization",
    "nav.dropout": "Dropout",
    "nav.residual": "Residual",
    "nav.model": "Your model",
    "nav.api": "API",
    "instructor.note": "Your teacher set up this page: controls marked with a grey bar are fixed.",
    "error.network": "The server did not answer: {message}",
    "error.generic": "Something went wrong: {message}",
  },
  ru: {
    "nav.skip": "Перейти к странице",
    "nav.label": "Главное меню",
    "nav.language": "Язык",
    "nav.playground": "Песочница",
    "nav.image": "Лаборатория изображений",
    "nav.rf": "Рецептивное поле",
    "nav.pooling": "Пулинг",
    "nav.normalization": "Нормализация",
    "nav.dropout": "Дропаут",
    "nav.residual": "Остаточные связи",
    "nav.model": "Ваша модель",
    "nav.api": "API",
    "instructor.note": "Эту страницу настроил преподаватель: элементы с серой полосой слева менять нельзя.",
    "error.network": "Сервер не ответил: {message}",
    "error.generic": "Что-то пошло не так: {message}",
  },
});
