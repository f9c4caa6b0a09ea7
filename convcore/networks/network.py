"""A small layer stack run on one image with torch, keeping every layer's feature maps.

This is what the image lab computes. The stack is the shared layer dict list of DESIGN.md; a few extra
fields, which exist only here, say what the weights and statistics are (an image has no trained model):

``conv2d``
    ``"kernels"``: the weights, one entry per output channel, or one entry for all of them.
    An entry is a preset name from :mod:`convcore.operations.kernels` (``"sobel_x"``), a 2-D list ``kH × kW``, or a
    3-D list ``C_in/groups × kH × kW`` (explicit weights ``weight[o]``). A 2-D kernel ``K`` (preset or list)
    becomes ``weight[o, i] = K / (C_in/groups)`` for every input channel ``i`` it sees, i.e. it is applied
    to the mean of those channels, so an RGB photo and its grayscale version give maps on the same scale.
    Without ``"kernels"`` the weights are random, as torch initialises ``nn.Conv2d``:
    ``U(−1/√fan_in, 1/√fan_in)``, seeded. ``"bias_values"``: ``out_channels`` numbers (zeros by default;
    only with ``"bias": true``).
``batch_norm2d``
    ``"training"`` (default ``true``): normalise with this image's own per-channel mean and biased
    variance over (H, W), as ``BatchNorm2d`` in training mode does with a batch of one. ``false``: eval
    mode with ``"running_mean"``/``"running_var"`` (default 0 and 1, i.e. identity statistics, so the
    layer only divides by ``√(1 + eps)``). ``"weight_values"``/``"bias_values"``: γ and β (1 and 0 by
    default). The batch statistics are treated as constants for gradients (see :mod:`convcore.networks.erf`).
``dropout``
    ``"training"`` (default ``true``): inverted dropout as torch does it, ``y = x·m/(1 − p)`` with a
    Bernoulli(1 − p) mask ``m`` drawn from ``"seed"`` (default: the network seed plus the layer index);
    ``false``: the identity.

``relu``, ``max_pool2d``, ``avg_pool2d`` and ``global_avg_pool2d`` follow torch exactly. The computation
is float32 (torch's default): plenty for pictures, and twice as fast as float64. Without gradients, a
convolution with few non-zero weights and an unpadded max pooling run as passes over shifted slices of their
input (:mod:`convcore.networks.shifted`: torch's values up to float32 rounding, without F.conv2d's workspace).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from convcore.networks.layers import Layer, LayerResult, Shape, parse_layer, propagate, short_repr
from convcore.networks.shifted import conv2d_by_shifts, max_pool2d_by_shifts, shifts_apply
from convcore.operations.kernels import get_kernel

__all__ = ["IMAGE_FIELDS", "SUPPORTED_TYPES", "Network", "build_network", "forward", "plan_network", "run_network"]

SUPPORTED_TYPES = ("conv2d", "relu", "max_pool2d", "avg_pool2d", "batch_norm2d", "dropout", "global_avg_pool2d")
IMAGE_FIELDS: dict[str, frozenset[str]] = {
    "conv2d": frozenset({"kernels", "bias_values"}),
    "batch_norm2d": frozenset({"training", "running_mean", "running_var", "weight_values", "bias_values"}),
    "dropout": frozenset({"training", "seed"}),
}
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


@dataclass(frozen=True)
class Step:
    """One layer with everything needed to run it: parsed hyper-parameters and float32 tensors."""

    layer: Layer
    weight: torch.Tensor | None = None
    bias: torch.Tensor | None = None
    running_mean: torch.Tensor | None = None
    running_var: torch.Tensor | None = None
    training: bool = True
    mask: torch.Tensor | None = None


@dataclass(frozen=True)
class Network:
    """A stack ready to run on inputs of ``input_shape``; ``results`` has every layer's output shape."""

    steps: list[Step]
    input_shape: Shape
    results: list[LayerResult]

    @property
    def layers(self) -> list[Layer]:
        return [step.layer for step in self.steps]


