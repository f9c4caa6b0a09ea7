"""A PyTorch module's per-node table — shapes, parameters, MACs, receptive fields — through ``torch.fx``.

The module is traced symbolically (``torch.fx.Tracer``: no data, only the graph) and its shapes are propagated by an
interpreter on meta tensors (a module with real weights is copied to the meta device first, without copying
data), so no arithmetic runs and the weights are never read. Each tensor-valued node becomes a
:class:`convcore.networks.graph.Node`; :func:`convcore.networks.graph.analyze` does the receptive-field arithmetic.
"""

import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn

from convcore.importers.fx.constants import Constants
from convcore.importers.fx.nodes import PASS_FUNCTIONS, PASS_MODULES, Builder, node_shape
from convcore.importers.fx.shapes import SHAPE, SHAPES, on_meta, propagate
from convcore.networks.graph import GraphReport, Node, analyze

_TORCH_DIR = str(Path(torch.__file__).resolve().parent)


def _user_frame(exc: BaseException) -> str:
    """``file:line: source`` of the innermost frame outside torch, where the untraceable code is."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if not str(Path(f.filename).resolve()).startswith(_TORCH_DIR)
    ]
    if not frames:
        return "inside torch"
    frame = frames[-1]
    return f"{Path(frame.filename).name}:{frame.lineno}: {(frame.line or '').strip()}"


class _Tracer(fx.Tracer):
    """``torch.fx.Tracer`` without the bookkeeping the summary never reads.

    The stock tracer copies the stack of enclosing module calls into every node's ``meta`` and keeps a scope per
    call, for debuggers and exporters; here a leaf module is just a node named by its path (a quarter of the
    trace's time). Which modules are leaves, and how everything else is traced, is unchanged.
    """

    def create_node(
        self,
        kind: str,
        target: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: str | None = None,
        type_expr: Any | None = None,
    ) -> fx.Node:
        return self.graph.create_node(kind, target, args, kwargs, name, type_expr)

    def call_module(
        self, m: nn.Module, forward: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        path = self.path_of_module(m)
        if not self.is_leaf_module(m, path):
            return forward(*args, **kwargs)
        return self.create_proxy("call_module", path, args, kwargs)


def trace(module: nn.Module) -> fx.Graph:
    """``torch.fx``'s symbolic trace with a student-readable ``ValueError`` naming the line it could not trace.

    Only the graph: no ``GraphModule`` is built (its generated code and copied submodules would cost a third of
    the trace's time for nothing); the graph's targets are paths in ``module``.
    """
    try:
        return _Tracer().trace(module)
    except Exception as exc:
        raise ValueError(
            f"torch.fx cannot trace {type(module).__name__}: {exc} (at {_user_frame(exc)}); data-dependent "
            f"control flow and calls on concrete values cannot be traced — rewrite that line or wrap it with "
            f"torch.fx.wrap"
        ) from exc


def summarize_module(module: nn.Module, input_shape: tuple[int, int, int]) -> GraphReport:
    """Per node of ``module`` on an input ``(C, H, W)``: output shape, params, MACs, r/S/P, merge alignment.

    MACs count convolutions and linear layers, as :mod:`convcore.networks.layers` does. Shapes omit the batch axis.
    """
    if len(input_shape) != 3 or any(not isinstance(d, int) or d < 1 for d in input_shape):
        raise ValueError(f"input_shape must be (channels, height, width) of positive integers, got {input_shape!r}")
    graph = trace(module)
    root = on_meta(module)
    propagate(root, graph, input_shape, PASS_MODULES, PASS_FUNCTIONS)
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ValueError(f"the module's forward takes {len(placeholders)} inputs; the summary needs exactly one image")
    modules = dict(root.named_modules())
    builder = Builder(modules)
    constants = Constants(root, modules)
    nodes: list[Node] = []
    shapes_by_name: dict[str, tuple[int, ...]] = {}
    for n in graph.nodes:
        if n.op == "placeholder":
            out = node_shape(n)
            assert out is not None
            nodes.append(Node(n.name, "input", "input", (), out, target=str(n.target)))
            shapes_by_name[n.name] = out
            continue
        if n.op == "output":
            continue
        inputs = tuple(a.name for a in n.all_input_nodes if a.name in shapes_by_name)
        out = node_shape(n)
        if not inputs or out is None:
            # constants, parameters and sizes (x.size(), x.shape) are not feature maps: what they read and
            # compute is counted where they meet one
            constants.carry(n)
            continue
        node = builder.node(n, inputs, [shapes_by_name[name] for name in inputs])
        params, macs, note = constants.count(n, shapes_by_name)
        full = n.meta.get(SHAPE) or next(s for s in n.meta[SHAPES] if s is not None)
        nodes.append(
            replace(
                node,
                params=params,
                macs=node.macs + macs,
                note="; ".join(filter(None, (node.note, note))),
                shape=tuple(full) if full[0] != 1 else node.shape,
            )
        )
        shapes_by_name[n.name] = out
    return analyze(nodes)
