"""What the nodes that read no feature map carry to the feature maps they meet: parameters, MACs, tables.

A model may compute on constants before they meet an image: Swin v2's continuous position bias runs a small
MLP over a table of relative coordinates (a buffer), gathers its output into a bias per head and pair of
tokens, and adds it to the attention scores. The exporters write that computation as ordinary nodes. None of
them reads a feature map, so none is a node of the table; what they hold is counted at the feature node where
their result arrives, with a note:

- the parameters they read (each use counts, as for any node);
- the MACs of their matrix products, which torch counts as any other (each product once);
- not the data they multiply: a tensor that enters a product as its first operand, the second being a weight,
  is a linear layer's input — a table of coordinates, not a parameter, though the TorchScript exporter writes
  buffers and parameters alike as named inputs.
"""

from collections.abc import Iterable, Mapping

import onnx

from convcore.arithmetic import shapes
from convcore.importers.onnx.nodes import Context, attrs_of

_PRODUCTS = frozenset({"MatMul", "Gemm"})


class Feed:
    """The parameters, MACs and data tables each constant tensor carries, built node by node in order."""

    def __init__(self, ctx: Context, notes: Mapping[str, str]) -> None:
        """``notes``: what to say about a left-out tensor that is no weight (a product the exporter folded),
        wherever a constant computed from it meets a feature map."""
        self.ctx = ctx
        self._notes = notes
        self._said: dict[str, dict[str, str]] = {}
        self._told: set[str] = set()
        self._weights: dict[str, list[str]] = {}
        self._work: dict[str, dict[str, int]] = {}
        self._tables: dict[str, frozenset[str]] = {}
        self._spent: set[str] = set()
        # the TorchScript exporter writes a stored tensor that equals another as an Identity of it
        self._aliases: dict[str, str] = {}

    def constant(self, node: onnx.NodeProto, name: str) -> None:
        """Record a node that reads no feature map (``name``: its name, for the notes)."""
        ctx = self.ctx
        if node.op_type == "Identity" and node.input and node.input[0] in ctx.weights:
            self._aliases[node.output[0]] = node.input[0]
        tables = self._data_operand(node)
        owners = {t for t in node.input if (t in ctx.weights or t in ctx.unsized) and t not in tables}
        owners = owners.union(*(self._weights.get(t, ()) for t in node.input if t not in tables))
        work = {k: v for t in node.input for k, v in self._work.get(t, {}).items()}
        macs = _product_macs(node, ctx)
        if macs:
            work[name] = macs
        tables = tables.union(*(self._tables.get(t, ()) for t in node.input))
        said = {k: v for t in node.input for k, v in self._said.get(t, {}).items()}
        said.update((t, self._notes[t]) for t in node.input if t in self._notes and t not in ctx.weights)
        # most constants (shapes, pads, axes) carry nothing: only what carries something is kept
        kept = sorted(owners)
        for out in node.output:
            if kept:
                self._weights[out] = kept
            if work:
                self._work[out] = work
            if tables:
                self._tables[out] = tables
            if said:
                self._said[out] = said

    def _data_operand(self, node: onnx.NodeProto) -> frozenset[str]:
        """The first operand of a product, when it is a stored tensor (or an alias of one) of rank above 2 and
        the second has a linear layer's weight's rank (2): the layer's input."""
        if node.op_type not in _PRODUCTS or len(node.input) < 2:
            return frozenset()
        data = self._aliases.get(node.input[0], node.input[0])
        first, weight = self.ctx.weights.get(data), self.ctx.dims.get(node.input[1])
        if first is None or weight is None or len(weight) != 2 or len(first) <= 2:
            return frozenset()
        return frozenset({node.input[0]})

    def weights(self, read: Iterable[str]) -> list[str]:
        """The parameters the constant inputs among ``read`` carry, once per input that carries each."""
        return [w for t in read for w in self._weights.get(t, ())]

    def arriving(self, read: Iterable[str]) -> tuple[int, str]:
        """The MACs of the products behind ``read`` not yet counted at another node, and the note saying so and
        what else is to be said about the left-out tensors behind ``read``."""
        read = list(read)
        work = {k: v for t in read for k, v in self._work.get(t, {}).items() if k not in self._spent}
        said = {k: v for t in read for k, v in self._said.get(t, {}).items() if k not in self._told}
        self._spent.update(work)
        self._told.update(said)
        tables = sorted(frozenset().union(*(self._tables.get(t, ()) for t in read)))
        notes = []
        if work:
            notes.append(
                f"{sum(work.values())} MACs of matrix products on constants before this node counted here "
                f"({', '.join(sorted(work))})"
            )
        if tables:
            notes.append(
                f"{', '.join(tables)} enters a matrix product as its data (a linear layer's input, the weight its "
                f"second operand): a table the model computes from, not parameters"
            )
        notes += said.values()
        return sum(work.values()), "; ".join(notes)


def _product_macs(node: onnx.NodeProto, ctx: Context) -> int:
    """``out × inner`` for a MatMul or Gemm whose shapes are known, else 0."""
    if node.op_type not in _PRODUCTS or len(node.input) < 2 or not node.output:
        return 0
    first = ctx.dims.get(node.input[0]) or ctx.weights.get(node.input[0])
    out = ctx.dims.get(node.output[0])
    if not first or not out or min(out) < 0:
        return 0
    inner = first[-2] if node.op_type == "Gemm" and int(attrs_of(node).get("transA", 0)) else first[-1]
    return shapes.matmul_macs(out, inner)
