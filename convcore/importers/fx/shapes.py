"""Output shapes of a traced module's nodes, propagated on meta tensors (no data, no arithmetic).

A module with real weights is copied to the meta device first, without copying data. Each node's output
shape (batch axis included) is recorded in ``node.meta[SHAPE]``, its element type in ``node.meta[DTYPE]``;
a node returning several tensors records the shapes of all of them in ``node.meta[SHAPES]``.
"""

import copy
import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from convcore.arithmetic import shapes

SHAPE = "convviz_shape"
SHAPES = "convviz_shapes"
DTYPE = "convviz_dtype"


def _prod(values: tuple[int, ...]) -> int:
    result = 1
    for v in values:
        result *= v
    return result


def on_meta(module: nn.Module) -> nn.Module:
    """``module`` with its parameters and buffers on the meta device: a copy (no data copied) unless they already
    are."""
    tensors = (*module.parameters(), *module.buffers())
    if all(t.is_meta for t in tensors):
        return module
    memo: dict[int, Any] = {}
    for tensor in tensors:
        meta = tensor.detach().to("meta")
        memo[id(tensor)] = nn.Parameter(meta, tensor.requires_grad) if isinstance(tensor, nn.Parameter) else meta
    return copy.deepcopy(module, memo)


def _pair_of(value: Any, name: str) -> tuple[int, int]:
    return shapes.as_pair(tuple(value) if isinstance(value, list) else value, name)


def _sliding_shape(module: nn.Module, shape: tuple[int, ...], where: str) -> tuple[int, ...]:
    """Output shape of a Conv2d or pooling module on an NCHW ``shape``, by :mod:`convcore.arithmetic.shapes`."""
    k = _pair_of(module.kernel_size, f"{where}: kernel_size")
    stride_value = getattr(module, "stride", None) or module.kernel_size
    s = _pair_of(stride_value, f"{where}: stride")
    d = _pair_of(getattr(module, "dilation", 1), f"{where}: dilation")
    channels = shape[1]
    if isinstance(module, nn.Conv2d):
        if shape[1] != module.in_channels:
            raise ValueError(f"{where} expects {module.in_channels} input channels, got {shape[1]}")
        channels = module.out_channels
        if module.padding == "same":
            pads = [shapes.same_padding(k[a], d[a]) for a in (0, 1)]
        else:
            p = (0, 0) if module.padding == "valid" else _pair_of(module.padding, f"{where}: padding")
            pads = [(p[0], p[0]), (p[1], p[1])]
        size = [
            shapes.conv_output_size(shape[2 + a], kernel_size=k[a], stride=s[a], padding=pads[a], dilation=d[a])
            for a in (0, 1)
        ]
    else:
        p = _pair_of(module.padding, f"{where}: padding")
        size = [
            shapes.pool_output_size(
                shape[2 + a],
                kernel_size=k[a],
                stride=s[a],
                padding=p[a],
                dilation=d[a],
                ceil_mode=bool(getattr(module, "ceil_mode", False)),
            )
            for a in (0, 1)
        ]
    return (shape[0], channels, size[0], size[1])


def _flatten_shape(shape: tuple[int, ...], start: int, end: int) -> tuple[int, ...]:
    start, end = start % len(shape), end % len(shape)
    return (*shape[:start], _prod(shape[start : end + 1]), *shape[end + 1 :])


def _adaptive_shape(shape: tuple[int, ...], output_size: Any) -> tuple[int, ...]:
    out = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    return (*shape[:-2], *(shape[-2 + a] if out[a] is None else int(out[a]) for a in (0, 1)))


