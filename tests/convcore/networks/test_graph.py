"""Receptive fields over graphs: hand-built branches with exact r/S/P and alignment verdicts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convcore.arithmetic.receptive_field import AxisField
from convcore.networks import stack
from convcore.networks.graph import Node, analyze, from_layers, layer_node, merge_fields
from convcore.networks.layers import Shape, parse_layer, static_windows


def conv(out: int, k: int | list[int], s: int = 1, p: int | str = 0, **extra: object) -> dict[str, object]:
    return {"type": "conv2d", "out_channels": out, "kernel_size": k, "stride": s, "padding": p, **extra}


def square(r: int, s: int, p: int) -> tuple[AxisField, AxisField]:
    return (AxisField(r, s, p), AxisField(r, s, p))


def chain(nodes: list[Node], name: str, layer: dict[str, object], source: str) -> str:
    """Append one layer node reading ``source``; the shape comes from the node already built."""
    shape = Shape(*next(n.output for n in nodes if n.name == source))
    nodes.append(layer_node(layer, name, source, shape))
    return name


def test_residual_block_with_strided_projection_is_aligned() -> None:
    nodes = [Node("x", "input", "input", output=(3, 32, 32))]
    chain(nodes, "stem", conv(8, 7, 2, 3), "x")
    chain(nodes, "conv1", conv(16, 3, 2, 1), "stem")
    chain(nodes, "bn1", {"type": "batch_norm2d"}, "conv1")
    chain(nodes, "relu1", {"type": "relu"}, "bn1")
    chain(nodes, "conv2", conv(16, 3, 1, 1), "relu1")
    chain(nodes, "down", conv(16, 1, 2, 0), "stem")
    nodes.append(Node("add", "add", "merge", ("conv2", "down"), (16, 8, 8)))
    report = analyze(nodes).by_name()

    assert report["stem"].field == square(7, 2, 3)
    assert report["conv1"].field == square(11, 4, 5)
    assert report["relu1"].field == square(11, 4, 5)
    assert report["conv2"].field == square(19, 4, 9)
    assert report["down"].field == square(7, 4, 3)
    add = report["add"]
    assert add.field == square(19, 4, 9)
    assert add.merge is not None
    assert add.merge.aligned
    assert add.merge.offsets == ((0.0, 0.0), (0.0, 0.0))
    assert add.merge.strides == ((4, 4), (4, 4))
    assert report["conv1"].node.output == (16, 8, 8)
    assert report["conv1"].node.params == 16 * 8 * 9 + 16
    assert report["conv1"].node.macs == 8 * 8 * 16 * 8 * 9
    assert report["bn1"].node.params == 32
    assert analyze(nodes).main_path == ["x", "stem", "conv1", "bn1", "relu1", "conv2", "add"]


def test_inception_block_branches_are_aligned_and_the_concat_takes_the_widest() -> None:
    nodes = [Node("x", "input", "input", output=(3, 28, 28))]
    chain(nodes, "stem", conv(16, 3, 2, 1), "x")
    chain(nodes, "b1", conv(8, 1), "stem")
    chain(nodes, "b2_reduce", conv(4, 1), "stem")
    chain(nodes, "b2", conv(8, 3, 1, 1), "b2_reduce")
    chain(nodes, "b3_reduce", conv(4, 1), "stem")
    chain(nodes, "b3", conv(8, 5, 1, 2), "b3_reduce")
    chain(nodes, "pool", {"type": "max_pool2d", "kernel_size": 3, "stride": 1, "padding": 1}, "stem")
    chain(nodes, "b4", conv(8, 1), "pool")
    nodes.append(Node("cat", "cat", "merge", ("b1", "b2", "b3", "b4"), (32, 14, 14)))
    report = analyze(nodes).by_name()

    assert report["b1"].field == square(3, 2, 1)
    assert report["b2"].field == square(7, 2, 3)
    assert report["b3"].field == square(11, 2, 5)
    assert report["b4"].field == square(7, 2, 3)
    cat = report["cat"]
    assert cat.field == square(11, 2, 5)
    assert cat.merge is not None and cat.merge.aligned
    assert cat.merge.offsets == ((0.0, 0.0),) * 4
    assert cat.note == ""


def test_even_pooling_next_to_an_odd_strided_conv_is_misaligned() -> None:
    nodes = [Node("x", "input", "input", output=(4, 16, 16))]
    chain(nodes, "pool", {"type": "max_pool2d", "kernel_size": 2}, "x")
    chain(nodes, "conv", conv(4, 3, 2, 1), "x")
    nodes.append(Node("add", "add", "merge", ("pool", "conv"), (4, 8, 8)))
    add = analyze(nodes).by_name()["add"]

    assert add.merge is not None
    assert not add.merge.aligned
    assert add.merge.offsets == ((0.5, 0.5), (0.0, 0.0))
    # union of [2u, 2u + 1] and [2u − 1, 2u + 1]
    assert add.field == square(3, 2, 1)
    assert "misaligned" in add.note


def test_asymmetric_same_padding_shifts_the_centre_by_half_a_pixel() -> None:
    nodes = [Node("x", "input", "input", output=(1, 9, 12))]
    chain(nodes, "even", conv(2, [2, 4], 1, "same"), "x")
    chain(nodes, "point", conv(2, 1), "x")
    nodes.append(Node("add", "add", "merge", ("even", "point"), (2, 9, 12)))
    report = analyze(nodes).by_name()

    # torch's "same": total d·(k − 1), the odd one after, so the left padding is 0 and 1
    assert report["even"].field == (AxisField(2, 1, 0), AxisField(4, 1, 1))
    merge = report["add"].merge
    assert merge is not None and not merge.aligned
    assert merge.offsets == ((0.5, 0.5), (0.0, 0.0))
    assert report["add"].field == (AxisField(2, 1, 0), AxisField(4, 1, 1))


def test_dilated_and_grouped_convolutions_count_their_effective_kernel() -> None:
    nodes = [Node("x", "input", "input", output=(8, 20, 20))]
    chain(nodes, "dil", conv(8, 3, 1, 2, dilation=2, groups=4), "x")
    node = analyze(nodes).by_name()["dil"]
    assert node.field == square(5, 1, 2)
    assert node.node.params == 8 * 2 * 9 + 8


def test_transposed_conv_ends_the_receptive_field_with_a_note() -> None:
    nodes = [Node("x", "input", "input", output=(2, 8, 8))]
    chain(nodes, "up", {"type": "conv_transpose2d", "out_channels": 2, "kernel_size": 2, "stride": 2}, "x")
    chain(nodes, "after", conv(2, 3, 1, 1), "up")
    report = analyze(nodes).by_name()
    assert report["up"].field is None
    assert "transposed" in report["up"].note
    assert report["after"].field is None
    assert report["after"].note
    assert report["after"].node.output == (2, 16, 16)


def test_merging_branches_with_different_strides_has_no_field() -> None:
    field, merge = merge_fields([square(3, 1, 1), square(3, 2, 1)])
    assert field is None
    assert not merge.aligned
    assert merge.strides == ((1, 1), (2, 2))


def test_cycles_and_duplicate_names_are_rejected() -> None:
    x = Node("x", "input", "input", output=(1, 4, 4))
    with pytest.raises(ValueError, match="not an earlier node"):
        analyze([x, Node("a", "relu", "pass", ("b",)), Node("b", "relu", "pass", ("a",))])
    with pytest.raises(ValueError, match="used twice"):
        analyze([x, Node("x", "relu", "pass", ("x",))])


def test_layer_list_with_a_projection_shortcut_matches_the_hand_built_graph() -> None:
    layers = [
        conv(8, 7, 2, 3),
        conv(16, 3, 2, 1),
        {"type": "relu"},
        conv(16, 3, 1, 1),
        {"type": "relu"},
    ]
    nodes = from_layers(layers, Shape(3, 32, 32), [{"from": 0, "to": 3, "layers": [conv(16, 1, 2, 0)]}])
    report = analyze(nodes)
    names = [n.node.name for n in report.nodes]
    assert names == ["input", "0", "1", "2", "3", "shortcut_3_0_0", "add_3", "4"]
    assert report.by_name()["4"].node.inputs == ("add_3",)
    assert report.by_name()["add_3"].field == square(19, 4, 9)
    assert report.by_name()["add_3"].merge is not None
    assert report.by_name()["add_3"].merge.aligned  # type: ignore[union-attr]


def test_shortcut_with_mismatched_shapes_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot be added"):
        from_layers([conv(8, 3, 2, 1)], Shape(3, 16, 16), [{"from": -1, "to": 0, "layers": []}])


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2)),
        min_size=1,
        max_size=5,
    )
)
def test_a_chain_as_a_graph_equals_the_stack_analysis(spec: list[tuple[int, int, int, int]]) -> None:
    layers = [parse_layer(conv(2, k, s, min(p, k // 2), dilation=d)) for k, s, p, d in spec]
    expected = [r.field for r in stack.analyze(layers).layers]
    nodes = [Node("x", "input", "input", output=(2, 64, 64))]
    for i, layer in enumerate(layers):
        nodes.append(Node(str(i), "conv2d", "window", (nodes[-1].name,), windows=static_windows(layer)))
    assert [r.field for r in analyze(nodes).nodes[1:]] == expected
