import { test } from "node:test";
import assert from "node:assert/strict";
import { contrastRatio, divergingRgb, textColorOn } from "../../static/js/common/colorscale.js";

const INK = { "#000": [0, 0, 0], "#fff": [255, 255, 255] };

test("contrastRatio follows WCAG 2.1: black on white is 21:1, a colour on itself 1:1", () => {
  assert.equal(contrastRatio([0, 0, 0], [255, 255, 255]), 21);
  assert.equal(contrastRatio([209, 116, 128], [209, 116, 128]), 1);
  // The example: white on rgb(209,116,128) is 3.22:1, too low for text.
  assert.ok(Math.abs(contrastRatio([255, 255, 255], [209, 116, 128]) - 3.22) < 0.01);
});

test("the number on every shade of the scale, both signs, reaches 4.5:1", () => {
  for (let i = -1000; i <= 1000; i++) {
    const value = i / 1000;
    const ink = INK[textColorOn(value, 1)];
    const ratio = contrastRatio(ink, divergingRgb(value, 1));
    assert.ok(ratio >= 4.5, `${value}: ${textColorOn(value, 1)} on ${divergingRgb(value, 1)} is ${ratio.toFixed(2)}:1`);
  }
});

test("the strongest colours take white text, pale ones black", () => {
  assert.equal(textColorOn(1, 1), "#fff");
  assert.equal(textColorOn(-1, 1), "#fff");
  assert.equal(textColorOn(0.1, 1), "#000");
  assert.equal(textColorOn(0, 0), "#000");
});
