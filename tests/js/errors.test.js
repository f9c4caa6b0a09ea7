import { test } from "node:test";
import assert from "node:assert/strict";
import { describeError } from "../../static/js/common/errors.js";
import { render, stringTable } from "../../static/js/common/i18n.js";
import "../../static/js/common/error-strings.js";

const tr = (lang) => (key, vars) => (key in stringTable(lang) ? render(lang, stringTable(lang)[key], vars) : null);
const ru = tr("ru");
const en = tr("en");

test("a coded error is said in Russian with its params, its layer first", () => {
  // the RF page at input size 8: ResNet's max pool no longer fits (layers/propagation.py adds layer and axis)
  const body = {
    detail: "layer 3 (max_pool2d), height 2: the pooling window spans 3 but the padded input is only 4 long: …",
    code: "kernel_exceeds_input",
    params: { span: 5, padded: 4, layer: 3, type: "max_pool2d", axis: "height", size: 2 },
  };
  assert.equal(
    describeError(body, ru),
    "Слой 3 (max_pool2d), высота 2: ядро занимает 5, а вход с паддингом — только 4: уменьшите ядро или дилатацию либо увеличьте паддинг или вход",
  );
  assert.match(describeError(body, en), /^Layer 3 \(max_pool2d\), height 2: the kernel spans 5/);
});

test("big numbers, byte sizes and lists are shown readably", () => {
  const residual = { detail: "…", code: "residual_work_too_large", params: { work: 209715200, limit: 134217728 } };
  assert.match(describeError(residual, ru), /^Сети × примеры × ширина² × глубина — не больше 134\u00a0217\u00a0728 за один запрос, сейчас 209\u00a0715\u00a0200/);
  const upload = { detail: "…", code: "upload_too_large", params: { bytes: 12 * 2 ** 20, limit: 8 * 2 ** 20 } };
  assert.equal(describeError(upload, ru), "Файл занимает 12.0 MiB, а предел — 8.0 MiB: сохраните его поменьше");
  const choices = { detail: "…", code: "not_one_of", params: { field: "padding_mode", choices: ["zeros", "reflect"] } };
  assert.match(describeError(choices, ru), /: допустимые значения — zeros, reflect$/);
});

test("a field name is translated by the glossary's word", () => {
  const body = { detail: "…", code: "too_small", params: { field: "stride", minimum: 1, value: 0, layer: 0, type: "conv2d" } };
  assert.equal(describeError(body, ru), "Слой 0 (conv2d): страйд: нужно не меньше 1, сейчас 0");
});

test("a schema error is said by pydantic's type and ctx, not its raw loc", () => {
  const body = {
    detail: [
      {
        type: "greater_than_equal",
        loc: ["body", "layers", 0, "conv2d", "stride", "constrained-int"],
        msg: "Input should be greater than or equal to 1",
        ctx: { ge: 1 },
      },
    ],
  };
  assert.equal(describeError(body, ru), "Слой 0 (conv2d): страйд: нужно не меньше 1");
  assert.equal(describeError(body, en), "Layer 0 (conv2d): stride must be at least 1");
});

test("an unknown code or schema type falls back to the server's English", () => {
  assert.equal(describeError({ detail: "something new", code: "brand_new" }, ru), "something new");
  assert.equal(describeError({ detail: "plain", code: "invalid_value", params: {} }, ru), "plain");
  const body = { detail: [{ type: "weird", loc: ["query", "size"], msg: "odd" }] };
  assert.equal(describeError(body, ru), "Size: odd");
});

test("the intro lessons' errors are said in Russian by code", () => {
  const budget = { detail: "…", code: "experiment_too_large", params: { millions: 875, runs: 2, limit: 600 } };
  assert.equal(
    describeError(budget, ru),
    "Этому опыту нужно 875 млн умножений-сложений, а предел — 600 млн: уменьшите число слоёв или фильтров либо размер ядра",
  );
  const channel = { detail: "…", code: "too_large", params: { field: "channel", maximum: 3, value: 4 } };
  assert.equal(describeError(channel, ru), "Канал: нужно не больше 3, сейчас 4");
  const blur = { detail: "…", code: "not_one_of_value", params: { field: "blur", choices: [1, 3, 5], value: 2 } };
  assert.equal(describeError(blur, ru), "Размытие: допустимые значения — 1, 3, 5, сейчас 2");
  const odd = { detail: "…", code: "not_odd", params: { field: "kernel_size", value: 4 } };
  assert.equal(describeError(odd, ru), "Размер ядра: нужно нечётное число, сейчас 4");
  assert.equal(describeError(odd, en), "Kernel_size must be odd, got 4");
});
