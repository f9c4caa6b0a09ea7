"""convcore.networks.stack: the whole-stack report (shapes, totals, receptive fields, coded warnings) and regions."""

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcore.arithmetic import receptive_field as rf
from convcore.networks import graph
from convcore.networks.layers import Shape, parse_layers, propagate
from convcore.networks.stack import analyze, chain_nodes, region

CONV3 = {"type": "conv2d", "out_channels": 4, "kernel_size": 3}


def _stack(*raw: dict[str, Any]) -> list[Any]:
    return parse_layers(list(raw))


def test_report_rows_and_totals() -> None:
    report = analyze(_stack({**CONV3, "padding": 1}, {"type": "relu"}, {**CONV3, "stride": 2}), Shape(3, 9, 9))
    assert [r.output for r in report.layers] == [Shape(4, 9, 9), Shape(4, 9, 9), Shape(4, 4, 4)]
    assert [r.params for r in report.layers] == [4 * 3 * 9 + 4, 0, 4 * 4 * 9 + 4]
    assert report.total_params == 112 + 148
    assert report.total_macs == 81 * 4 * 27 + 16 * 4 * 36
    assert [r.field for r in report.layers] == [
        (rf.AxisField(3, 1, 1),) * 2,
        (rf.AxisField(3, 1, 1),) * 2,
        (rf.AxisField(5, 2, 1),) * 2,
    ]
    assert report.warnings == []


def test_without_input_only_fields_and_no_totals() -> None:
    report = analyze(_stack(CONV3, {"type": "max_pool2d", "kernel_size": 2}, {"type": "global_avg_pool2d"}))
    assert [r.output for r in report.layers] == [None, None, None]
    assert (report.total_params, report.total_macs) == (None, None)
    assert report.layers[1].field == (rf.AxisField(4, 2, 0),) * 2
    assert report.layers[2].field is None
    [warning] = report.warnings
    assert (warning.code, warning.layer, warning.axis, warning.count) == ("rf_needs_input", 2, None, None)


def test_global_pooling_with_an_input_sees_the_whole_input() -> None:
    report = analyze(_stack(CONV3, {"type": "global_avg_pool2d"}), Shape(1, 10, 12))
    assert report.layers[1].field == (rf.whole(10), rf.whole(12))
    assert report.warnings == []


def test_whole_field_is_the_input_not_the_distill_sum_over_padding() -> None:
    # Composing the pooling's 4×4 window would give r = 7 + 3·2 = 13 > 8 with P = 3: a box reaching into the
    # padding on both sides. The mean sees the 8 rows of the image, no more, whatever the output position.
    layers = _stack({**CONV3, "kernel_size": 7, "stride": 2, "padding": 3}, {"type": "global_avg_pool2d"})
    report = analyze(layers, Shape(1, 8, 8))
    assert report.layers[1].field == (rf.AxisField(8, 2, 0, whole=True),) * 2
    found = region(layers, Shape(1, 8, 8), (0, 0))
    assert found.unclipped == found.clipped == ((0, 7), (0, 7))
    assert found.center == (3.5, 3.5)


def test_linear_layer_and_what_follows_stay_whole() -> None:
    layers = _stack(
        {**CONV3, "stride": 2}, {"type": "linear", "out_features": 5}, {"type": "relu"}, {"type": "dropout"}
    )
    report = analyze(layers, Shape(2, 9, 11))
    assert [r.field for r in report.layers[1:]] == [(rf.whole(9, 2), rf.whole(11, 2))] * 3
    assert report.layers[1].params == 4 * 4 * 5 * 5 + 5


def test_rows_are_the_graph_engines_nodes() -> None:
    layers = _stack(CONV3, {"type": "max_pool2d", "kernel_size": 2}, {"type": "global_avg_pool2d"})
    report = analyze(layers, Shape(3, 12, 12))
    nodes = graph.analyze(chain_nodes(propagate(layers, Shape(3, 12, 12)), Shape(3, 12, 12))).nodes[1:]
    assert [r.field for r in report.layers] == [n.field for n in nodes]
    assert [(r.params, r.macs) for r in report.layers] == [(n.node.params, n.node.macs) for n in nodes]
    assert [n.kind for n in nodes] == ["local", "local", "global"]


