"""torch.fx nodes that move, mix or pick positions — permute, transpose, indexing, softmax, means, matrix
products, attention — and the measurement of any call the summary does not know.

Dimensions are given in the full shape (batch axis included), as :class:`convcore.networks.graph.Node` wants them.
"""

import copy
import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from convcore.arithmetic import shapes
from convcore.arithmetic.receptive_field import Window
from convcore.importers.fx.measure import Measured, count_macs, measure, real
from convcore.importers.fx.shapes import DTYPE, SHAPE, SHAPES
from convcore.networks.graph import Node

_MIX_METHODS = {"softmax", "log_softmax", "mean", "sum", "amax", "amin", "max", "min", "cumsum", "logsumexp"}
_MIX_FUNCTIONS: dict[Callable[..., Any], str] = {
    F.softmax: "softmax",
    F.log_softmax: "log_softmax",
    torch.softmax: "softmax",
    torch.mean: "mean",
    torch.sum: "sum",
    torch.amax: "amax",
    torch.logsumexp: "logsumexp",
}
_MATMULS = {torch.matmul, operator.matmul, torch.bmm}
_TUPLE_METHODS = {"chunk", "split", "unbind", "tensor_split"}


def _arg(n: fx.Node, index: int, key: str, default: Any) -> Any:
    if len(n.args) > index:
        return n.args[index]
    return n.kwargs.get(key, default)


def _full(out: tuple[int, ...]) -> int:
    return len(out) + 1


def _dims(value: Any, rank: int) -> tuple[int, ...]:
    """``dim`` arguments (an int, a list, ``None`` for all) as non-negative dimensions of a rank-``rank`` tensor."""
    if value is None:
        return tuple(range(rank))
    values = value if isinstance(value, list | tuple) else [value]
    return tuple(int(v) % rank for v in values)


def is_stochastic_depth(target: Any) -> bool:
    """``torchvision.ops.stochastic_depth`` (identity at inference), recognised without importing torchvision."""
    return getattr(target, "__name__", "") == "stochastic_depth" and "torchvision" in getattr(target, "__module__", "")


def tensor_op(
    n: fx.Node, op: Any, inputs: tuple[str, ...], first: tuple[int, ...], out: tuple[int, ...]
) -> Node | None:
    """The node of a known tensor operation (``op``: a method name or a function), else ``None``."""
    rank = len(first) + 1
    name = op if isinstance(op, str) else _MIX_FUNCTIONS.get(op, getattr(op, "__name__", str(op)))
    args = n.args[1:]
    if op in ("permute", torch.permute):
        perm = args[0] if len(args) == 1 and isinstance(args[0], list | tuple) else args
        return Node(n.name, "permute", "permute", inputs, out, target=n.name, dims=_dims(list(perm), rank))
    if op in ("transpose", torch.transpose):
        a, b = _dims([args[0], args[1]], rank)
        perm = list(range(rank))
        perm[a], perm[b] = b, a
        return Node(n.name, "transpose", "permute", inputs, out, target=n.name, dims=tuple(perm))
    if op in ("unflatten", "view_as", "squeeze", "unsqueeze", torch.squeeze, torch.unsqueeze, torch.unflatten):
        return Node(n.name, name, "reshape", inputs, out, target=n.name)
    if op in ("expand", "expand_as", "repeat", "type_as", "to", "detach") or op in _TUPLE_METHODS:
        return Node(n.name, name, "pass", inputs, out, target=n.name)
    if op in _MIX_METHODS or op in _MIX_FUNCTIONS:
        dim = _arg(n, 1, "dim", None)
        return Node(n.name, name, "mix", inputs, out, target=n.name, dims=_dims(dim, rank))
    if op is F.layer_norm:
        count = len(_arg(n, 1, "normalized_shape", ()))
        return Node(n.name, "layer_norm", "mix", inputs, out, target=n.name, dims=tuple(range(rank - count, rank)))
    if op in _MATMULS or op == "matmul":
        macs = shapes.matmul_macs(_shape_of(n), _shape_of(n.args[0])[-1])
        return Node(n.name, "matmul", "matmul", inputs, out, macs=macs, target=n.name)
    if op is F.scaled_dot_product_attention:
        q, k, v = (_shape_of(a) for a in n.args[:3])
        # softmax(Q·Kᵀ)·V: two products, the scores summing over Q's features, the output over K's positions
        macs = shapes.matmul_macs((*q[:-1], k[-2]), q[-1]) + shapes.matmul_macs((*q[:-1], v[-1]), k[-2])
        equation = "...id,...jd,...je->...ie"
        return Node(n.name, "attention", "matmul", inputs, out, macs=macs, target=n.name, equation=equation)
    if op is operator.getitem:
        return _getitem(n, inputs, first, out)
    return None


