import { test } from "node:test";
import assert from "node:assert/strict";
import { STRINGS as EQUIVARIANCE } from "../../static/js/lessons/equivariance-strings.js";
import { STRINGS as WHY_CONV } from "../../static/js/lessons/whyconv-strings.js";

for (const [name, table] of Object.entries({ "why-conv": WHY_CONV, equivariance: EQUIVARIANCE })) {
  test(`${name}: Russian and English have the same keys and the same {placeholders}`, () => {
    assert.deepEqual(Object.keys(table.ru).sort(), Object.keys(table.en).sort());
    const vars = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(table.en)) assert.deepEqual(vars(table.ru[key]), vars(table.en[key]), key);
  });
}