def _numbers(value: Any, where: str, key: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {key} must be numbers (a list or nested lists of numbers)") from exc
    if array.dtype == object or not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: {key} must be finite numbers")
    if np.any(np.abs(array) > 1e6):
        raise ValueError(f"{where}: {key} must lie between -1e6 and 1e6")
    return array


def _per_channel(raw: Mapping[str, Any], key: str, channels: int, default: float, where: str) -> torch.Tensor:
    if key not in raw:
        return torch.full((channels,), default, dtype=torch.float32)
    values = _numbers(raw[key], where, key)
    if values.shape != (channels,):
        raise ValueError(f"{where}: {key} must have one number per channel ({channels}), got shape {values.shape}")
    return torch.from_numpy(values.astype(np.float32))


def _kernel_entry(entry: Any, in_per_group: int, kernel: tuple[int, int], where: str, o: int) -> np.ndarray:
    """One output channel's weights ``(C_in/groups, kH, kW)`` from a preset name, a 2-D or a 3-D list."""
    if isinstance(entry, str):
        weights = get_kernel(entry).weights
        if weights.shape != kernel:
            kh, kw = weights.shape
            raise ValueError(
                f"{where}: kernel {short_repr(entry)} is {kh}×{kw} but kernel_size is {kernel[0]}×{kernel[1]}; "
                f"set kernel_size to [{kh}, {kw}]"
            )
    else:
        weights = _numbers(entry, where, f"kernels[{o}]")
    if weights.shape == kernel:
        return np.broadcast_to(weights / in_per_group, (in_per_group, *kernel))
    if weights.shape == (in_per_group, *kernel):
        return weights
    raise ValueError(
        f"{where}: kernels[{o}] must be a preset name, a {kernel[0]}×{kernel[1]} list or a "
        f"{in_per_group}×{kernel[0]}×{kernel[1]} list (C_in/groups × kH × kW), got shape {weights.shape}"
    )


def _conv_weights(raw: Mapping[str, Any], layer: Layer, in_channels: int, rng: np.random.Generator, where: str) -> Step:
    # propagate() has already checked that groups divides both channel counts.
    out_channels = layer.out_channels or 1
    in_per_group = in_channels // layer.groups
    kernel = layer.kernel_size
    spec = raw.get("kernels")
    if spec is None:
        bound = 1.0 / np.sqrt(in_per_group * kernel[0] * kernel[1])
        weight = rng.uniform(-bound, bound, size=(out_channels, in_per_group, *kernel))
    else:
        entries = [spec] * out_channels if isinstance(spec, str) else spec
        if not isinstance(entries, list) or len(entries) not in (1, out_channels):
            raise ValueError(
                f"{where}: kernels must be a preset name or a list with one entry per output channel ({out_channels})"
            )
        if len(entries) == 1:
            entries = entries * out_channels
        weight = np.stack([_kernel_entry(e, in_per_group, kernel, where, o) for o, e in enumerate(entries)])
    if "bias_values" in raw and not layer.bias:
        raise ValueError(f'{where}: bias_values needs "bias": true')
    bias = _per_channel(raw, "bias_values", out_channels, 0.0, where) if layer.bias else None
    return Step(layer, weight=torch.from_numpy(np.ascontiguousarray(weight, dtype=np.float32)), bias=bias)


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, True)
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key} must be true or false, got {short_repr(value)}")
    return value


def _batch_norm(raw: Mapping[str, Any], layer: Layer, channels: int, where: str) -> Step:
    training = _flag(raw, "training", where)
    for key in ("running_mean", "running_var") if training else ():
        if key in raw:
            raise ValueError(f'{where}: {key} is used in eval mode only; set "training": false or remove it')
    if not layer.affine and ({"weight_values", "bias_values"} & set(raw)):
        raise ValueError(f'{where}: weight_values and bias_values need "affine": true')
    running_var = _per_channel(raw, "running_var", channels, 1.0, where)
    if torch.any(running_var < 0):
        raise ValueError(f"{where}: running_var must not be negative")
    return Step(
        layer,
        weight=_per_channel(raw, "weight_values", channels, 1.0, where) if layer.affine else None,
        bias=_per_channel(raw, "bias_values", channels, 0.0, where) if layer.affine else None,
        running_mean=_per_channel(raw, "running_mean", channels, 0.0, where),
        running_var=running_var,
        training=training,
    )


def _dropout(raw: Mapping[str, Any], layer: Layer, shape: Shape, seed: int, where: str) -> Step:
    training = _flag(raw, "training", where)
    layer_seed = raw.get("seed", seed)
    if isinstance(layer_seed, bool) or not isinstance(layer_seed, int) or not 0 <= layer_seed < 2**63:
        raise ValueError(f"{where}: seed must be a non-negative integer")
    if not training:
        return Step(layer, training=False)
    generator = torch.Generator().manual_seed(layer_seed)
    keep = torch.rand((1, shape.channels, shape.height, shape.width), generator=generator) >= layer.p
    # torch's inverted dropout; with p = 1 every unit is dropped and there is nothing to rescale.
    scale = 0.0 if layer.p >= 1.0 else 1.0 / (1.0 - layer.p)
    return Step(layer, mask=keep.to(torch.float32) * scale, training=True)


def plan_network(raw_layers: Sequence[Mapping[str, Any]], input_shape: Shape) -> list[LayerResult]:
    """Parse a stack (image-only fields set aside) and give each layer's shapes, allocating nothing: what a
    caller prices before :func:`build_network` allocates weights and masks.

    Raises ``ValueError`` naming the layer for anything that cannot run on ``input_shape``.
    """
    if not raw_layers:
        raise ValueError("the layer list is empty: add at least one layer")
    layers = []
    for i, raw in enumerate(raw_layers):
        if not isinstance(raw, Mapping):
            raise ValueError(f"layer {i}: expected an object with a type, got {short_repr(raw)}")
        layer_type = raw.get("type")
        if layer_type not in SUPPORTED_TYPES:
            raise ValueError(
                f"layer {i}: type must be one of {', '.join(SUPPORTED_TYPES)} here, got {short_repr(layer_type)}"
            )
        extra = IMAGE_FIELDS.get(str(layer_type), frozenset())
        layers.append(parse_layer({k: v for k, v in raw.items() if k not in extra}, i))
    return propagate(layers, input_shape)


