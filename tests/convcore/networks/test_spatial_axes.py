"""Spatial axes tracked through permute/reshape/windows, global fields, and exporter-written files.

Hand-built graphs are checked against r, S, P computed by hand (Araujo et al.'s formulas and the union of
branches); the small models of :mod:`tests.convcore.axis_nets` go through torch.fx and both ONNX exporters
and are checked against torch's parameter count and ``FlopCounterMode``.
"""

import io
import warnings
from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from convcore.arithmetic.receptive_field import AxisField, Window
from convcore.importers.fx.summary import summarize_module
from convcore.importers.onnx.summary import summarize_onnx
from convcore.networks import spatial
from convcore.networks.graph import GraphReport, Node, NodeReport, analyze
from tests.convcore.axis_nets import ChannelsLast, Shuffle, Tokens, Windows

W = Window


def test_asymmetric_padding_on_two_branches_against_hand_computed_fields() -> None:
    x = Node("x", "input", "input", output=(1, 12, 12))
    nodes = [
        x,
        # F.pad(x, (2, 0, 1, 0)): one row on top, two columns on the left
        Node("pad", "pad", "window", ("x",), (1, 13, 14), (W(1, 1, 1), W(1, 1, 2))),
        Node("a", "conv", "window", ("pad",), (1, 6, 6), (W(3, 2, 0), W(3, 2, 0))),
        Node("b", "conv", "window", ("x",), (1, 6, 6), (W(1, 2, 0), W(1, 2, 0))),
        Node("add", "add", "merge", ("a", "b"), (1, 6, 6)),
    ]
    report = analyze(nodes).by_name()
    assert report["a"].field == (AxisField(3, 2, 1), AxisField(3, 2, 2))
    # union per axis: P = max P_b, r = max(r_b − 1 − P_b) + P + 1
    assert report["add"].field == (AxisField(3, 2, 1), AxisField(3, 2, 2))
    merge = report["add"].merge
    assert merge is not None
    # centre offsets (r − 1)/2 − P: branch a (0, −1), branch b (0, 0): misaligned along the width only
    assert merge.offsets == ((0.0, -1.0), (0.0, 0.0))
    assert not merge.aligned
    assert "misaligned" in report["add"].note


def channels_last(extra: list[Node]) -> dict[str, NodeReport]:
    nodes = [
        Node("x", "input", "input", output=(2, 8, 10)),
        Node("nhwc", "permute", "permute", ("x",), (8, 10, 2), dims=(0, 2, 3, 1)),
        *extra,
    ]
    return analyze(nodes).by_name()


def test_a_window_follows_the_axes_through_a_permute() -> None:
    report = channels_last(
        [
            # a convolution over NHWC's height (dim 1) and width (dim 2)
            Node("conv", "conv", "window", ("nhwc",), (8, 10, 2), (W(3, 1, 1), W(5, 1, 2)), dims=(1, 2)),
            Node("nchw", "permute", "permute", ("conv",), (2, 8, 10), dims=(0, 3, 1, 2)),
            Node("pool", "pool", "window", ("nchw",), (2, 4, 5), (W(2, 2, 0), W(2, 2, 0))),
            # a linear layer over the channels (the last dim of NHWC) mixes no position
            Node("back", "permute", "permute", ("pool",), (4, 5, 2), dims=(0, 2, 3, 1)),
            Node("fc", "linear", "mix", ("back",), (4, 5, 6), dims=(3,)),
        ]
    )
    assert report["conv"].field == (AxisField(3, 1, 1), AxisField(5, 1, 2))
    assert report["pool"].field == (AxisField(4, 2, 1), AxisField(6, 2, 2))
    assert report["fc"].field == report["pool"].field
    assert report["fc"].kind == "local"


def test_tokens_keep_their_patch_until_attention_mixes_them() -> None:
    report = channels_last(
        [
            Node("tokens", "reshape", "reshape", ("nhwc",), (80, 2)),
            Node("ln", "layer_norm", "mix", ("tokens",), (80, 2), dims=(2,)),
            Node("scores", "matmul", "matmul", ("ln", "ln"), (80, 80), equation="bnc,bmc->bnm"),
            Node("softmax", "softmax", "mix", ("scores",), (80, 80), dims=(2,)),
        ]
    )
    assert report["ln"].field == (AxisField(1, 1, 0), AxisField(1, 1, 0))
    assert report["softmax"].kind == "global"
    # the whole 8×10 input: interval (0, 7) for every row
    assert report["softmax"].field == (AxisField(8, 1, 0, True), AxisField(10, 1, 0, True))
    assert report["softmax"].field[0].interval(5) == (0, 7)


def test_a_mean_over_the_height_only_is_whole_along_it() -> None:
    nodes = [
        Node("x", "input", "input", output=(1, 6, 9)),
        Node("conv", "conv", "window", ("x",), (1, 6, 9), (W(3, 1, 1), W(3, 1, 1))),
        Node("mean", "mean", "mix", ("conv",), (1, 9), dims=(2,)),
        Node("conv1d", "conv", "window", ("mean",), (1, 9), (W(3, 1, 1),), dims=(2,)),
    ]
    report = analyze(nodes).by_name()
    assert report["mean"].field == (AxisField(6, 1, 0, True), AxisField(3, 1, 1))
    # the width is now dimension 2: a window there composes on the width, the height stays whole
    assert report["conv1d"].field == (AxisField(6, 1, 0, True), AxisField(5, 1, 2))


