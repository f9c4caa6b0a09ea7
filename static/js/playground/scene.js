// Derived data for one frame: the layer, the layer being animated (the zero-insertion convolution in that
// view), the current step's arithmetic, the output map and the kernels in play. The full output is cached
// until the layer or its values change, so stepping only recomputes one window.
import {
  scatterOutput,
  scatterStep,
  stepOfOutput,
  windowOutput,
  windowStep,
  zeroInsertionLayer,
} from "./compute.js";
import { isPadding } from "./geometry.js";
import { deriveLayer } from "./state.js";

// Kernels drawn for the current step, each with its index into the animated layer's weights (`index`)
// and into the stored weights (`stored`), which differ in the zero-insertion view (flipped, axes swapped).
function kernelPairs(layer, info, scatter) {
  const kh = layer.rows.kernel;
  const kw = layer.cols.kernel;
  if (layer.pool) return [];
  if (scatter) {
    const g = Math.floor(info.ic / layer.cinPerGroup);
    return Array.from({ length: layer.coutPerGroup }, (_, o) => {
      const index = (a, b) => ((info.ic * layer.coutPerGroup + o) * kh + a) * kw + b;
      return { o: g * layer.coutPerGroup + o, c: info.ic, index, stored: index };
    });
  }
  return info.channels.map((c) => {
    const local = c - info.group * layer.cinPerGroup;
    const index = (a, b) => {
      const fa = layer.flip ? kh - 1 - a : a;
      const fb = layer.flip ? kw - 1 - b : b;
      return ((info.oc * layer.cinPerGroup + local) * kh + fa) * kw + fb;
    };
    let stored = index;
    if (layer.zeroView) {
      const o = info.oc - info.group * layer.coutPerGroup;
      stored = (a, b) => ((c * layer.coutPerGroup + o) * kh + (kh - 1 - a)) * kw + (kw - 1 - b);
    }
    return { o: info.oc, c, index, stored };
  });
}

export function createScene() {
  let cachedOutput = null;
  let cachedAnim = null;

  return {
    invalidate() {
      cachedOutput = null;
      cachedAnim = null;
    },

    build(state) {
      const layer = deriveLayer(state);
      const values = { x: state.x, wt: state.wt, b: state.b };
      const scatter = layer.transposed && !layer.zeroView;
      if (!cachedAnim) {
        cachedAnim = layer.zeroView ? zeroInsertionLayer(layer, values) : { layer, values, inserted: null };
      }
      const anim = cachedAnim;
      const step = Math.max(0, Math.min(anim.layer.steps - 1, state.step));
      const info = scatter ? scatterStep(layer, values, step) : windowStep(anim.layer, anim.values, step);
      let output;
      if (scatter) output = scatterOutput(layer, values, step);
      else output = cachedOutput ??= windowOutput(anim.layer, anim.values);
      return {
        state,
        layer,
        values,
        anim,
        scatter,
        zeroView: layer.zeroView,
        step,
        info,
        output,
        kernelPairs: kernelPairs(anim.layer, info, scatter),
        biasChannel: scatter ? Math.floor(info.ic / layer.cinPerGroup) * layer.coutPerGroup : info.oc,
      };
    },

    stepInfo(scene, step) {
      return windowStep(scene.anim.layer, scene.anim.values, step);
    },

    stepOfOutput(scene, channel, r, c) {
      return stepOfOutput(scene.anim.layer, channel, r, c);
    },

    // Index into the stored input of a clicked input cell, or null for padding and inserted zeros.
    inputIndex(scene, channel, r, c) {
      const { rows, cols } = scene.anim.layer;
      const ih = r - rows.padBefore;
      const iw = c - cols.padBefore;
      if (isPadding(rows, ih) || isPadding(cols, iw)) return null;
      const n = (channel * rows.size + ih) * cols.size + iw;
      if (!scene.anim.inserted) return n;
      if (scene.anim.inserted[n]) return null;
      const { rows: orig, cols: origCols } = scene.layer;
      return (channel * orig.size + ih / orig.stride) * origCols.size + iw / origCols.stride;
    },
  };
}
