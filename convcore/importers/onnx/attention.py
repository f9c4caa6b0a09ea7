"""Attention's relative-position tables, read back from the constants the exporters fold them into.

Swin and MaxViT add a learned bias to the attention scores ``q·kᵀ`` of each window of ``M × M`` tokens: a
table of ``(2M − 1)² × heads`` values, one per relative position, gathered by a constant index into
``heads × N × N`` (``N = M²`` tokens) and added to the scores. torch counts the table. Both exporters compute
the gather at export time, since it reads only a parameter and a constant index, and keep its result instead:

- the TorchScript exporter stores it as a new tensor under a name of its own (``onnx::Add_123``, shape
  ``1 × heads × N × N``) — counted as it is, it is ``N² / (2M − 1)²`` times the table (14 times for 7 × 7);
- the dynamo exporter's optimizer keeps it as a constant named after the torch operation that made it
  (``unsqueeze``), or leaves it out with the other constants of an export without weights — for larger tables
  only the gather is folded (``index_2``) and the reshape and transpose after it stay nodes; the table itself,
  listed among the program's parameters (``graph_signature``), is then read by no node of the file.

:func:`position_table` counts the table where the scores node's other operand is such a constant, with a note
on the node: the table's size is read from ``N`` and the heads (a square window of ``M = √N`` is assumed; a
number of tokens that is not a square is left as it is).
"""

import math
from collections.abc import Container
from dataclasses import dataclass

import onnx

from convcore.importers.onnx.nodes import Context
from convcore.importers.onnx.rewrites import metadata, module_scope, named_by_exporter, signature_parameters

# operations producing attention scores from two feature maps, and the scalings that may follow them
_PRODUCTS = frozenset({"MatMul", "Einsum"})
_SCALINGS = frozenset({"Mul", "Div"})
# operations that only lay a tensor's values out anew
_LAYOUT = frozenset({"Reshape", "Transpose", "Unsqueeze", "Squeeze", "Flatten", "Identity"})


@dataclass(frozen=True)
class Survey:
    """What the whole graph says about folded constants: the tensors some node makes, the graph's inputs and
    stored tensors, the dynamo exporter's parameters (empty for TorchScript) and those no node reads."""

    producers: dict[str, onnx.NodeProto]
    stored: frozenset[str]
    parameters: frozenset[str]
    unread: frozenset[str]


@dataclass(frozen=True)
class Table:
    """The table's parameters to count at the node, the count of the folded constant they replace (already
    counted as a weight of the node, or 0 when the file leaves it out), and the note."""

    params: int = 0
    replaces: int = 0
    note: str = ""


def survey(graph: onnx.GraphProto) -> Survey:
    producers = {out: node for node in graph.node for out in node.output if out}
    stored = frozenset({i.name for i in graph.input} | {t.name for t in graph.initializer})
    parameters = signature_parameters(graph)
    read = {name for node in graph.node for name in node.input}
    return Survey(producers, stored, parameters, parameters - read)


def position_table(
    node: onnx.NodeProto, feature: list[int], ctx: Context, graph: Survey, maps: Container[str]
) -> Table:
    """The relative-position table an ``Add`` of attention scores and a folded constant stands for (see the
    module docstring); an empty :class:`Table` for any other node. ``maps``: the tensors that are feature maps."""
    if node.op_type != "Add" or len(node.input) != 2 or len(feature) != 1:
        return Table()
    scores, bias = node.input[feature[0]], node.input[1 - feature[0]]
    shape = ctx.dims.get(scores, ())
    if len(shape) < 3 or shape[-1] != shape[-2] or not _is_scores(scores, graph, maps):
        return Table()
    tokens, heads = shape[-1], shape[-3]
    side = math.isqrt(tokens)
    if side * side != tokens:
        return Table()
    folded = _folded(node, bias, tokens, heads, ctx, graph)
    if folded is None:
        return Table()
    stored, how = folded
    table = (2 * side - 1) ** 2 * heads
    note = (
        f"relative-position bias: {how}; counted as the table it was gathered from, one value per relative "
        f"position in a {side} × {side} window (N = {tokens} tokens, a square window assumed) and head: "
        f"(2·{side} − 1)² × {heads} = {table}"
    )
    return Table(table, stored, note)


def _folded(
    node: onnx.NodeProto, bias: str, tokens: int, heads: int, ctx: Context, graph: Survey
) -> tuple[int, str] | None:
    """The count already given to the constant behind ``bias`` and how the file shows it was folded, or
    ``None`` if it was not."""
    source = _source(bias, graph)
    if source is None:
        return None
    held = ctx.weights.get(source)
    if held is not None and math.prod(held) != tokens * tokens * heads:
        return None
    stored = math.prod(held) if held is not None else 0
    if not graph.parameters:
        if held is None or not named_by_exporter(source):
            return None
        return stored, f"the TorchScript exporter folded it into {source!r} ({' × '.join(map(str, held))})"
    scope = module_scope(metadata(node))
    if source in graph.parameters or (source in graph.stored and held is None):
        return None
    if not any(p.rpartition(".")[0] == scope for p in graph.unread):
        return None
    kept = f"keeps it as {source!r}" if held is not None else f"leaves it out of the file ({source!r})"
    return stored, (
        f"the dynamo exporter computed it at export time from parameters of {scope or 'the model'} that no node "
        f"reads, and {kept}"
    )


def _source(name: str, graph: Survey) -> str | None:
    """The tensor ``name`` is a view of (through reshapes and transposes), if no node computes that one."""
    node = graph.producers.get(name)
    while node is not None and node.op_type in _LAYOUT and node.input:
        name = node.input[0]
        node = graph.producers.get(name)
    return name if node is None else None


def _is_scores(name: str, graph: Survey, maps: Container[str]) -> bool:
    """Whether ``name`` is a product of two feature maps (attention's ``q·kᵀ``), maybe scaled by a constant."""
    node = graph.producers.get(name)
    while node is not None and node.op_type in _SCALINGS:
        scaled = [t for t in node.input if t in maps]
        node = graph.producers.get(scaled[0]) if len(scaled) == 1 else None
    if node is None or node.op_type not in _PRODUCTS or len(node.input) != 2:
        return False
    return all(t in maps for t in node.input)
