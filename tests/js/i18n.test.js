import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { pluralForm, render, stringTable, formatCount } from "../../static/js/common/i18n.js";
import { glossaryProblems } from "../../static/js/common/glossary.js";

// Every string table of every page, found by name so a new page's table is checked without a change here.
const STATIC = new URL("../../static/js/", import.meta.url);
const tables = readdirSync(STATIC, { recursive: true }).filter((p) => /strings\.js$/.test(p));
for (const path of tables) await import(new URL(path, STATIC));

function entries(lang) {
  return Object.entries(stringTable(lang));
}

test("the string tables were found and registered", () => {
  assert.ok(tables.length >= 8, tables.join(", "));
  assert.ok(entries("en").length > 300);
});

test("every string key exists in both languages", () => {
  const ru = new Set(Object.keys(stringTable("ru")));
  const en = new Set(Object.keys(stringTable("en")));
  assert.deepEqual([...en].filter((k) => !ru.has(k)), [], "keys only in English");
  assert.deepEqual([...ru].filter((k) => !en.has(k)), [], "keys only in Russian");
});

test("every string uses the same {slots} in both languages", () => {
  const slots = (entry) => {
    const texts = typeof entry === "string" ? [entry] : Object.values(entry);
    return [...new Set(texts.flatMap((s) => s.match(/\{\w+\}/g) ?? []))].sort();
  };
  const ru = stringTable("ru");
  const differ = entries("en").filter(([key, en]) => key in ru && slots(en).join() !== slots(ru[key]).join());
  assert.deepEqual(differ.map(([key]) => key), []);
});

test("plural strings have every form their language needs and a {count}", () => {
  const needs = { ru: ["one", "few", "many", "other"], en: ["one", "other"] };
  for (const lang of ["ru", "en"]) {
    for (const [key, entry] of entries(lang)) {
      if (typeof entry === "string") continue;
      assert.deepEqual(Object.keys(entry).sort(), [...needs[lang]].sort(), `${lang} ${key}`);
      for (const form of Object.values(entry)) assert.match(form, /\{count\}/, `${lang} ${key}`);
    }
  }
});

test("Russian plural forms follow Intl.PluralRules", () => {
  const steps = { one: "после {count} шага", few: "после {count} шагов", many: "после {count} шагов", other: "после {count} шага" };
  const nets = { one: "{count} сеть", few: "{count} сети", many: "{count} сетей", other: "{count} сети" };
  assert.equal(render("ru", nets, { count: 1 }), "1 сеть");
  assert.equal(render("ru", nets, { count: 32 }), "32 сети");
  assert.equal(render("ru", nets, { count: 11 }), "11 сетей");
  assert.equal(render("ru", nets, { count: 25 }), "25 сетей");
  assert.equal(render("ru", nets, { count: 1.5 }), "1.5 сети");
  assert.equal(render("ru", steps, { count: 21 }), "после 21 шага");
  assert.equal(pluralForm("en", { one: "step", other: "steps" }, 1), "step");
  assert.equal(pluralForm("en", { one: "step", other: "steps" }, 0), "steps");
  assert.equal(render("en", "{a} and {b}", { a: 1 }), "1 and {b}");
});

test("every string of every table fills its slots as a slot-by-slot replacement does", () => {
  const vars = { n: 3, count: 1234, c: "x", r: -1, k: 0, h: "a{b}", w: "$&" };
  const slotBySlot = (text) => text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(name === "count" ? formatCount(vars.count) : vars[name]) : m));
  for (const lang of ["en", "ru"]) {
    for (const [key, entry] of entries(lang)) {
      const text = typeof entry === "string" ? entry : pluralForm(lang, entry, vars.count);
      assert.equal(render(lang, entry, vars), slotBySlot(text), `${lang} ${key}`);
    }
  }
  assert.equal(render("en", "{{n}} {n}{missing}", vars), "{3} 3{missing}");
});

test("counts are grouped by thousands with a no-break space", () => {
  assert.equal(formatCount(138357544), "138\u00a0357\u00a0544");
  assert.equal(formatCount(12), "12");
});

test("no Russian string counts with a bare number before a noun of the wrong form", () => {
  // The default screens once said «после 1 шагов обучения», «32 сетей», «(2 чисел)», «1 средних».
  const bare = /\{(n|count|k|c)\}\s+(шагов|сетей|чисел|средних|параметров|узлов|слоёв|строк|столбцов|клеток|произведений|значений|признаков)/;
  const found = entries("ru").filter(([, s]) => typeof s === "string" && bare.test(s));
  assert.deepEqual(found.map(([key, s]) => `${key}: ${s}`), []);
});

test("every Russian string uses the glossary's terms", () => {
  const found = entries("ru").flatMap(([key, entry]) => {
    const texts = typeof entry === "string" ? [entry] : Object.values(entry);
    return texts.flatMap((s) => glossaryProblems(s).map((p) => `${key}: ${p} — ${s}`));
  });
  assert.deepEqual(found, []);
});

test("the glossary check catches what it is for", () => {
  assert.notDeepEqual(glossaryProblems("Шаг (stride)"), []);
  assert.notDeepEqual(glossaryProblems("по одному сдвигу (bias) на канал"), []);
  assert.notDeepEqual(glossaryProblems("VGG без batch norm"), []);
  assert.notDeepEqual(glossaryProblems("Seed"), []);
  assert.deepEqual(glossaryProblems("Страйд (stride)"), []);
  assert.deepEqual(glossaryProblems("ceil_mode округляет вверх; nn.AvgPool2d"), []);
  assert.deepEqual(glossaryProblems("Шаг {n} из {total}"), []);
});

test("the Russian texts the server sends (zoo, kernels, samples) use the glossary's terms", () => {
  const texts = JSON.parse(readFileSync(new URL("./fixtures/server_texts_ru.json", import.meta.url)));
  assert.ok(Object.keys(texts).length >= 20);
  const found = Object.entries(texts).flatMap(([key, s]) => glossaryProblems(s).map((p) => `${key}: ${p} — ${s}`));
  assert.deepEqual(found, []);
});
