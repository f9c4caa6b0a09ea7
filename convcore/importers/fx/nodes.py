"""Each traced ``torch.fx`` node on a feature map as a :class:`convcore.networks.graph.Node`: role, windows, MACs.

:class:`Builder` knows torch's modules (convolution, pooling, padding, linear, normalisation, upsampling) and
functions by name; a tensor method or function it does not know goes to :mod:`convcore.importers.fx.ops`, and what
that does not know either is measured (:mod:`convcore.importers.fx.measure`).
"""

import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from convcore.arithmetic import shapes
from convcore.arithmetic.receptive_field import Window
from convcore.importers.fx.ops import Measurer, is_stochastic_depth, tensor_op
from convcore.importers.fx.shapes import SHAPE, SHAPES
from convcore.networks.graph import Node, Role

PASS_MODULES: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Hardtanh,
    nn.Softplus,
    nn.Softmax,
    nn.LogSoftmax,
    nn.Identity,
    nn.BatchNorm2d,
    nn.Dropout,
    nn.Dropout2d,
    nn.AlphaDropout,
)
PASS_FUNCTIONS: set[Callable[..., Any]] = {
    F.relu,
    F.relu6,
    F.leaky_relu,
    F.elu,
    F.gelu,
    F.silu,
    F.mish,
    F.hardswish,
    F.hardsigmoid,
    F.hardtanh,
    F.softplus,
    F.sigmoid,
    F.tanh,
    F.softmax,
    F.log_softmax,
    F.dropout,
    F.dropout2d,
    F.batch_norm,
    torch.relu,
    torch.sigmoid,
    torch.tanh,
    torch.clamp,
    torch.softmax,
    operator.neg,
}
_PASS_METHODS = {"relu", "relu_", "sigmoid", "tanh", "clamp", "clamp_", "softmax", "contiguous", "clone", "float"}
_ELEMENTWISE: set[Callable[..., Any]] = {
    operator.add,
    operator.iadd,
    operator.sub,
    operator.mul,
    operator.imul,
    operator.truediv,
    torch.add,
    torch.sub,
    torch.mul,
    torch.div,
}
_ELEMENTWISE_METHODS = {"add", "add_", "sub", "mul", "mul_", "div"}
_RESHAPES: set[Callable[..., Any]] = {torch.flatten, torch.reshape}
_RESHAPE_METHODS = {"flatten", "view", "reshape"}
_UPSAMPLES: set[Callable[..., Any]] = {F.interpolate, F.upsample, F.conv_transpose2d}


def node_shape(node: fx.Node) -> tuple[int, ...] | None:
    """The recorded output shape without the batch axis; of the first tensor when the node returns several."""
    shape = node.meta.get(SHAPE) or next((s for s in node.meta.get(SHAPES) or () if s is not None), None)
    return shape[1:] if shape is not None else None


def _name(target: Any) -> str:
    if isinstance(target, str):
        return target
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", repr(target))
    prefix = {"_operator": "operator", "torch._C._nn": "F", "torch.nn.functional": "F"}.get(module, module)
    return f"{prefix}.{name}" if prefix else name


def _arg(node: fx.Node, index: int, key: str, default: Any) -> Any:
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(key, default)


def _conv_windows(kernel: Any, stride: Any, padding: Any, dilation: Any, where: str) -> tuple[Window, Window]:
    k = shapes.as_pair(tuple(kernel) if isinstance(kernel, list) else kernel, f"{where}: kernel_size")
    s = shapes.as_pair(tuple(stride) if isinstance(stride, list) else stride, f"{where}: stride")
    d = shapes.as_pair(tuple(dilation) if isinstance(dilation, list) else dilation, f"{where}: dilation")
    if padding == "valid":
        left = (0, 0)
    elif padding == "same":
        left = (shapes.same_padding(k[0], d[0])[0], shapes.same_padding(k[1], d[1])[0])
    else:
        left = shapes.as_pair(tuple(padding) if isinstance(padding, list) else padding, f"{where}: padding")
    return (
        Window(shapes.effective_kernel_size(k[0], d[0]), s[0], left[0]),
        Window(shapes.effective_kernel_size(k[1], d[1]), s[1], left[1]),
    )


def _pad_windows(pad: Any, where: str) -> tuple[Window, Window]:
    """Explicit padding ``(left, right, top, bottom)`` (torch's order, last axis first) shifts the field."""
    values = (pad,) * 4 if isinstance(pad, int) else tuple(pad)
    if len(values) != 4 or min(values) < 0:
        raise ValueError(f"{where}: only non-negative padding of the last two axes is supported, got {pad!r}")
    return (Window(1, 1, values[2]), Window(1, 1, values[0]))


