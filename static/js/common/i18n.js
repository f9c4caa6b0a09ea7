// Russian and English. Strings are registered per module; elements carry data-i18n keys.
// The language comes from ?lang=, then localStorage, then the browser, and is remembered.

const LANGS = ["ru", "en"];
const STORAGE_KEY = "convviz.lang";
const strings = { ru: {}, en: {} };
let current = null;

export function registerStrings(table) {
  for (const lang of LANGS) Object.assign(strings[lang], table[lang] || {});
}

function initialLang() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (LANGS.includes(fromUrl)) return fromUrl;
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (LANGS.includes(stored)) return stored;
  return (navigator.language || "ru").toLowerCase().startsWith("en") ? "en" : "ru";
}

export function getLang() {
  if (current === null) current = initialLang();
  return current;
}

// t("key", {n: 3}) → the current language's string with {n} replaced; the key itself if missing.
export function t(key, vars = {}) {
  const text = strings[getLang()][key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export function applyI18n(root = document) {
  document.documentElement.lang = getLang();
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.setAttribute("title", t(el.dataset.i18nTitle));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  }
  for (const button of document.querySelectorAll(".lang-switch [data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === getLang()));
  }
}

export function setLang(lang) {
  if (!LANGS.includes(lang) || lang === current) return;
  current = lang;
  globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  const url = new URL(location.href);
  url.searchParams.set("lang", lang);
  history.replaceState(history.state, "", url);
  applyI18n();
  document.dispatchEvent(new CustomEvent("langchange", { detail: { lang } }));
}
