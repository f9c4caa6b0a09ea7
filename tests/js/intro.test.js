import { test } from "node:test";
import assert from "node:assert/strict";
import { render, stringTable } from "../../static/js/common/i18n.js";
import { glossaryProblems } from "../../static/js/common/glossary.js";
import "../../static/js/common/strings.js";
import "../../static/js/lessons/equivariance-strings.js";
import "../../static/js/lessons/whyconv-strings.js";
import { fmtFactor, fmtSci } from "../../static/js/common/format.js";

const say = (lang, key, vars) => render(lang, stringTable(lang)[key], vars);

test("the two intro lessons register their tables, so the i18n parity and glossary tests cover them", () => {
  for (const lang of ["ru", "en"]) {
    const keys = Object.keys(stringTable(lang));
    assert.ok(keys.filter((k) => k.startsWith("why.")).length > 40, lang);
    assert.ok(keys.filter((k) => k.startsWith("equi.")).length > 80, lang);
  }
});

test("their tab titles are texts, not keys", () => {
  assert.equal(say("ru", "tab.why-conv"), "Зачем свёртка — convviz");
  assert.equal(say("en", "tab.equivariance"), "Equivariance and invariance — convviz");
});

test("stride is «страйд» and pooling is «пулинг» on the equivariance page", () => {
  const ru = Object.entries(stringTable("ru")).filter(([k]) => k.startsWith("equi.") || k.startsWith("why."));
  const texts = ru.flatMap(([, e]) => (typeof e === "string" ? [e] : Object.values(e)));
  assert.deepEqual(texts.filter((s) => /(^|[^а-яё])шаг|pooling|\(bias\)|(?<!\{)seed/i.test(s)), []);
  assert.deepEqual(texts.flatMap(glossaryProblems), []);
  assert.equal(say("ru", "equi.aliasTitle"), "Страйд её ломает; размытие перед прореживанием во многом её чинит");
});

test("counts shown on the two pages agree with their number", () => {
  const vars = { k: 3, p: 1, c: 4, seed: 0, s: 2, blur: "без размытия", h: 256, w: 256 };
  assert.match(say("ru", "equi.netText", { ...vars, count: 1 }), /^1 свёртка, /);
  assert.match(say("ru", "equi.netText", { ...vars, count: 2 }), /^2 свёртки, /);
  assert.match(say("en", "equi.netText1", { ...vars, count: 1 }), /^1 convolution 3×3/);
  assert.match(say("en", "equi.netText1", { ...vars, count: 3 }), /^3 convolutions 3×3/);
  assert.match(say("ru", "equi.q1", { s: 2, count: 4 }), /на 4 пикселя\./);
  assert.match(say("ru", "equi.q1", { s: 3, count: 6 }), /на 6 пикселей\./);
  assert.match(say("ru", "why.denseStat", { count: 64, diff: "0" }), /64 выхода:/);
  assert.match(say("en", "why.denseStat", { count: 1, diff: "0" }), /1 output:/);
});

test("large numbers are written with a superscript exponent, as on the other pages", () => {
  assert.equal(fmtSci(4.83e11, 3), "4.83·10¹¹");
  assert.equal(fmtSci(-2.5e-7, 2), "−2.5·10⁻⁷");
});

test("ratios take the form their number needs: «в 2 раза», «в 5 376 раз», «в 1.9 раза»", () => {
  const say2 = (count) => say("ru", "equi.aliasStat", { none: "0.04", blur: "0.02", count });
  assert.match(say2(fmtFactor(2)), /в 2 раза ближе/);
  assert.match(say2(fmtFactor(1.9)), /в 1.9 раза ближе/);
  assert.match(say("ru", "why.locality", { count: fmtFactor(5376) }), /в 5\u00a0376 раз меньше/);
  assert.match(say("ru", "why.sharing", { count: fmtFactor(50176), hw: 50176 }), /ещё в 50\u00a0176 раз меньше/);
  assert.match(say("en", "why.sharing", { count: fmtFactor(2.5e6), hw: 2.5e6 }), /another 2.50·10⁶× fewer/);
});
