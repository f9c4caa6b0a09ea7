"""What a traced module's constant-only nodes read and compute: parameters and the MACs of layers run on them.

Torch counts the parameters the forward pass reads and every multiply-add it runs. A node whose inputs are
all constants (parameters, buffers, sizes) is no feature map, yet it may read parameters — ViT's class token
and position embedding, ConvNeXt's layer scale, Swin's bias tables — or run a layer on a constant table
(Swin v2's bias MLP). Both are carried along the constant chain to the first feature-map node that uses it
and counted there, each parameter once: a module called twice (shared weights) counts once.
"""

from dataclasses import dataclass, field

import torch
from torch import fx, nn

from convcore.importers.fx.measure import count_macs
from convcore.importers.fx.shapes import DTYPE, SHAPE


@dataclass
class _Carried:
    params: set[int] = field(default_factory=set)
    # constant-only layer calls (node names) that run multiply-adds
    layers: set[str] = field(default_factory=set)


class Constants:
    """Carries parameters and layer MACs along constant-only nodes; counts each once where a feature map meets them."""

    def __init__(self, root: nn.Module, modules: dict[str, nn.Module]) -> None:
        """``modules``: ``dict(root.named_modules())``."""
        self.modules = modules
        self.attrs = dict(root.named_parameters(remove_duplicate=False))
        # per module path, the parameters of that module and its submodules (as ``module.parameters()``)
        self.owned: dict[str, set[int]] = {}
        for name, param in self.attrs.items():
            parts = name.split(".")
            for depth in range(len(parts)):
                self.owned.setdefault(".".join(parts[:depth]), set()).add(id(param))
        self.sizes = {id(p): p.numel() for p in self.attrs.values()}
        self.carried: dict[str, _Carried] = {}
        self.macs: dict[str, int] = {}
        self.counted = _Carried()

    def _own(self, n: fx.Node) -> set[int]:
        if n.op == "get_attr" and n.target in self.attrs:
            return {id(self.attrs[str(n.target)])}
        if n.op == "call_module":
            return set(self.owned.get(str(n.target), ()))
        return set()

    def _gather(self, n: fx.Node, inputs: list[fx.Node]) -> _Carried:
        ups = [self.carried[a.name] for a in inputs if a.name in self.carried]
        return _Carried(self._own(n).union(*(u.params for u in ups)), set().union(*(u.layers for u in ups)))

    def carry(self, n: fx.Node) -> None:
        """Remember what a node that is not a feature map reads and computes, for the feature map that uses it."""
        carried = self._gather(n, n.all_input_nodes)
        macs = self._layer_macs(n)
        if macs:
            self.macs[n.name] = macs
            carried.layers.add(n.name)
        self.carried[n.name] = carried

    def count(self, n: fx.Node, features: dict[str, tuple[int, ...]]) -> tuple[int, int, str]:
        """The parameters ``n`` reads and the constant layers' MACs it uses that no earlier node counted, and a
        note naming those layers."""
        used = self._gather(n, [a for a in n.all_input_nodes if a.name not in features])
        params = used.params - self.counted.params
        layers = sorted(used.layers - self.counted.layers)
        self.counted.params |= params
        self.counted.layers |= set(layers)
        macs = sum(self.macs[name] for name in layers)
        note = f"includes {macs:,} multiply-adds of layers run on constants ({', '.join(layers)})" if layers else ""
        return sum(self.sizes[p] for p in params), macs, note

    def _layer_macs(self, n: fx.Node) -> int:
        """FlopCounterMode's count ÷ 2 of a module with parameters called on constants (on meta tensors)."""
        if n.op != "call_module" or not self.owned.get(str(n.target)):
            return 0
        if any(a.meta.get(SHAPE) is None for a in n.all_input_nodes):
            return 0
        module: nn.Module = self.modules[str(n.target)]
        metas = {a.name: torch.empty(a.meta[SHAPE], dtype=a.meta.get(DTYPE), device="meta") for a in n.all_input_nodes}
        args = fx.node.map_arg(n.args, lambda a: metas[a.name])
        kwargs = fx.node.map_arg(n.kwargs, lambda a: metas[a.name])
        return count_macs(lambda: module(*args, **kwargs))
