"""torch.fx summaries: the zoo's layer lists and torch's own modules agree node for node; clear errors."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from convcore.arithmetic.receptive_field import AxisField
from convcore.importers.fx.summary import summarize_module
from convcore.networks import zoo
from convcore.networks.graph import GraphReport, analyze, from_layers
from convcore.networks.layers import Shape
from tests.convcore import torch_zoo

SIZES = {"resnet18": 224, "resnet50": 224, "vgg16": 224, "mobilenet_v1": 224}


def table(report: GraphReport, key: str) -> dict[str, tuple[object, ...]]:
    """Every node but the input and the merges, keyed by layer name: (output as C×H×W, params, MACs, field)."""
    rows = {}
    for n in report.nodes:
        if n.node.role not in ("input", "merge"):
            out = n.node.output if len(n.node.output) == 3 else (*n.node.output, 1, 1)
            rows[n.node.name if key == "name" else n.node.target] = (out, n.node.params, n.node.macs, n.field)
    return rows


def merges(report: GraphReport) -> list[tuple[object, ...]]:
    return [(n.node.output, n.field, n.merge.aligned) for n in report.nodes if n.merge is not None]


def layer_list_report(name: str, size: int) -> GraphReport:
    arch = zoo.get_architecture(name)
    return analyze(from_layers(arch.layers, Shape(3, size, size), arch.shortcuts))


def meta_model(name: str) -> nn.Module:
    with torch.device("meta"):
        return torch_zoo.build(name)


@pytest.mark.parametrize("name", list(SIZES))
def test_fx_agrees_with_the_layer_list_node_for_node(name: str) -> None:
    size = SIZES[name]
    expected = layer_list_report(name, size)
    got = summarize_module(meta_model(name), (3, size, size))

    want_rows, got_rows = table(expected, "name"), table(got, "target")
    # torch.flatten (and VGG's identity AdaptiveAvgPool2d at 224) have no layer of their own in the lists
    assert set(got_rows) - set(want_rows) <= {"flatten", "avgpool"}
    for layer, row in want_rows.items():
        assert got_rows[layer] == row, layer
    assert merges(got) == merges(expected)
    assert got.total_params == expected.total_params
    assert got.total_macs == expected.total_macs


def test_resnet18_headline_numbers() -> None:
    report = summarize_module(meta_model("resnet18"), (3, 224, 224))
    assert report.total_params == 11_689_512
    fc = report.nodes[-1]
    assert fc.node.target == "fc"
    # the classifier reads the global average: it sees the whole 224×224 input
    assert fc.field == (AxisField(224, 32, 0, True), AxisField(224, 32, 0, True))
    adds = [n for n in report.nodes if n.merge is not None]
    assert len(adds) == 8
    assert all(n.merge is not None and n.merge.aligned for n in adds)
    assert report.main_path[0] == "x"
    assert "layer2_0_downsample_0" not in report.main_path


def test_a_module_with_real_weights_is_not_read_or_changed() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
    before = model[0].weight.detach().clone()
    report = summarize_module(model, (3, 10, 12))
    assert report.nodes[-1].node.output == (4, 10, 12)
    assert model[0].weight.device.type == "cpu"
    torch.testing.assert_close(model[0].weight, before, rtol=0, atol=0)


class Functional(nn.Module):
    """F.* equivalents, "same" padding, dilation, groups, padding modes and an Inception-style concat."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(8, 3, 3, 3))
        self.same = nn.Conv2d(8, 8, (2, 4), padding="same", padding_mode="reflect", groups=2)
        self.dilated = nn.Conv2d(8, 8, 3, padding=2, dilation=2, padding_mode="circular")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.conv2d(x, self.weight, None, 2, 1))
        a = self.same(x)
        b = self.dilated(x)
        c = F.max_pool2d(x, 3, 1, 1)
        y = torch.cat([a, b, c], dim=1)
        y = F.avg_pool2d(y, 2)
        return F.adaptive_avg_pool2d(torch.sigmoid(y), 1).flatten(1)


