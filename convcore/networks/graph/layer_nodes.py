"""The nodes of the shared layer description (:mod:`convcore.networks.layers`): one node per layer, and a layer
list with residual shortcuts as the zoo describes architectures (:func:`from_layers`).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from convcore.networks.graph.chain import layer_role
from convcore.networks.graph.nodes import Node
from convcore.networks.layers import Layer, LayerResult, Shape, apply_layer, parse_layer


def layer_node(layer: Layer | Mapping[str, Any], name: str, source: str, shape: Shape, index: int = 0) -> Node:
    """The node of one layer of the shared layer description applied to ``shape`` (the output of ``source``)."""
    parsed = layer if isinstance(layer, Layer) else parse_layer(layer, index)
    return result_node(apply_layer(parsed, shape, index), name, source)


def result_node(result: LayerResult, name: str, source: str) -> Node:
    """The node of a layer already applied to its input (:func:`convcore.networks.layers.apply_layer`)."""
    layer = result.layer
    out = result.output
    output = (out.channels, out.height, out.width)
    role = layer_role(layer.type)
    if role == "opaque":
        return Node(
            name,
            layer.type,
            role,
            (source,),
            output,
            None,
            result.params,
            result.macs,
            layer.name,
            "transposed convolution upsamples: no receptive field from here on",
        )
    if role == "mix":
        # a mean over the map, or a linear layer reading the map flattened: every position is mixed
        dims = (2, 3) if layer.type == "global_avg_pool2d" else (1, 2, 3)
        return Node(name, layer.type, role, (source,), output, None, result.params, result.macs, layer.name, dims=dims)
    return Node(name, layer.type, role, (source,), output, result.windows, result.params, result.macs, layer.name)


def from_layers(
    layers: Sequence[Layer | Mapping[str, Any]],
    input_shape: Shape,
    shortcuts: Sequence[Mapping[str, Any]] = (),
) -> list[Node]:
    """Nodes of a layer list with residual shortcuts, as the zoo describes architectures.

    Layer ``i`` reads layer ``i − 1`` (``-1`` is the input). A shortcut ``{"from": a, "to": b, "layers": [...]}``
    runs its own layers (empty: identity) on the output of layer ``a`` and adds the result to the output of
    layer ``b``; the add node is named ``add_b`` and the next layer reads it. Node names are the layers' names
    where given, else their indices.
    """
    parsed = [layer if isinstance(layer, Layer) else parse_layer(layer, i) for i, layer in enumerate(layers)]
    names = [layer.name or str(i) for i, layer in enumerate(parsed)]
    by_target: dict[int, list[Mapping[str, Any]]] = {}
    for shortcut in shortcuts:
        start, end = shortcut.get("from"), shortcut.get("to")
        if not isinstance(start, int) or not isinstance(end, int) or not -1 <= start < end < len(parsed):
            raise ValueError(
                f"shortcut from {start!r} to {end!r}: both must be layer indices with -1 <= from < to < {len(parsed)}"
            )
        by_target.setdefault(end, []).append(shortcut)

    nodes = [Node("input", "input", "input", (), (input_shape.channels, input_shape.height, input_shape.width))]
    outputs: dict[int, tuple[str, Shape]] = {-1: ("input", input_shape)}
    source, shape = "input", input_shape
    for i, layer in enumerate(parsed):
        node = layer_node(layer, names[i], source, shape, i)
        nodes.append(node)
        source, shape = node.name, Shape(*node.output)
        for k, shortcut in enumerate(by_target.get(i, [])):
            branch, branch_shape = outputs[shortcut["from"]]
            for j, raw in enumerate(shortcut.get("layers", [])):
                sub = raw if isinstance(raw, Layer) else parse_layer(raw, j)
                sub_node = layer_node(sub, sub.name or f"shortcut_{i}_{k}_{j}", branch, branch_shape, j)
                nodes.append(sub_node)
                branch, branch_shape = sub_node.name, Shape(*sub_node.output)
            if branch_shape != shape:
                raise ValueError(
                    f"shortcut from {shortcut['from']} to {i}: shapes {branch_shape} and {shape} cannot be added; "
                    f"give the shortcut layers that match them"
                )
            add = Node(
                f"add_{names[i]}" if k == 0 else f"add_{names[i]}_{k}", "add", "merge", (source, branch), node.output
            )
            nodes.append(add)
            source = add.name
        outputs[i] = (source, shape)
    return nodes
