// Russian and English. Strings are registered per module; elements carry data-i18n keys.
// The language comes from ?lang=, then localStorage, then the browser, and is remembered.
//
// A string is text with {name} slots, or, when it counts something, an object of plural forms keyed by
// Intl.PluralRules categories ({one, few, many, other} in Russian, {one, other} in English) and chosen by
// the number in the `count` slot: t("rf.networks", {count: 32}) → «32 сети».

export const LANGS = ["ru", "en"];
const STORAGE_KEY = "convviz.lang";
const strings = { ru: {}, en: {} };
let current = null;

export function registerStrings(table) {
  for (const lang of LANGS) Object.assign(strings[lang], table[lang] || {});
}

/** Is there a string for `key` (in English, so in both: a test keeps the tables equal)? */
export function hasString(key) {
  return key in strings.en;
}

/** The registered table of one language (read-only use: tests compare the two). */
export function stringTable(lang) {
  return strings[lang];
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

const pluralRules = {};
const numberFormats = {};

/** 138357544 → "138 357 544" in either language (a no-break space groups thousands, as the pages print). */
export function formatCount(n) {
  numberFormats.x ??= new Intl.NumberFormat("en-US", { useGrouping: true, maximumFractionDigits: 20 });
  return numberFormats.x.format(n).replaceAll(",", "\u00a0");
}

/** The form of `forms` ({one, few, many, other}) that `lang` uses for the number n. */
export function pluralForm(lang, forms, n) {
  pluralRules[lang] ??= new Intl.PluralRules(lang);
  return forms[pluralRules[lang].select(n)] ?? forms.other;
}

// A text split once at its {slots}: [text, slot, text, slot, …, text]. The playground says a hundred texts a
// re-render, and a regular expression with a callback per text took a tenth of it.
const templates = new Map();

function templateOf(text) {
  let parts = templates.get(text);
  if (!parts) {
    parts = text.split(/\{(\w+)\}/);
    templates.set(text, parts);
  }
  return parts;
}

/** The text of `entry` (a string or plural forms) in `lang`, its {slots} filled from vars. */
export function render(lang, entry, vars = {}) {
  const parts = templateOf(typeof entry === "string" ? entry : pluralForm(lang, entry, Number(vars.count)));
  let text = parts[0];
  for (let n = 1; n < parts.length; n += 2) {
    const name = parts[n];
    if (!(name in vars)) text += `{${name}}`;
    else text += name === "count" && typeof vars.count === "number" ? formatCount(vars.count) : String(vars[name]);
    text += parts[n + 1];
  }
  return text;
}

// t("key", {n: 3}) → the current language's string with {n} replaced; the key itself if missing.
export function t(key, vars = {}) {
  const lang = getLang();
  const entry = strings[lang][key] ?? strings.en[key];
  return entry === undefined ? key : render(strings[lang][key] === undefined ? "en" : lang, entry, vars);
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
