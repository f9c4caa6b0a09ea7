// What the page shows from the server, the authority on arithmetic: the output-size formulas and unread rows
// (/output-size), parameters and multiply-adds (/shapes), and the operation itself (/ops/..., with the trace
// for small layers) against which every displayed sum is checked.
import { apiGet, apiPost } from "../common/api.js";
import { getLang, t } from "../common/i18n.js";
import { scatterOutput } from "./compute.js";
import { formatValue } from "./gridsvg.js";
import { renderCounts, renderFormulas, renderInfoError, renderServerCheck } from "./panels.js";
import { samePadding, usesCeil, usesSame } from "./state.js";

const DEBOUNCE_MS = 120;
const TOLERANCE = 1e-9;

function nest(flat, shape) {
  if (shape.length === 1) return flat.slice(0, shape[0]);
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, n) => nest(flat.slice(n * per, (n + 1) * per), shape.slice(1)));
}

const pair = (s, h, w) => [s[h], s[w]];
const padding = (s) => (usesSame(s) ? "same" : pair(s, "ph", "pw"));
// The layer's padding_mode and ceil_mode as torch's keyword arguments, only where they are not the default.
const convExtras = (s) => (s.mode === "conv" && s.pmode !== "zeros" ? { padding_mode: s.pmode } : {});
const poolExtras = (s) => (usesCeil(s) ? { ceil_mode: true } : {});

function axisQuery(s, which) {
  const [i, k, st, p, d, op] = which === "h" ? ["h", "kh", "sh", "ph", "dh", "oph"] : ["w", "kw", "sw", "pw", "dw", "opw"];
  const q = { size: s[i], kernel_size: s[k], stride: s[st], padding: s[p], ...poolExtras(s) };
  // padding="same" as its two sides (the odd one after, for an even kernel)
  if (usesSame(s)) [q.padding, q.padding_after] = samePadding(s[k], s[d]);
  if (s.mode === "maxpool" || s.mode === "avgpool") q.op = "pool";
  if (s.mode !== "avgpool") q.dilation = s[d];
  if (s.mode === "transposed") Object.assign(q, { transposed: true, output_padding: s[op] });
  return q;
}

// The layer in DESIGN.md's form, as /shapes takes it.
function layerSpec(s) {
  const common = { kernel_size: pair(s, "kh", "kw"), stride: pair(s, "sh", "sw"), padding: padding(s) };
  if (s.mode === "maxpool") return { type: "max_pool2d", ...common, dilation: pair(s, "dh", "dw"), ...poolExtras(s) };
  if (s.mode === "avgpool") return { type: "avg_pool2d", ...common, ...poolExtras(s) };
  const conv = { out_channels: s.cout, ...common, dilation: pair(s, "dh", "dw"), groups: s.groups, bias: s.bias };
  if (s.mode === "transposed") return { type: "conv_transpose2d", ...conv, output_padding: pair(s, "oph", "opw") };
  return { type: "conv2d", ...conv, ...convExtras(s) };
}

function opRequest(s, layer, withTrace) {
  const x = nest(s.x, [s.cin, s.h, s.w]);
  const common = { x, stride: pair(s, "sh", "sw"), padding: padding(s), trace: withTrace };
  const kernel = pair(s, "kh", "kw");
  const pool = { ...common, kernel_size: kernel, ...poolExtras(s) };
  if (s.mode === "maxpool") return ["/ops/max_pool2d", { ...pool, dilation: pair(s, "dh", "dw") }];
  if (s.mode === "avgpool") return ["/ops/avg_pool2d", pool];
  const shape = s.mode === "transposed" ? [s.cin, s.cout / s.groups, ...kernel] : [s.cout, s.cin / s.groups, ...kernel];
  const conv = { ...common, weight: nest(s.wt, shape), bias: s.bias ? s.b.slice() : null };
  Object.assign(conv, { dilation: pair(s, "dh", "dw"), groups: s.groups });
  if (s.mode === "transposed") return ["/ops/conv_transpose2d", { ...conv, output_padding: pair(s, "oph", "opw") }];
  return ["/ops/conv2d", { ...conv, flip: layer.flip, ...convExtras(s) }];
}

function traceTerms(layer) {
  const taps = layer.rows.kernel * layer.cols.kernel;
  if (layer.transposed) return layer.cin * layer.rows.size * layer.cols.size * layer.coutPerGroup * taps;
  return layer.cout * layer.outH * layer.outW * (layer.pool ? 1 : layer.cinPerGroup) * taps;
}

