// The layer-stack editor: one row per layer with its own controls, reorder and remove buttons.
// renderEditor() rebuilds the list from the layers (on structural changes); value edits call onChange in place.
import { getLang, t } from "../common/i18n.js";
import { pageLimits } from "../common/limits.js";
import {
  CUSTOM,
  LAYER_TYPES,
  addLayer,
  defaultPreset,
  kernelGrid,
  moveLayer,
  removeLayer,
} from "./state.js";

const LIMITS = pageLimits();

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function numberField(id, label, value, { min, max, step = 1 }, onInput) {
  const input = el("input", { id, type: "number", min, max, step, value: String(value) });
  input.addEventListener("change", () => {
    const x = Number.parseFloat(input.value);
    if (!Number.isFinite(x)) return;
    const clamped = Math.min(max, Math.max(min, step === 1 ? Math.round(x) : x));
    input.value = String(clamped);
    onInput(clamped);
  });
  return el("div", { className: "field" }, [el("label", { htmlFor: id, text: label }), input]);
}

function kernelGridEditor(id, grid, channel, onChange) {
  const table = el("div", { className: "kernel-grid", role: "group", "aria-label": t("image.kernelOf", { c: channel }) });
  table.style.gridTemplateColumns = `repeat(${grid.length}, 3.4rem)`;
  grid.forEach((row, r) =>
    row.forEach((value, c) => {
      const input = el("input", {
        id: `${id}-w${r}-${c}`,
        type: "number",
        step: "0.1",
        min: "-100",
        max: "100",
        value: String(value),
        "aria-label": t("image.weight", { r, c, ch: channel }),
      });
      input.addEventListener("change", () => {
        const x = Number.parseFloat(input.value);
        if (!Number.isFinite(x)) return;
        const clamped = Math.max(-100, Math.min(100, x));
        input.value = String(clamped);
        onChange(r, c, clamped);
      });
      table.append(input);
    }),
  );
  return table;
}

function convControls(layer, i, presets, update) {
  const size = layer.kernel_size;
  const box = el("div", { className: "layer-fields" });
  const sizeSelect = el("select", { id: `l${i}-k` });
  for (const k of [1, 3, 5, 7]) sizeSelect.append(el("option", { value: String(k), text: `${k}×${k}`, selected: k === size }));
  sizeSelect.addEventListener("change", () => {
    const k = Number(sizeSelect.value);
    update((l) => {
      const padding = Math.min(l.padding ?? 0, Math.floor(k / 2) * (l.dilation ?? 1));
      return { ...l, kernel_size: k, padding, kernels: l.kernels.map(() => defaultPreset(presets, k)) };
    }, true);
  });
  box.append(el("div", { className: "field" }, [el("label", { htmlFor: `l${i}-k`, text: t("image.kernelSize") }), sizeSelect]));
  box.append(numberField(`l${i}-s`, t("image.stride"), layer.stride ?? 1, LIMITS.stride, (v) => update((l) => ({ ...l, stride: v }))));
  box.append(numberField(`l${i}-p`, t("image.padding"), layer.padding ?? 0, LIMITS.padding, (v) => update((l) => ({ ...l, padding: v }))));
  box.append(numberField(`l${i}-d`, t("image.dilation"), layer.dilation ?? 1, LIMITS.dilation, (v) => update((l) => ({ ...l, dilation: v }))));

  const channels = el("div", { className: "channels" });
  layer.kernels.forEach((entry, c) => {
    const id = `l${i}-c${c}`;
    const select = el("select", { id });
    for (const p of presets.filter((p) => p.weights.length === size)) {
      select.append(el("option", { value: p.name, text: p.name, selected: entry === p.name }));
    }
    select.append(el("option", { value: CUSTOM, text: t("image.custom"), selected: Array.isArray(entry) }));
    select.addEventListener("change", () => {
      const value = select.value;
      update((l) => {
        const kernels = l.kernels.slice();
        kernels[c] = value === CUSTOM ? kernelGrid(l.kernels[c], presets, size) : value;
        return { ...l, kernels };
      }, true);
    });
    const row = el("div", { className: "channel" }, [
      el("label", { htmlFor: id, text: t("image.kernelOf", { c }) }),
      select,
    ]);
    const preset = presets.find((p) => p.name === entry);
    if (preset) {
      row.append(el("p", { className: "note kernel-note", text: getLang() === "ru" ? preset.description_ru : preset.description_en }));
    }
    if (Array.isArray(entry)) {
      row.append(
        kernelGridEditor(id, entry, c, (r, col, x) =>
          update((l) => {
            const kernels = l.kernels.slice();
            kernels[c] = l.kernels[c].map((line) => line.slice());
            kernels[c][r][col] = x;
            return { ...l, kernels };
          }),
        ),
      );
    }
    channels.append(row);
  });
  const add = el("button", { type: "button", text: "+", "aria-label": t("image.addChannel"), title: t("image.addChannel") });
  add.disabled = layer.kernels.length >= LIMITS.channels.max;
  add.addEventListener("click", () => {
    update((l) => {
      const kernels = [...l.kernels, defaultPreset(presets, size)];
      return { ...l, out_channels: kernels.length, kernels };
    }, true);
  });
  const drop = el("button", { type: "button", text: "−", "aria-label": t("image.removeChannel"), title: t("image.removeChannel") });
  drop.disabled = layer.kernels.length <= 1;
  drop.addEventListener("click", () => {
    update((l) => {
      const kernels = l.kernels.slice(0, -1);
      return { ...l, out_channels: kernels.length, kernels };
    }, true);
  });
  channels.append(el("div", { className: "row" }, [add, drop]));
  box.append(channels, el("p", { className: "note", text: t("image.kernelSplit") }));
  return box;
}