def test_window_partition_attention_and_reverse() -> None:
    report = channels_last(
        [
            Node("split", "view", "reshape", ("nhwc",), (4, 2, 5, 2, 2)),
            Node("order", "permute", "permute", ("split",), (4, 5, 2, 2, 2), dims=(0, 1, 3, 2, 4, 5)),
            Node("windows", "reshape", "reshape", ("order",), (4, 2), shape=(20, 4, 2)),
            Node("attend", "softmax", "mix", ("windows",), (4, 2), dims=(1,), shape=(20, 4, 2)),
            Node("unsplit", "view", "reshape", ("attend",), (4, 5, 2, 2, 2)),
            Node("reorder", "permute", "permute", ("unsplit",), (4, 2, 5, 2, 2), dims=(0, 1, 3, 2, 4, 5)),
            Node("map", "reshape", "reshape", ("reorder",), (8, 10, 2)),
            Node("conv", "conv", "window", ("map",), (8, 10, 2), (W(3, 1, 1), W(3, 1, 1)), dims=(1, 2)),
        ]
    )
    # each position sees its 2×2 window: r = 1 + (2 − 1)·1 along each axis, with a note
    assert report["attend"].field == (AxisField(2, 1, 0), AxisField(2, 1, 0))
    assert "within windows" in report["attend"].note
    # back on the map, a convolution composes on both axes again
    assert report["conv"].field == (AxisField(4, 1, 1), AxisField(4, 1, 1))


def test_reshape_labels_split_join_and_lose_track() -> None:
    labels = spatial.image((1, 3, 4, 6))
    tokens = spatial.reshape(labels, (1, 3, 4, 6), (1, 3, 24))
    assert tokens == ((), (), ((0, 4, 1), (1, 6, 1)))
    assert spatial.reshape(tokens, (1, 3, 24), (1, 3, 4, 6)) == labels
    windows = spatial.reshape(labels, (1, 3, 4, 6), (1, 3, 2, 2, 6))
    assert windows == ((), (), ((0, 2, 2),), ((0, 2, 1),), ((1, 6, 1),))
    # 24 tokens read as 3 × 8: 3 does not divide the 4 rows, so every dimension (but the unit batch) carries
    # every piece, and mixing any of them counts as mixing positions
    every = ((0, 4, 1), (1, 6, 1))
    assert spatial.reshape(tokens, (1, 3, 24), (1, 3, 3, 8)) == ((), every, every, every)


@pytest.mark.parametrize("height, width", [(56, 56), (1, 7), (7, 1), (1, 1), (3, 224)])
def test_nchw_labels_are_the_image_labels_of_a_4d_map(height: int, width: int) -> None:
    shape = (1, 64, height, width)
    assert spatial.nchw(height, width) == spatial.image(shape) == spatial.sized(spatial.image((1, 64, 9, 9)), shape)


def _export(model: nn.Module, dynamo: bool) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (torch.zeros(1, 3, 16, 16),), buffer, dynamo=dynamo, export_params=False, opset_version=18
        )
    return buffer.getvalue()


PATHS: dict[str, Callable[[nn.Module], GraphReport]] = {
    "fx": lambda model: summarize_module(model, (3, 16, 16)),
    "torchscript": lambda model: summarize_onnx(_export(model, dynamo=False)),
    "dynamo": lambda model: summarize_onnx(_export(model, dynamo=True)),
}


def _torch_counts(model: nn.Module) -> tuple[int, int]:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, 16, 16))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


def _first(report: GraphReport, *ops: str) -> NodeReport:
    return next(n for n in report.nodes if n.node.op in ops)


@pytest.mark.parametrize("path", list(PATHS))
def test_channels_last_block_with_asymmetric_pad(path: str) -> None:
    model = ChannelsLast().eval()
    report = PATHS[path](model)
    assert (report.total_params, report.total_macs) == _torch_counts(model)
    conv = _first(report, "Conv", "conv2d")
    assert conv.field == (AxisField(3, 1, 0), AxisField(3, 1, 1))
    mean = _first(report, "ReduceMean", "mean")
    assert mean.field == (AxisField(16, 1, 0, True), AxisField(16, 1, 0, True))
    assert report.nodes[-1].kind == "global"


@pytest.mark.parametrize("path", ["fx", "torchscript"])
def test_channel_shuffle_keeps_the_positions(path: str) -> None:
    model = Shuffle().eval()
    report = PATHS[path](model)
    assert (report.total_params, report.total_macs) == _torch_counts(model)
    assert report.nodes[-1].field == (AxisField(7, 2, 3), AxisField(7, 2, 3))


@pytest.mark.parametrize("path", list(PATHS))
def test_a_token_sees_its_patch_then_the_whole_image(path: str) -> None:
    model = Tokens().eval()
    report = PATHS[path](model)
    assert (report.total_params, report.total_macs) == _torch_counts(model)
    assert _first(report, "Conv", "conv2d").field == (AxisField(4, 4, 0), AxisField(4, 4, 0))
    softmax = _first(report, "Softmax", "softmax")
    assert softmax.field == (AxisField(16, 4, 0, True), AxisField(16, 4, 0, True))
    assert report.nodes[-1].kind == "global"


@pytest.mark.parametrize("path", ["fx", "torchscript"])
def test_attention_inside_windows_sees_the_window(path: str) -> None:
    model = Windows().eval()
    report = PATHS[path](model)
    assert (report.total_params, report.total_macs) == _torch_counts(model)
    softmax = _first(report, "Softmax", "softmax")
    # 2×2 windows of 2×2 patches: r = 2 + (2 − 1)·2 = 4 at stride 2, not the whole 16×16 image
    assert softmax.field == (AxisField(4, 2, 0), AxisField(4, 2, 0))
    assert "within windows" in softmax.note
    assert report.nodes[-1].field == (AxisField(4, 2, 0), AxisField(4, 2, 0))