// limits: the page's bounds (app/limits.py). A trace lists a few JSON numbers per product; beyond the server's
// bounds on its products (trace_taps) and steps (trace_steps) the page checks against the output alone.
export function createServerView(limits) {
  let layerKey = "";
  // The layer and value arrays last sent (the page replaces an array on every edit, never changes it in place),
  // and the number of the request that answers them.
  let sent = null;
  let valuesKey = 0;
  let timer = 0;
  let controller = null;
  let answer = null; // {output, trace} for valuesKey
  let presets = [];
  let presetSelect = null;
  // what the info panel shows (the server's answers, or placeholders while they load), kept so that a
  // language switch can say it again in the new language
  let shown = null;

  function showInfo(next) {
    shown = next;
    renderFormulas(next.h, next.w);
    renderCounts(next.shapes);
    renderInfoError(next.error ? next.error.message : "");
  }

  async function fetchAll(s, layer, key) {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    const withTrace = traceTerms(layer) <= limits.trace_taps.max && layer.steps <= limits.trace_steps.max;
    const [path, body] = opRequest(s, layer, withTrace);
    const layerBody = { input: { channels: s.cin, height: s.h, width: s.w }, layers: [layerSpec(s)] };
    try {
      const [h, w, shapes, op] = await Promise.all([
        apiGet("/output-size", axisQuery(s, "h"), { signal }),
        apiGet("/output-size", axisQuery(s, "w"), { signal }),
        apiPost("/shapes", layerBody, { signal }),
        apiPost(path, body, { signal }),
      ]);
      showInfo({ h, w, shapes });
      answer = { key, output: op.output.flat(2), trace: op.trace };
    } catch (error) {
      if (error.name === "AbortError") return;
      answer = { key, error };
      showInfo({ ...shown, error });
    }
    if (current) check(current);
  }

  let current = null;

  // The server's value for the current step next to the page's, or why there is none yet.
  function check(scene) {
    current = scene;
    if (!answer || answer.key !== valuesKey) {
      renderServerCheck(t("step.server_wait"));
      return;
    }
    if (answer.error) {
      renderServerCheck(t("step.server_off", { message: answer.error.message }));
      return;
    }
    if (scene.scatter) {
      if (!answer.trace) {
        // Too many products to trace: compare the whole output map once instead of this step's products.
        answer.whole ??= scatterOutput(scene.layer, scene.values).every((v, n) => Math.abs(v - answer.output[n]) <= TOLERANCE);
        const v = t("step.n_outputs", { n: answer.output.length });
        renderServerCheck(t(answer.whole ? "step.server_ok" : "step.server_diff", { v }));
        return;
      }
      const step = answer.trace[scene.step];
      const server = step.products.filter((_, n) => step.inside[n]);
      const page = scene.info.targets.map((x) => x.product);
      const agree = server.length === page.length && server.every((v, n) => Math.abs(v - page[n]) <= TOLERANCE);
      const listed = server.length <= 12 ? server.map(formatValue).join(", ") : t("step.n_products", { n: server.length });
      renderServerCheck(t(agree ? "step.server_ok" : "step.server_diff", { v: listed }));
      return;
    }
    let value = answer.output[scene.step];
    if (answer.trace && !scene.layer.transposed) value = answer.trace[scene.step].result;
    const agree = Math.abs(value - scene.info.value) <= TOLERANCE || value === scene.info.value;
    renderServerCheck(t(agree ? "step.server_ok" : "step.server_diff", { v: formatValue(value) }));
  }

  function labelPresets() {
    if (!presetSelect) return;
    const lang = getLang();
    const options = [new Option(t("ctl.preset.none"), "")];
    for (const p of presets) options.push(new Option(p[`description_${lang}`].split(":")[0], p.name));
    presetSelect.replaceChildren(...options);
  }

  return {
    update(s, scene) {
      const nextLayer = JSON.stringify([layerSpec(s), s.cin, s.h, s.w]);
      const next = { layer: nextLayer, flip: s.flip, x: s.x, wt: s.wt, b: s.b };
      if (!sent || Object.keys(next).some((key) => next[key] !== sent[key])) {
        sent = next;
        valuesKey += 1;
        if (nextLayer !== layerKey) {
          layerKey = nextLayer;
          const loading = { formula: "…", unused_image: 0 };
          showInfo({ h: loading, w: loading, shapes: { layers: [{ params: "…", macs: "…" }] } });
        }
        clearTimeout(timer);
        const key = valuesKey;
        timer = setTimeout(() => fetchAll(s, scene.layer, key), DEBOUNCE_MS);
      }
      check(scene);
    },

    bindPresets(select, onPick) {
      presetSelect = select;
      select.addEventListener("change", () => {
        const preset = presets.find((p) => p.name === select.value);
        if (preset) onPick(preset);
      });
      apiGet("/kernels")
        .then((body) => {
          presets = body.kernels;
          labelPresets();
        })
        .catch((error) => renderInfoError(t("error.kernels", { message: error.message })));
    },

    relabel() {
      if (shown) showInfo(shown);
      const value = presetSelect?.value;
      labelPresets();
      if (presetSelect) presetSelect.value = value ?? "";
    },
  };
}