def _adaptive(in_size: tuple[int, int], out_size: tuple[int, int]) -> tuple[Role, tuple[Window, Window] | None, str]:
    """Adaptive pooling is a sliding window only when the input divides evenly into the output."""
    if out_size == (1, 1):
        return "mix", None, ""
    if all(i % o == 0 for i, o in zip(in_size, out_size, strict=True)):
        k = (in_size[0] // out_size[0], in_size[1] // out_size[1])
        return "window", (Window(k[0], k[0], 0), Window(k[1], k[1], 0)), ""
    return (
        "opaque",
        None,
        f"adaptive pooling from {in_size} to {out_size} uses windows of unequal sizes: "
        f"no single receptive-field formula; use an input size divisible by the output size",
    )


class Builder:
    """Turns one traced ``fx.Node`` into a graph node; an operation it does not know is measured."""

    def __init__(self, modules: dict[str, nn.Module]) -> None:
        self.modules = modules
        self.calls: dict[str, int] = {}
        self.measurer = Measurer(self.modules)

    def node(self, n: fx.Node, inputs: tuple[str, ...], in_shapes: list[tuple[int, ...]]) -> Node:
        out = node_shape(n)
        assert out is not None
        first = in_shapes[0]
        in_size = (first[-2], first[-1]) if len(first) >= 3 else (1, 1)
        if n.op == "call_module":
            return self._module(n, inputs, in_size, out)
        target = n.target
        op = _name(target)
        where = f"node {n.name} ({op})"
        if n.op == "call_method":
            assert isinstance(target, str)
            known = tensor_op(n, target, inputs, first, out)
            if known is not None:
                return known
            if target in _PASS_METHODS:
                return Node(n.name, target, "pass", inputs, out, target=n.name)
            if target in _ELEMENTWISE_METHODS:
                return Node(n.name, target, "merge" if len(inputs) > 1 else "pass", inputs, out, target=n.name)
            if target in _RESHAPE_METHODS:
                return self._reshape(n, inputs, first, out, target)
            return self.measurer.node(n, inputs, out, f"method .{target}()", n.name)
        known = tensor_op(n, target, inputs, first, out)
        if known is not None:
            return known
        if target in PASS_FUNCTIONS or is_stochastic_depth(target):
            return Node(n.name, op.split(".")[-1], "pass", inputs, out, target=n.name)
        if target in _ELEMENTWISE:
            return Node(n.name, op.split(".")[-1], "merge" if len(inputs) > 1 else "pass", inputs, out, target=n.name)
        if target is torch.cat:
            return Node(n.name, "cat", "merge" if len(inputs) > 1 else "pass", inputs, out, target=n.name)
        if target in _RESHAPES:
            return self._reshape(n, inputs, first, out, "flatten")
        if target in _UPSAMPLES:
            return Node(
                n.name,
                op.split(".")[-1],
                "opaque",
                inputs,
                out,
                target=n.name,
                note="upsampling: no receptive field beyond",
            )
        if target is F.conv2d:
            weight = self._param_shape(n.args[1])
            windows = _conv_windows(
                weight[2:],
                _arg(n, 3, "stride", 1),
                _arg(n, 4, "padding", 0),
                _arg(n, 5, "dilation", 1),
                where,
            )
            macs = shapes.weight_macs(weight, out[-2] * out[-1])
            return Node(n.name, "conv2d", "window", inputs, out, windows, 0, macs, n.name)
        if target in (F.max_pool2d, F.avg_pool2d):
            kernel = _arg(n, 1, "kernel_size", None)
            stride = _arg(n, 2, "stride", None) or kernel
            dilation = _arg(n, 4, "dilation", 1) if target is F.max_pool2d else 1
            windows = _conv_windows(kernel, stride, _arg(n, 3, "padding", 0), dilation, where)
            return Node(n.name, op.split(".")[-1], "window", inputs, out, windows, target=n.name)
        if target is F.pad:
            return Node(n.name, "pad", "window", inputs, out, _pad_windows(_arg(n, 1, "pad", ()), where), target=n.name)
        if target in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
            role, adaptive, note = _adaptive(in_size, (out[-2], out[-1]))
            dims = (2, 3) if role == "mix" else ()
            return Node(n.name, op.split(".")[-1], role, inputs, out, adaptive, target=n.name, note=note, dims=dims)
        if target is F.linear:
            weight = self._param_shape(n.args[1])
            return self._linear(n, inputs, first, out, weight, n.name)
        return self.measurer.node(n, inputs, out, op, n.name)

    def _module(self, n: fx.Node, inputs: tuple[str, ...], in_size: tuple[int, int], out: tuple[int, ...]) -> Node:
        assert isinstance(n.target, str)
        module = self.modules[n.target]
        kind = type(module).__name__
        op = _camel_to_snake(kind)
        where = f"module {n.target} ({kind})"
        # a module called again (one ReLU reused in a block) is numbered as torch.fx numbers its nodes
        calls = self.calls.get(n.target, 0)
        self.calls[n.target] = calls + 1
        target = f"{n.target}_{calls}" if calls else n.target
        if isinstance(module, PASS_MODULES):
            return Node(n.name, op, "pass", inputs, out, None, 0, 0, target)
        if isinstance(module, nn.Conv2d):
            windows = _conv_windows(module.kernel_size, module.stride, module.padding, module.dilation, where)
            macs = shapes.weight_macs(module.weight.shape, out[-2] * out[-1])
            return Node(n.name, "conv2d", "window", inputs, out, windows, 0, macs, target)
        if isinstance(module, nn.ConvTranspose2d):
            macs = shapes.weight_macs(module.weight.shape, in_size[0] * in_size[1])
            note = "transposed convolution upsamples: no receptive field from here on"
            return Node(n.name, "conv_transpose2d", "opaque", inputs, out, None, 0, macs, target, note)
        if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
            dilation = module.dilation if isinstance(module, nn.MaxPool2d) else 1
            stride = module.stride if module.stride is not None else module.kernel_size
            windows = _conv_windows(module.kernel_size, stride, module.padding, dilation, where)
            return Node(n.name, op, "window", inputs, out, windows, 0, 0, target)
        if isinstance(module, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
            role, adaptive, note = _adaptive(in_size, (out[-2], out[-1]))
            dims = (2, 3) if role == "mix" else ()
            return Node(n.name, op, role, inputs, out, adaptive, 0, 0, target, note, dims=dims)
        if isinstance(module, nn.ZeroPad2d | nn.ConstantPad2d | nn.ReflectionPad2d | nn.ReplicationPad2d):
            return Node(n.name, op, "window", inputs, out, _pad_windows(module.padding, where), 0, 0, target)
        if isinstance(module, nn.Flatten):
            return self._reshape(n, inputs, self._in_shape(n), out, "flatten", target)
        if isinstance(module, nn.Linear):
            return self._linear(n, inputs, self._in_shape(n), out, module.weight.shape, target)
        if isinstance(module, nn.Upsample | nn.UpsamplingNearest2d | nn.UpsamplingBilinear2d | nn.PixelShuffle):
            note = "upsampling: no receptive field from here on"
            return Node(n.name, op, "opaque", inputs, out, None, 0, 0, target, note)
        if isinstance(module, nn.LayerNorm | nn.GroupNorm):
            rank = len(self._in_shape(n)) + 1
            count = len(module.normalized_shape) if isinstance(module, nn.LayerNorm) else rank - 1
            mixed = tuple(range(rank - count, rank))
            return Node(n.name, op, "mix", inputs, out, None, 0, 0, target, dims=mixed)
        return self.measurer.node(n, inputs, out, f"{kind} (module {n.target})", target)

    def _in_shape(self, n: fx.Node) -> tuple[int, ...]:
        shape = node_shape(n.all_input_nodes[0])
        assert shape is not None
        return shape

    def _reshape(
        self,
        n: fx.Node,
        inputs: tuple[str, ...],
        first: tuple[int, ...],
        out: tuple[int, ...],
        op: str,
        target: str = "",
    ) -> Node:
        return Node(n.name, op, "reshape", inputs, out, target=target or n.name)

    def _linear(
        self,
        n: fx.Node,
        inputs: tuple[str, ...],
        first: tuple[int, ...],
        out: tuple[int, ...],
        weight: Sequence[int],
        target: str,
    ) -> Node:
        macs = shapes.weight_macs(weight, _prod(out[:-1]))
        return Node(n.name, "linear", "mix", inputs, out, None, 0, macs, target, dims=(-1,))

    def _param_shape(self, arg: Any) -> tuple[int, ...]:
        if isinstance(arg, fx.Node) and arg.meta.get(SHAPE) is not None:
            return tuple(arg.meta[SHAPE])
        raise ValueError(f"the weight {arg!r} of a functional call has no known shape")


def _prod(values: tuple[int, ...]) -> int:
    result = 1
    for v in values:
        result *= v
    return result


def _camel_to_snake(name: str) -> str:
    """``BatchNorm2d`` → ``batch_norm2d``, ``LeakyReLU`` → ``leaky_relu``: the layer-list spelling."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", "_", name).lower()