def test_gap_and_unread_warnings_carry_axis_and_count() -> None:
    report = analyze(_stack({**CONV3, "kernel_size": [3, 1], "stride": [2, 3]}), Shape(1, 10, 10))
    assert [(w.code, w.layer, w.axis, w.count) for w in report.warnings] == [
        ("gaps", 0, "width", 2),
        ("unread", 0, "height", 1),
    ]
    assert "leaves the last 1 input row(s) unread along the height" in report.warnings[1].message


def test_unread_counts_real_rows_not_padding() -> None:
    report = analyze(
        _stack({"type": "conv2d", "out_channels": 1, "kernel_size": 7, "stride": 2, "padding": 3}), Shape(1, 224, 224)
    )
    assert report.layers[0].unused == (1, 1)  # one position of the padded input is unread: padding
    assert report.warnings == []


def test_transposed_convolution_ends_the_field() -> None:
    layers = _stack({"type": "conv_transpose2d", "out_channels": 1, "kernel_size": 2, "stride": 2}, CONV3)
    report = analyze(layers, Shape(1, 4, 4))
    assert [r.field for r in report.layers] == [None, None]
    assert report.layers[1].output == Shape(4, 6, 6)
    assert [w.code for w in report.warnings] == ["rf_transposed"]


def test_region_boxes() -> None:
    layers = _stack(
        {**CONV3, "kernel_size": 7, "stride": 2, "padding": 3},
        {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1},
    )
    found = region(layers, Shape(3, 224, 224), (0, 55))
    assert found.unclipped == ((-5, 5), (215, 225))
    assert found.clipped == ((0, 5), (215, 223))
    assert found.center == (0.0, 220.0)
    assert found.field == (rf.AxisField(11, 4, 5),) * 2
    assert region(layers, Shape(3, 224, 224), (3, 4), layer_index=0).unclipped == ((3, 9), (5, 11))


@pytest.mark.parametrize(
    ("position", "layer_index", "message"),
    [
        ((6, 0), None, "output height index must be between 0 and 5, got 6"),
        ((0, -1), None, "output width index must be between 0 and 5, got -1"),
        ((0, 0), 3, "layer_index must be between 0 and 1, got 3"),
    ],
)
def test_region_errors(position: tuple[int, int], layer_index: int | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        region(_stack(CONV3, {"type": "relu"}), Shape(1, 8, 8), position, layer_index)


def test_region_of_an_empty_stack() -> None:
    with pytest.raises(ValueError, match="the layer list is empty"):
        region([], Shape(1, 8, 8), (0, 0))


LAYER = st.one_of(
    st.builds(
        lambda k, s, p, d: {
            "type": "conv2d",
            "out_channels": 2,
            "kernel_size": k,
            "stride": s,
            "padding": p,
            "dilation": d,
        },
        st.integers(1, 4),
        st.integers(1, 3),
        st.integers(0, 2),
        st.integers(1, 2),
    ),
    st.builds(lambda k, s: {"type": "max_pool2d", "kernel_size": k, "stride": s}, st.integers(1, 3), st.integers(1, 3)),
    st.sampled_from([{"type": "relu"}, {"type": "batch_norm2d"}, {"type": "global_avg_pool2d"}]),
    st.just({"type": "linear", "out_features": 3}),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=8), st.integers(1, 40), st.integers(1, 40))
def test_the_engines_chain_shortcut_equals_its_general_path(raw: list[dict[str, Any]], h: int, w: int) -> None:
    """The engine answers a pass or window node on a plain map directly; naming the dimensions it slides along
    (``dims``) sends the same node through the general path, which must agree row by row."""
    try:
        results = propagate(parse_layers(raw), Shape(2, h, w))
    except ValueError:
        return
    nodes = chain_nodes(results, Shape(2, h, w))
    general = [replace(n, dims=(-2, -1)) if n.role in ("pass", "window") else n for n in nodes]
    fast, slow = graph.analyze(nodes), graph.analyze(general)
    assert [(n.field, n.notes, n.merge) for n in fast.nodes] == [(n.field, n.notes, n.merge) for n in slow.nodes]
