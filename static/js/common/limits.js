// The bounds of this page's fields as the server rendered them (app/limits.py → <script id="limits">,
// templates/base.html): {key: {min, max}}, the same numbers as the inputs' min/max attributes.
export function pageLimits(doc = document) {
  return JSON.parse(doc.getElementById("limits").textContent);
}
