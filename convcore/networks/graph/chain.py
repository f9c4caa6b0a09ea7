"""The engine's fields for a chain of layers (each reads the one before, as a ``/shapes`` stack does), in one loop
over the propagated layers without building nodes: :func:`chain_fields` (one layer at a time:
:func:`next_field`) and, without an input size, :func:`static_chain_fields`.

The engine (:func:`convcore.networks.graph.analyze`) stays the definition; this is its fast path for the chains it
answers plainly. In such a chain a field is local on both axes or whole on both: a window composes one window per
axis, a pass keeps the field, a mix (global pooling, a linear layer) makes both axes whole over the input's extent,
a transposed convolution ends the field. The engine labels an axis of length 1 as no axis at all, so a window or a
mix that reads such a map with a local field is left to it: :func:`chain_fields` answers ``None``.
``tests/convcore/networks/test_chain.py`` checks both functions against the engine on random stacks.
"""

from collections.abc import Sequence

from convcore.arithmetic import receptive_field as rf
from convcore.networks.graph.nodes import Field, Role
from convcore.networks.layers import LAYER_TYPES, PASS_THROUGH, Layer, LayerResult, Shape, static_windows


def layer_role(layer_type: str) -> Role:
    """The engine's role of a layer type: what its node does to the receptive field."""
    if layer_type == "conv_transpose2d":
        return "opaque"
    if layer_type in ("global_avg_pool2d", "linear"):
        return "mix"
    return "pass" if layer_type in PASS_THROUGH else "window"


_ROLES = {layer_type: layer_role(layer_type) for layer_type in LAYER_TYPES}


class NotPlain(Exception):
    """The chain needs the engine's general path from here (see the module's docstring)."""


#: A chain's field before its first layer: one input position.
START: Field = (rf.AxisField(), rf.AxisField())


def next_field(
    field: Field | None, result: LayerResult, input_shape: Shape, composed: Field | None = None
) -> Field | None:
    """The field the engine gives ``result``'s node in a chain, from the field before it (``None``: ended by an
    upsampling layer); :class:`NotPlain` when the chain needs the engine's general path. ``composed``: the field
    of a window layer when known already (:func:`static_chain_fields`'), used instead of composing it again."""
    role = _ROLES[result.layer.type]
    if field is None or role == "pass":
        return field
    if role == "opaque":
        return None
    if field[0].whole:  # and so field[1]: a mix makes both axes whole at once
        return field
    if result.input.height == 1 or result.input.width == 1:
        raise NotPlain
    if role == "window":
        if composed is not None:
            return composed
        assert result.windows is not None
        return (rf.compose(field[0], result.windows[0]), rf.compose(field[1], result.windows[1]))
    return (rf.whole(input_shape.height, field[0].stride), rf.whole(input_shape.width, field[1].stride))


def chain_fields(results: Sequence[LayerResult], input_shape: Shape) -> list[Field | None] | None:
    """Per layer of a propagated chain the field the engine gives its node, or ``None`` when the chain needs the
    engine's general path (see the module's docstring)."""
    field: Field | None = START
    fields: list[Field | None] = []
    try:
        for result in results:
            field = next_field(field, result, input_shape)
            fields.append(field)
    except NotPlain:
        return None
    return fields


def static_chain_fields(layers: Sequence[Layer]) -> list[Field | None]:
    """Per layer the field without an input size: windows compose up to the first layer whose window needs the
    size (global pooling, linear) or that upsamples; that layer and the rest have ``None``."""
    field: Field = START
    fields: list[Field | None] = []
    for layer in layers:
        windows = static_windows(layer)
        if windows is None:
            break
        if _ROLES[layer.type] == "window":
            field = (rf.compose(field[0], windows[0]), rf.compose(field[1], windows[1]))
        fields.append(field)
    return fields + [None] * (len(layers) - len(fields))
