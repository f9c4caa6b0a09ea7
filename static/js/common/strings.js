// Strings shared by every page: navigation, language switch, generic errors.
import { registerStrings } from "./i18n.js";

registerStrings({
  en: {
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
    "error.network": "The server did not answer: {message}",
    "error.generic": "Something went wrong: {message}",
    "api.busy": "The server is busy with other requests; retrying in {seconds} s…",
  },
  ru: {
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
    "error.network": "Сервер не ответил: {message}",
    "error.generic": "Что-то пошло не так: {message}",
    "api.busy": "Сервер занят другими запросами; повторяем через {seconds} с…",
  },
});