def _module_shape(module: nn.Module, shape: tuple[int, ...], where: str) -> tuple[int, ...] | None:
    """The output shape of the common layers by convcore's arithmetic; ``None``: let torch's meta kernel run."""
    if len(shape) == 4 and isinstance(module, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
        return _sliding_shape(module, shape, where)
    if len(shape) == 4 and isinstance(module, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        return _adaptive_shape(shape, module.output_size)
    if isinstance(module, nn.Flatten):
        return _flatten_shape(shape, module.start_dim, module.end_dim)
    if isinstance(module, nn.Linear):
        if shape[-1] != module.in_features:
            raise ValueError(f"{where} expects {module.in_features} input features, got {shape[-1]}")
        return (*shape[:-1], module.out_features)
    return None


def _function_shape(target: Any, args: Any, kwargs: Any) -> tuple[int, ...] | None:
    """Output shapes of flatten, global pooling and same-shape additions; ``None``: let torch run."""
    x = args[0] if args else None
    if not isinstance(x, torch.Tensor):
        return None
    shape = tuple(int(d) for d in x.shape)
    if target is torch.flatten:
        start = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
        end = args[2] if len(args) > 2 else kwargs.get("end_dim", -1)
        return _flatten_shape(shape, start, end)
    if target is F.adaptive_avg_pool2d and len(shape) == 4:
        return _adaptive_shape(shape, args[1] if len(args) > 1 else kwargs["output_size"])
    if target in (operator.add, operator.iadd, torch.add) and len(args) == 2 and isinstance(args[1], torch.Tensor):
        return shape if tuple(args[1].shape) == shape and not kwargs else None
    return None


class _Shapes(fx.Interpreter):
    """Runs the graph on meta tensors and records each node's output shape in ``node.meta[SHAPE]``.

    ``None`` marks a node that returned several tensors. Shape-preserving layers get their input back, and
    convolutions, pooling, flatten and linear layers get an empty meta tensor of the shape convcore's own
    arithmetic gives; only other operations run torch's meta kernels. The reason is start-up time: the first
    meta convolution imports sympy and the first meta batch norm ``torch._dynamo`` (seconds, in a fresh
    process, for no information). ``ShapeProp`` is not used for the same reason.
    """

    def __init__(
        self, root: nn.Module, graph: fx.Graph, passing: tuple[type[nn.Module], ...], functions: set[Any]
    ) -> None:
        super().__init__(root, graph=graph)
        self.passing = passing
        self.functions = functions

    def run_node(self, n: fx.Node) -> Any:
        # torch's run_node also publishes each node as the current one, for stack traces of exporters: skipped
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        result = getattr(self, n.op)(n.target, args, kwargs)
        if isinstance(result, torch.Tensor):
            n.meta[SHAPE] = tuple(int(d) for d in result.shape)
            n.meta[DTYPE] = result.dtype
        elif isinstance(result, tuple | list) and any(isinstance(r, torch.Tensor) for r in result):
            n.meta[SHAPE] = None
            n.meta[SHAPES] = [tuple(int(d) for d in r.shape) if isinstance(r, torch.Tensor) else None for r in result]
            n.meta[DTYPE] = next(r.dtype for r in result if isinstance(r, torch.Tensor))
        return result

    def call_module(self, target: Any, args: Any, kwargs: Any) -> Any:
        module = self.submodules[target]
        if isinstance(module, self.passing):
            return args[0]
        if args and isinstance(args[0], torch.Tensor) and not kwargs:
            shape = _module_shape(
                module, tuple(int(d) for d in args[0].shape), f"module {target} ({type(module).__name__})"
            )
            if shape is not None:
                return torch.empty(shape, device="meta")
        return module(*args, **kwargs)

    def call_function(self, target: Any, args: Any, kwargs: Any) -> Any:
        if target in self.functions and args and isinstance(args[0], torch.Tensor):
            return args[0]
        shape = _function_shape(target, args, kwargs)
        if shape is not None:
            return torch.empty(shape, device="meta")
        return super().call_function(target, args, kwargs)


def propagate(
    root: nn.Module,
    graph: fx.Graph,
    input_shape: tuple[int, int, int],
    passing: tuple[type[nn.Module], ...],
    functions: set[Callable[..., Any]],
) -> None:
    """Record the output shape of every node of ``graph`` (traced from ``root``); ``passing`` modules and
    ``functions`` return their input unchanged."""
    try:
        _Shapes(root, graph, passing, functions).run(torch.zeros((1, *input_shape), device="meta"))
    except Exception as exc:
        raise ValueError(
            f"the module cannot run on a {'x'.join(map(str, input_shape))} input: {exc}; check the input "
            f"channels and that the size is large enough for every layer"
        ) from exc