def build_network(raw_layers: Sequence[Mapping[str, Any]], input_shape: Shape, *, seed: int = 0) -> Network:
    """Parse a stack with its image-only fields (module docstring) and fix every weight, statistic and mask.

    Raises ``ValueError`` naming the layer for anything that cannot run on ``input_shape``. Weights and masks
    are allocated here: price the stack with :func:`plan_network` first.
    """
    results = plan_network(raw_layers, input_shape)
    layers = [result.layer for result in results]
    rng = np.random.default_rng(seed)
    steps = []
    for i, (raw, layer, result) in enumerate(zip(raw_layers, layers, results, strict=True)):
        where = f"layer {i} ({layer.type})"
        if layer.type == "conv2d":
            steps.append(_conv_weights(raw, layer, result.input.channels, rng, where))
        elif layer.type == "batch_norm2d":
            steps.append(_batch_norm(raw, layer, result.input.channels, where))
        elif layer.type == "dropout":
            steps.append(_dropout(raw, layer, result.input, seed + i, where))
        else:
            steps.append(Step(layer))
    return Network(steps, input_shape, results)


def _apply(step: Step, x: torch.Tensor) -> torch.Tensor:
    layer = step.layer
    if layer.type == "conv2d" and step.weight is not None:
        (top, bottom), (left, right) = layer.padding
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom), mode=_PAD_MODES[layer.padding_mode])
        if shifts_apply(layer, step.weight):
            return conv2d_by_shifts(x, step.weight, step.bias, stride=layer.stride, dilation=layer.dilation)
        return F.conv2d(x, step.weight, step.bias, layer.stride, 0, layer.dilation, layer.groups)
    if layer.type == "relu":
        return F.relu(x)
    if layer.type == "max_pool2d":
        if shifts_apply(layer):
            return max_pool2d_by_shifts(x, layer.kernel_size, stride=layer.stride, dilation=layer.dilation)
        pad = (layer.padding[0][0], layer.padding[1][0])
        return F.max_pool2d(x, layer.kernel_size, layer.stride, pad, layer.dilation, ceil_mode=layer.ceil_mode)
    if layer.type == "avg_pool2d":
        pad = (layer.padding[0][0], layer.padding[1][0])
        return F.avg_pool2d(
            x,
            layer.kernel_size,
            layer.stride,
            pad,
            ceil_mode=layer.ceil_mode,
            count_include_pad=layer.count_include_pad,
        )
    if layer.type == "batch_norm2d":
        mean: torch.Tensor | None
        var: torch.Tensor | None
        if step.training:
            # The statistics are constants for autograd: the effective receptive field follows the spatial
            # path of one unit, not the image-wide mean every unit shares.
            mean = x.detach().mean(dim=(0, 2, 3))
            var = x.detach().var(dim=(0, 2, 3), unbiased=False)
        else:
            mean, var = step.running_mean, step.running_var
        return F.batch_norm(x, mean, var, step.weight, step.bias, training=False, eps=layer.eps)
    if layer.type == "dropout":
        return x * step.mask if step.training and step.mask is not None else x
    return x.mean(dim=(2, 3), keepdim=True)


def forward(network: Network, x: torch.Tensor, *, upto: int | None = None) -> list[torch.Tensor]:
    """Run layers ``0..upto`` (all by default) on an ``(1, C, H, W)`` float32 tensor; every layer's output."""
    if tuple(x.shape[1:]) != (network.input_shape.channels, network.input_shape.height, network.input_shape.width):
        raise ValueError(
            f"the input has shape {tuple(x.shape[1:])} but the network was built for {network.input_shape}"
        )
    last = len(network.steps) - 1 if upto is None else upto
    outputs = []
    for i, step in enumerate(network.steps[: last + 1]):
        try:
            x = _apply(step, x)
        except RuntimeError as exc:
            raise ValueError(f"layer {i} ({step.layer.type}): {exc}") from exc
        outputs.append(x)
    return outputs


def run_network(network: Network, image: np.ndarray) -> list[np.ndarray]:
    """Every layer's feature maps ``(C, H, W)`` (float32) for an image ``(C, H, W)``.

    Raises ``ValueError`` if a layer produces values float32 cannot hold (weights too large).
    """
    x = torch.tensor(image, dtype=torch.float32)[None]
    with torch.no_grad():
        outputs = forward(network, x)
    maps = []
    for i, out in enumerate(outputs):
        array = out[0].numpy()
        if not np.all(np.isfinite(array)):
            raise ValueError(f"layer {i} ({network.steps[i].layer.type}) overflows float32: use smaller weights")
        maps.append(array)
    return maps
