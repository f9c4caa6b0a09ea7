"""convcore.networks.graph.chain: the chain fast path gives the graph engine's fields, on random stacks."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from convcore.arithmetic import receptive_field as rf
from convcore.networks import graph, zoo
from convcore.networks.layers import Layer, LayerResult, Shape, parse_layers, propagate, static_windows
from convcore.networks.stack import analyze, chain_nodes

SIDE = st.integers(1, 4)
PAIR = st.one_of(SIDE, st.tuples(SIDE, SIDE).map(list))


def _conv(k: Any, s: Any, p: Any, d: Any, same: bool) -> dict[str, Any]:
    padding = ("same" if s == 1 else "valid") if same else p
    return {"type": "conv2d", "out_channels": 2, "kernel_size": k, "stride": s, "padding": padding, "dilation": d}


def _pool(kind: str, k: int, s: int, ceil: bool) -> dict[str, Any]:
    return {"type": kind, "kernel_size": k, "stride": s, "padding": k // 2, "ceil_mode": ceil}


LAYER = st.one_of(
    st.builds(_conv, PAIR, st.sampled_from([1, 1, 2, 3, [1, 2]]), st.integers(0, 2), st.integers(1, 3), st.booleans()),
    st.builds(
        _pool, st.sampled_from(["max_pool2d", "avg_pool2d"]), st.integers(2, 3), st.integers(1, 3), st.booleans()
    ),
    st.builds(
        lambda k, s: {"type": "conv_transpose2d", "out_channels": 2, "kernel_size": k, "stride": s},
        st.integers(1, 3),
        st.integers(1, 2),
    ),
    st.sampled_from([{"type": "relu"}, {"type": "batch_norm2d"}, {"type": "dropout"}, {"type": "global_avg_pool2d"}]),
    st.just({"type": "linear", "out_features": 3}),
)


def _engine_fields(results: list[LayerResult], shape: Shape) -> list[graph.Field | None]:
    return [n.field for n in graph.analyze(chain_nodes(results, shape)).nodes[1:]]


def _reads_a_line(results: list[LayerResult], fields: list[graph.Field | None]) -> bool:
    """Whether a window or a mix reads a map 1 long along an axis while the field is local (the engine's case)."""
    before: list[graph.Field | None] = [(rf.AxisField(), rf.AxisField()), *fields[:-1]]
    return any(
        graph.layer_role(r.layer.type) in ("window", "mix")
        and field is not None
        and not field[0].whole
        and 1 in r.input.size
        for r, field in zip(results, before, strict=True)
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=10), st.integers(1, 40), st.integers(1, 40))
def test_chain_fields_are_the_engines(raw: list[dict[str, Any]], h: int, w: int) -> None:
    shape = Shape(2, h, w)
    try:
        results = propagate(parse_layers(raw), shape)
    except ValueError:
        return
    engine = _engine_fields(results, shape)
    fast = graph.chain_fields(results, shape)
    if fast is None:
        assert _reads_a_line(results, engine)
    else:
        assert fast == engine
    assert [row.field for row in analyze([r.layer for r in results], shape).layers] == engine


def _nominal_nodes(layers: list[Layer]) -> list[graph.Node]:
    """The chain without an input size as engine nodes on a nominal 2×2 map, up to the first layer whose window
    needs the size."""
    nominal = (1, 2, 2)
    nodes = [graph.Node("input", "input", "input", (), nominal)]
    for i, layer in enumerate(layers):
        windows = static_windows(layer)
        if windows is None:
            break
        role = graph.layer_role(layer.type)
        nodes.append(graph.Node(str(i), layer.type, role, (nodes[-1].name,), nominal, windows))
    return nodes


@settings(max_examples=200, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=10))
def test_static_chain_fields_are_the_engines_on_a_nominal_map(raw: list[dict[str, Any]]) -> None:
    layers = parse_layers(raw)
    engine = [n.field for n in graph.analyze(_nominal_nodes(layers)).nodes[1:]]
    assert graph.static_chain_fields(layers) == engine + [None] * (len(layers) - len(engine))


def test_the_zoos_main_paths_take_the_fast_path() -> None:
    for name in zoo.NAMES:
        architecture = zoo.get_architecture(name)
        shape = Shape(3, 224, 224)
        results = propagate(parse_layers(architecture.layers), shape)
        assert graph.chain_fields(results, shape) == _engine_fields(results, shape), name


def test_a_one_pixel_high_map_is_left_to_the_engine() -> None:
    layers = parse_layers([{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding": 1}])
    results = propagate(layers, Shape(1, 1, 8))
    assert graph.chain_fields(results, Shape(1, 1, 8)) is None
    # the engine has no height axis on a 1-high map, so the window composes along the width only
    assert analyze(layers, Shape(1, 1, 8)).layers[0].field == (rf.AxisField(), rf.AxisField(3, 1, 1))