def _shape_of(arg: Any) -> tuple[int, ...]:
    shape = arg.meta.get(SHAPE) if isinstance(arg, fx.Node) else None
    if shape is None:
        raise ValueError(f"the shape of {arg!r} is not known")
    return tuple(shape)


def _getitem(n: fx.Node, inputs: tuple[str, ...], first: tuple[int, ...], out: tuple[int, ...]) -> Node:
    """One tensor of several (``q, k, v = ...``), or indexing: strided slices are windows along their dimension."""
    source, index = n.args[0], n.args[1]
    if isinstance(source, fx.Node) and source.meta.get(SHAPES) is not None:
        return Node(n.name, "getitem", "pass", inputs, out, target=n.name)
    items: list[Any] = list(index) if isinstance(index, tuple) else [index]
    if any(not isinstance(i, slice) and i is not Ellipsis for i in items) or items.count(Ellipsis) > 1:
        return Node(n.name, "getitem", "pass", inputs, out, target=n.name)
    rank = len(first) + 1
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + [slice(None)] * (rank - len(items) + 1) + items[at + 1 :]
    dims, windows = [], []
    for dim, item in enumerate(items):
        start, step = item.start or 0, item.step or 1
        if not isinstance(start, int) or not isinstance(step, int) or step < 1:
            return Node(n.name, "getitem", "pass", inputs, out, target=n.name)
        if start or step != 1:
            size = first[dim - 1] if dim else 1
            dims.append(dim)
            windows.append(Window(1, step, -(start % size if start < 0 else start)))
    if not dims:
        return Node(n.name, "getitem", "pass", inputs, out, target=n.name)
    return Node(n.name, "getitem", "window", inputs, out, tuple(windows), target=n.name, dims=tuple(dims))


class Measurer:
    """Measures unknown calls on real tensors, once per distinct call (same operation, shapes and arguments)."""

    def __init__(self, modules: dict[str, nn.Module]) -> None:
        self.modules = modules
        self.cache: dict[str, Measured] = {}

    def node(self, n: fx.Node, inputs: tuple[str, ...], out: tuple[int, ...], what: str, target: str) -> Node:
        """The measured node (its parameters are counted by the caller)."""
        try:
            found = self._measure(n, inputs[0])
        except (RuntimeError, ValueError, TypeError, IndexError, StopIteration, NotImplementedError) as exc:
            note = f"{what} is not known to the summary and could not be measured ({exc}): counted as global, 0 MACs"
            return Node(n.name, what, "global", inputs, out, None, 0, 0, target, note)
        return Node(
            n.name, what, "window", inputs, out, found.windows, 0, found.macs, target, found.note, True, found.dims
        )

    def _measure(self, n: fx.Node, feature: str) -> Measured:
        described = fx.node.map_arg((n.args, n.kwargs), lambda a: (a.name == feature, a.meta.get(SHAPE)))
        what = type(self.modules[str(n.target)]) if n.op == "call_module" else n.target
        key = repr((n.op, what, described))
        if key not in self.cache:
            metas = {
                a.name: torch.empty(a.meta[SHAPE], dtype=a.meta.get(DTYPE), device="meta") for a in n.all_input_nodes
            }
            macs = count_macs(lambda: self._call(n, *self._args(n, metas), on_meta=True))
            tensors = {a.name: real(a.meta[SHAPE], a.meta.get(DTYPE, torch.float32)) for a in n.all_input_nodes}
            self.cache[key] = measure(lambda: self._call(n, *self._args(n, tensors)), tensors[feature], macs)
        return self.cache[key]

    @staticmethod
    def _args(n: fx.Node, tensors: dict[str, torch.Tensor]) -> tuple[Any, Any]:
        return fx.node.map_arg(n.args, lambda a: tensors[a.name]), fx.node.map_arg(n.kwargs, lambda a: tensors[a.name])

    def _call(self, n: fx.Node, args: Any, kwargs: Any, on_meta: bool = False) -> Any:
        if n.op == "call_module" and on_meta:
            return self.modules[str(n.target)](*args, **kwargs)
        if n.op == "call_module":
            module = copy.deepcopy(self.modules[str(n.target)]).to_empty(device="cpu")
            with torch.no_grad():
                for tensor in (*module.parameters(), *module.buffers()):
                    if tensor.is_floating_point():
                        tensor.normal_(0.0, 0.1)
                    else:
                        tensor.zero_()
            return module(*args, **kwargs)
        if n.op == "call_method":
            return getattr(args[0], str(n.target))(*args[1:], **kwargs)
        return n.target(*args, **kwargs)  # type: ignore[operator]
