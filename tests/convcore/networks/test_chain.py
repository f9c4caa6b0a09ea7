"""convcore.networks.graph.chain: the chain fast path gives the graph engine's fields, on random stacks."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcore.arithmetic import receptive_field as rf
from convcore.arithmetic.shapes import Pair
from convcore.networks import chain as chain_module
from convcore.networks import graph, zoo
from convcore.networks.chain import Chain
from convcore.networks.layers import Layer, LayerResult, Shape, parse_layers, propagate, static_windows
from convcore.networks.stack import analyze, chain_nodes
from convcore.networks.table import table
from tests.stacks import LAYER


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


@settings(max_examples=200, deadline=None)
@given(
    st.lists(LAYER, min_size=1, max_size=10),
    st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), min_size=2, max_size=3),
)
def test_a_chain_reused_over_sizes_gives_the_engines_table(raw: list[dict[str, Any]], sizes: list[Pair]) -> None:
    """A :class:`Chain` (what the /shapes memo keeps) answers each new size as the layers and the engine do."""
    chain = Chain(parse_layers(raw))
    for h, w in sizes:
        shape = Shape(2, h, w)
        try:
            results = propagate(chain.layers, shape)
        except ValueError as refused:
            with pytest.raises(ValueError) as raised:
                analyze(chain, shape)
            assert str(raised.value) == str(refused)
            continue
        assert analyze(chain, shape) == table(chain.layers, results, _engine_fields(results, shape), shape)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(LAYER, min_size=1, max_size=12),
    st.integers(8, 40),
    st.lists(st.tuples(st.integers(1, 2), st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=8),
)
def test_a_chain_given_near_sizes_gives_the_engines_table(
    raw: list[dict[str, Any]], side: int, steps: list[tuple[int, int, int]]
) -> None:
    """Sizes a few pixels apart, as a size slider sends, meet after strided layers: each layer gives its result and
    row again for an input it remembers (up to RECENT of them: more sizes than that make it forget), from where a
    layer is given what it was given in the chain's last run that run's rows and warnings come again (up to a layer
    whose field is the whole input), and the table is still the engine's."""
    chain = Chain(parse_layers(raw))
    for channels, dh, dw in steps:
        shape = Shape(channels, side + dh, side + dw)
        try:
            results = propagate(chain.layers, shape)
        except ValueError:
            continue
        assert analyze(chain, shape) == table(chain.layers, results, _engine_fields(results, shape), shape)


def test_resnet50_at_a_size_one_apart_takes_the_last_runs_rows_from_where_the_sizes_meet() -> None:
    chain = Chain(parse_layers(zoo.get_architecture("resnet50").layers))
    first = analyze(chain, Shape(3, 223, 223))
    shape = Shape(3, 224, 224)
    second = analyze(chain, shape)
    # conv1 (7×7, stride 2, padding 3) gives 112 for both, the max pool after it 56: it gives its last result again,
    # and from the layer after it the rows are the last run's objects, up to the global pooling, whose field is the
    # whole input.
    assert [row.layer.type for row in first.layers[:4]] == ["conv2d", "batch_norm2d", "relu", "max_pool2d"]
    assert first.layers[0].output == second.layers[0].output == Shape(64, 112, 112)
    assert first.layers[0].unused != second.layers[0].unused
    pooling = next(i for i, row in enumerate(first.layers) if row.layer.type == "global_avg_pool2d")
    assert all(a is b for a, b in zip(first.layers[3:pooling], second.layers[3:pooling], strict=True))
    assert first.layers[pooling].field != second.layers[pooling].field
    results = propagate(chain.layers, shape)
    assert second == table(chain.layers, results, _engine_fields(results, shape), shape)


def test_a_size_close_to_one_two_runs_back_replays_that_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two students moving sliders on one stack: each request is close to the one before the last, whose rows and
    warnings come again from where the sizes meet, without going through those layers."""
    chain = Chain(parse_layers(zoo.get_architecture("resnet50").layers))
    first = analyze(chain, Shape(3, 223, 223))
    analyze(chain, Shape(3, 400, 400))
    applied: list[int] = []
    apply = chain_module._apply

    def counted(step: Any, *args: Any) -> Shape:
        applied.append(step.index)
        return apply(step, *args)

    monkeypatch.setattr(chain_module, "_apply", counted)
    shape = Shape(3, 224, 224)
    third = analyze(chain, shape)
    pooling = next(i for i, row in enumerate(first.layers) if row.layer.type == "global_avg_pool2d")
    # conv1's step (conv1, bn1, relu) gives 112×112 for 224 as for 223, and the max pool remembers that input: the
    # first run is met at the step after it. From the global pooling on the field is the whole input, so those
    # layers run again.
    assert [row.layer.type for row in first.layers[:4]] == ["conv2d", "batch_norm2d", "relu", "max_pool2d"]
    assert applied == [0, 3, *range(pooling, len(chain.layers))]
    assert all(a is b for a, b in zip(first.layers[3:pooling], third.layers[3:pooling], strict=True))
    results = propagate(chain.layers, shape)
    assert third == table(chain.layers, results, _engine_fields(results, shape), shape)