def test_functional_calls_same_padding_and_dilation() -> None:
    report = summarize_module(Functional(), (3, 16, 20)).by_name()
    assert report["conv2d"].field == (AxisField(3, 2, 1), AxisField(3, 2, 1))
    assert report["conv2d"].node.params == 8 * 3 * 9
    assert report["conv2d"].node.macs == 8 * 10 * 8 * 27
    # "same" with an even kernel: left padding (2 − 1)//2 = 0 and (4 − 1)//2 = 1
    assert report["same"].field == (AxisField(3 + 1 * 2, 2, 1), AxisField(3 + 3 * 2, 2, 1 + 1 * 2))
    assert report["dilated"].field == (AxisField(3 + 4 * 2, 2, 1 + 2 * 2), AxisField(11, 2, 5))
    cat = report["cat"]
    assert cat.merge is not None and not cat.merge.aligned
    # the even kernel puts the centre half a step (S = 2: one input pixel) off the other branches'
    assert cat.merge.offsets == ((1.0, 1.0), (0.0, 0.0), (0.0, 0.0))
    assert cat.node.output == (24, 8, 10)
    assert report["avg_pool2d"].node.output == (24, 4, 5)
    assert report["flatten"].node.output == (24,)


def test_transposed_convolution_and_upsampling_end_the_field() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ConvTranspose2d(2, 2, 2, stride=2), nn.Upsample(scale_factor=2))
    report = summarize_module(model, (1, 8, 8))
    up, last = report.nodes[2], report.nodes[3]
    assert up.node.op == "conv_transpose2d"
    assert up.field is None and "transposed" in up.note
    assert up.node.macs == 6 * 6 * 2 * 2 * 4
    assert last.node.output == (2, 24, 24)
    assert last.field is None


class Untraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.conv(x)
        return x


def test_untraceable_module_names_the_line() -> None:
    with pytest.raises(ValueError, match=r"torch\.fx cannot trace Untraceable: .*test_summary\.py:\d+: if x\.sum"):
        summarize_module(Untraceable(), (3, 8, 8))


class Rolls(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(x, 1, dims=2)


@torch.fx.wrap
def blurred_conv(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """A call torch.fx keeps whole: a 3×3 stride-2 convolution behind a function the summary does not know."""
    return F.conv2d(x, weight, stride=2, padding=1)


class Wrapped(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(4, 3, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return blurred_conv(x, self.weight)


def test_an_unknown_call_is_measured_with_autograd() -> None:
    roll = summarize_module(Rolls(), (3, 8, 8)).nodes[-1]
    # output row u reads input row u − 1: a 1-row window shifted by one (P = 1)
    assert roll.field == (AxisField(1, 1, 1), AxisField(1, 1, 0))
    assert roll.node.measured and "measured with autograd" in roll.note
    unshuffle = summarize_module(nn.Sequential(nn.PixelUnshuffle(2)), (3, 8, 8)).nodes[-1]
    assert unshuffle.node.output == (12, 4, 4)
    assert unshuffle.field == (AxisField(2, 2, 0), AxisField(2, 2, 0))
    wrapped = summarize_module(Wrapped(), (3, 9, 9)).nodes[-1]
    assert wrapped.node.measured
    assert wrapped.field == (AxisField(3, 2, 1), AxisField(3, 2, 1))
    assert wrapped.node.params == 4 * 3 * 9
    assert wrapped.node.macs == 5 * 5 * 4 * 3 * 9


def test_explicit_asymmetric_padding_moves_the_field() -> None:
    model = nn.Sequential(nn.ZeroPad2d((1, 2, 3, 0)), nn.Conv2d(1, 1, 3))
    report = summarize_module(model, (1, 8, 8))
    assert report.nodes[1].node.output == (1, 11, 11)
    assert report.nodes[2].field == (AxisField(3, 1, 3), AxisField(3, 1, 1))


def test_input_that_does_not_fit_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot run on a 4x8x8 input"):
        summarize_module(nn.Conv2d(3, 4, 3), (4, 8, 8))
    with pytest.raises(ValueError, match="input_shape must be"):
        summarize_module(nn.Conv2d(3, 4, 3), (3, 0, 8))


@pytest.mark.parametrize(
    "module",
    [
        nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=3),
        nn.Conv2d(3, 4, 4, padding="same", padding_mode="reflect"),
        nn.Conv2d(3, 4, 3, padding="valid", stride=3),
        nn.MaxPool2d(3, 2, 1, ceil_mode=True),
        nn.MaxPool2d((2, 3), dilation=2),
        nn.AvgPool2d(3, 2, ceil_mode=True, count_include_pad=False),
        nn.AdaptiveAvgPool2d((None, 3)),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Sequential(nn.Flatten(2), nn.Linear(15 * 17, 7)),
    ],
    ids=lambda m: type(m).__name__,
)
def test_the_shape_shortcuts_equal_torch(module: nn.Module) -> None:
    """The interpreter's own arithmetic (instead of torch's meta kernels) against a real forward pass."""
    x = torch.zeros(2, 3, 15, 17)
    expected = tuple(module(x).shape[1:])
    assert summarize_module(module, (3, 15, 17)).nodes[-1].node.output == expected
