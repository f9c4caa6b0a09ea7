// Strings shared by every page: navigation, language switch, generic errors.
import { registerStrings } from "./i18n.js";

registerStrings({
  en: {
    "nav.label": "Main",
    "nav.language": "Language",
    "nav.whyConv": "Why convolution",
    "nav.equivariance": "Equivariance",
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
  },
  ru: {
    "nav.label": "Главное меню",
    "nav.language": "Язык",
    "nav.whyConv": "Зачем свёртка",
    "nav.equivariance": "Эквивариантность",
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
  },
});