function poolControls(layer, i, update) {
  return el("div", { className: "layer-fields" }, [
    numberField(`l${i}-k`, t("image.kernelSize"), layer.kernel_size, LIMITS.kernel, (v) =>
      update((l) => ({ ...l, kernel_size: v, padding: Math.min(l.padding ?? 0, Math.floor(v / 2)) })),
    ),
    numberField(`l${i}-s`, t("image.stride"), layer.stride ?? layer.kernel_size, LIMITS.stride, (v) =>
      update((l) => ({ ...l, stride: v })),
    ),
  ]);
}

function layerControls(layer, i, presets, update) {
  switch (layer.type) {
    case "conv2d":
      return convControls(layer, i, presets, update);
    case "max_pool2d":
    case "avg_pool2d":
      return poolControls(layer, i, update);
    case "batch_norm2d": {
      const box = el("input", { id: `l${i}-train`, type: "checkbox", checked: layer.training !== false });
      box.addEventListener("change", () => update((l) => ({ ...l, training: box.checked })));
      return el("div", { className: "layer-fields" }, [
        el("label", { htmlFor: `l${i}-train` }, [box, document.createTextNode(` ${t("image.training")}`)]),
      ]);
    }
    case "dropout":
      return el("div", { className: "layer-fields" }, [
        numberField(`l${i}-p`, t("image.p"), layer.p ?? 0.5, { ...LIMITS.p, step: 0.1 }, (v) => update((l) => ({ ...l, p: v }))),
        numberField(`l${i}-seed`, t("image.seed"), layer.seed ?? 0, LIMITS.seed, (v) => update((l) => ({ ...l, seed: v }))),
      ]);
    default:
      return null;
  }
}

// Rebuild the editor from getLayers(). Every edit is applied to the layers as they are when it happens
// (value edits do not rebuild the editor, so the controls' own snapshot may be stale); onChange(layers,
// structural): structural edits (type, count, kernel size, custom grid) re-render the editor itself.
export function renderEditor(host, getLayers, presets, onChange) {
  const layers = getLayers();
  const list = el("ol", { className: "layer-list" });
  layers.forEach((layer, i) => {
    const n = i;
    const update = (edit, structural = false) => {
      const copy = getLayers().slice();
      copy[i] = edit(copy[i]);
      onChange(copy, structural);
    };
    const move = (delta) => onChange(moveLayer(getLayers(), i, delta), true);
    const up = el("button", { type: "button", text: "↑", "aria-label": t("image.up", { n }), title: t("image.up", { n }) });
    up.disabled = i === 0;
    up.addEventListener("click", () => move(-1));
    const down = el("button", { type: "button", text: "↓", "aria-label": t("image.down", { n }), title: t("image.down", { n }) });
    down.disabled = i === layers.length - 1;
    down.addEventListener("click", () => move(1));
    const remove = el("button", { type: "button", text: "✕", "aria-label": t("image.remove", { n }), title: t("image.remove", { n }) });
    remove.disabled = layers.length === 1;
    remove.addEventListener("click", () => onChange(removeLayer(getLayers(), i), true));
    const head = el("div", { className: "layer-head" }, [
      el("span", { className: "layer-name", text: t("image.layerTitle", { n, type: t(`image.type.${layer.type}`) }) }),
      el("span", { className: "layer-buttons" }, [up, down, remove]),
    ]);
    list.append(el("li", { className: "layer-item" }, [head, layerControls(layer, i, presets, update)]));
  });
  const typeSelect = el("select", { id: "add-type" });
  for (const type of LAYER_TYPES) typeSelect.append(el("option", { value: type, text: t(`image.type.${type}`) }));
  const addButton = el("button", { type: "button", className: "primary", text: t("image.add") });
  addButton.disabled = layers.length >= LIMITS.layers.max;
  addButton.addEventListener("click", () => onChange(addLayer(getLayers(), typeSelect.value, LIMITS), true));
  host.replaceChildren(
    list,
    el("div", { className: "add-layer" }, [el("label", { htmlFor: "add-type", text: t("image.addType") }), typeSelect, addButton]),
  );
}
