"""Weights both exporters leave out or rewrite, counted against torch: a convolution with its own bias before a
batch norm (VGG-BN), a layer scale (ConvNeXt), a class token and a position embedding (ViT).

One small module holds all of them and is exported once by each exporter (``export_params=False``, as the
/model page tells a user to run it); the dynamo export takes a few seconds.
"""

import io
import re
import warnings
from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper
from torch import nn

from convcore.importers.onnx.summary import summarize_onnx
from convcore.networks.graph import GraphReport, NodeReport
from tests import torchvision_models as tvm

SIZE = 16
PATCH = 4
WIDTH = 16
TOKENS = (SIZE // PATCH) ** 2 + 1


class Tokens(nn.Module):
    """Three convolutions each before a batch norm — with a bias of all zeros (VGG's initialisation), with a
    random bias, without one — a layer scale on a residual block, then patches as tokens with a class token and
    a position embedding."""

    def __init__(self) -> None:
        super().__init__()
        self.zero = nn.Conv2d(3, 8, 3, padding=1)
        nn.init.zeros_(self.zero.bias)
        self.bn_zero = nn.BatchNorm2d(8)
        self.biased = nn.Conv2d(8, 8, 3, padding=1)
        self.bn_biased = nn.BatchNorm2d(8)
        self.plain = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn_plain = nn.BatchNorm2d(8)
        self.layer_scale = nn.Parameter(torch.full((8, 1, 1), 1e-6))
        self.patch = nn.Conv2d(8, WIDTH, PATCH, stride=PATCH)
        self.class_token = nn.Parameter(torch.zeros(1, 1, WIDTH))
        self.pos_embedding = nn.Parameter(torch.zeros(1, TOKENS, WIDTH))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn_zero(self.zero(x)))
        x = torch.relu(self.bn_biased(self.biased(x)))
        x = x + self.layer_scale * self.bn_plain(self.plain(x))
        tokens = self.patch(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.class_token.expand(x.shape[0], -1, -1), tokens], dim=1) + self.pos_embedding
        return tokens[:, 0]


def torch_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def export(model: nn.Module, *, dynamo: bool, path: Path, weights: bool = False) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            (torch.zeros(1, 3, SIZE, SIZE),),
            path,
            dynamo=dynamo,
            export_params=weights,
            external_data=False,
            opset_version=18,
        )
    return path.read_bytes()


@pytest.fixture(scope="module")
def model() -> nn.Module:
    torch.manual_seed(0)
    return Tokens().eval()


@pytest.fixture(scope="module")
def dynamo(model: nn.Module, tmp_path_factory: pytest.TempPathFactory) -> GraphReport:
    return summarize_onnx(export(model, dynamo=True, path=tmp_path_factory.mktemp("dynamo") / "m.onnx"))


@pytest.fixture(scope="module")
def torchscript(model: nn.Module, tmp_path_factory: pytest.TempPathFactory) -> GraphReport:
    return summarize_onnx(export(model, dynamo=False, path=tmp_path_factory.mktemp("ts") / "m.onnx"))


def rows(report: GraphReport, op: str) -> list[NodeReport]:
    return [row for row in report.nodes if row.node.op == op]


def test_dynamo_counts_every_parameter_as_torch_does(model: nn.Module, dynamo: GraphReport) -> None:
    assert dynamo.total_params == torch_params(model)


def test_dynamo_fused_convolutions_count_their_own_bias_from_the_signature(dynamo: GraphReport) -> None:
    zero, biased, plain = rows(dynamo, "Conv")[:3]
    assert "fused a batch norm" in zero.note and "'zero.bias' (8)" in zero.note
    assert zero.node.params == 8 * 3 * 9 + 2 * 8 + 8
    assert "'biased.bias' (8)" in biased.note
    assert biased.node.params == 8 * 8 * 9 + 2 * 8 + 8
    assert "no bias of its own" in plain.note
    assert plain.node.params == 8 * 9 + 2 * 8


def test_dynamo_layer_scale_and_tokens_are_inferred_and_said(dynamo: GraphReport) -> None:
    (scale,) = [row for row in rows(dynamo, "Mul") if "layer_scale" in row.note]
    assert scale.node.params == 8
    assert "inferred as [8, 1, 1]" in scale.note
    (concat,) = rows(dynamo, "Concat")
    assert concat.node.params == WIDTH
    assert "fixed by the concatenation" in concat.note
    (position,) = [row for row in rows(dynamo, "Add") if "pos_embedding" in row.note]
    assert position.node.params == TOKENS * WIDTH
    assert f"inferred as [{TOKENS}, {WIDTH}]" in position.note


def test_torchscript_counts_all_but_the_folded_convolutions_own_biases(
    model: nn.Module, torchscript: GraphReport
) -> None:
    """The TorchScript exporter leaves no trace of a folded convolution's bias (next test): the two biased
    convolutions are 2 × 8 short, and each folded convolution's note says so."""
    assert torchscript.total_params == torch_params(model) - 2 * 8
    folded = [row for row in rows(torchscript, "Conv") if "folded into this convolution" in row.note]
    assert len(folded) == 3
    assert all("counted as none (if it had one, the model has 8 more parameters" in row.note for row in folded)


def _canonical(data: bytes) -> str:
    """The model's text with the exporter's generated numbers renamed in order of first appearance."""
    names: dict[str, str] = {}
    text = str(onnx.load_from_string(data))
    return re.sub(r'"(onnx::\w+_)?\d+"', lambda m: names.setdefault(m.group(0), f"<{len(names)}>"), text)


def test_torchscript_fold_leaves_no_trace_of_the_convolutions_bias() -> None:
    """With and without a bias before the norm, the files differ only in the generated names' numbers: if a
    torch release starts to record it, this fails and the summary should read it."""
    files = []
    for bias in (True, False):
        torch.manual_seed(0)
        block = nn.Sequential(nn.Conv2d(3, 8, 3, bias=bias), nn.BatchNorm2d(8), nn.ReLU()).eval()
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                block, (torch.zeros(1, 3, 8, 8),), buffer, dynamo=False, export_params=False, opset_version=17
            )
        files.append(buffer.getvalue())
    assert files[0] != files[1]
    assert _canonical(files[0]) == _canonical(files[1])


def test_a_parameter_no_use_sizes_is_named_and_not_counted() -> None:
    """A parameter the file leaves out and reads only as an exponent: no shape to infer, a note instead."""
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight"], ["conv"], name="node_Conv_1", kernel_shape=[3, 3]),
        helper.make_node("Pow", ["conv", "power"], ["pow"], name="node_pow"),
    ]
    graph = helper.make_graph(
        nodes,
        "main_graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
        [helper.make_tensor_value_info("pow", TensorProto.FLOAT, [1, 8, 4, 4])],
        value_info=[helper.make_tensor_value_info("conv", TensorProto.FLOAT, [1, 8, 4, 4])],
    )
    signature = "\n# inputs\np_conv_weight: PARAMETER target='conv.weight'\np_power: PARAMETER target='power'\n"
    helper.set_metadata_props(graph, {"pkg.torch.export.ExportedProgram.graph_signature": signature})
    report = summarize_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString())
    row = report.by_name()["node_pow"]
    assert row.node.params == 0
    assert "power" in row.note and "not counted" in row.note
    assert report.total_params == 8 * 3 * 9


def test_a_left_out_integer_constant_in_a_concat_is_not_a_parameter() -> None:
    """Shape arithmetic concatenates left-out integer constants too (a Reshape target): never counted."""
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], name="node_shape", end=2),
        helper.make_node("Concat", ["shape", "tail"], ["target"], name="node_target", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"], name="node_flat"),
    ]
    graph = helper.make_graph(
        nodes,
        "main_graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
        [helper.make_tensor_value_info("flat", TensorProto.FLOAT, [1, 3, 36])],
        value_info=[
            helper.make_tensor_value_info("shape", TensorProto.INT64, [2]),
            helper.make_tensor_value_info("target", TensorProto.INT64, [3]),
        ],
    )
    report = summarize_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString())
    assert report.total_params == 0
    assert not any("concatenation" in row.note for row in report.nodes)


def _linear_add(inputs: list[str], args: str, name: str) -> onnx.NodeProto:
    """The ``Add`` the dynamo exporter writes for a linear layer's bias, with the torch call it came from."""
    add = helper.make_node("Add", inputs, [name], name=f"node_{name}")
    call = (
        f"%{name} : [num_users=1] = call_function[target=torch.ops.aten.linear.default](args = ({args}), kwargs = {{}})"
    )
    helper.set_metadata_props(add, {"pkg.torch.onnx.fx_node": call})
    return add


def _signature(names: tuple[str, ...]) -> str:
    return "\n# inputs\n" + "".join(f"p_{n.replace('.', '_')}: PARAMETER target='{n}'\n" for n in names)


def _summary(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    output: str,
    shapes: dict[str, list[int]],
    parameters: tuple[str, ...],
) -> GraphReport:
    graph = helper.make_graph(
        nodes,
        "main_graph",
        inputs,
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, shapes[output])],
        value_info=[helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in shapes.items() if n != output],
    )
    helper.set_metadata_props(graph, {"pkg.torch.export.ExportedProgram.graph_signature": _signature(parameters)})
    return summarize_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString())


def test_a_linear_layers_bias_is_sized_by_its_output_never_element_wise() -> None:
    """Swin v2 runs a linear layer on a constant table: its bias ``Add`` has a four-dimensional output, and the
    element-wise rule would read a per-channel shape there ([15, 1, 1]) instead of the layer's 512 features.
    The product before it has no declared shape; the bias's shape needs only the output."""
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight"], ["conv"], name="node_Conv_1", kernel_shape=[1, 1]),
        helper.make_node("Transpose", ["conv"], ["nhwc"], name="node_permute", perm=[0, 2, 3, 1]),
        helper.make_node("MatMul", ["nhwc", "mlp.weight"], ["product"], name="node_MatMul_1"),
        _linear_add(["product", "mlp.bias"], "%table, %p_mlp_weight, %p_mlp_bias", "linear"),
    ]
    inputs = [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 15, 15]),
        helper.make_tensor_value_info("mlp.weight", TensorProto.FLOAT, [2, 512]),
    ]
    shapes = {"conv": [1, 2, 15, 15], "nhwc": [1, 15, 15, 2], "linear": [1, 15, 15, 512]}
    report = _summary(nodes, inputs, "linear", shapes, ("conv.weight", "mlp.weight", "mlp.bias"))
    row = report.by_name()["node_linear"]
    assert row.node.params == 512
    assert row.note == ""
    assert report.total_params == 2 * 2 + 2 * 512 + 512


def test_a_linear_layer_the_exporter_folded_says_what_it_counts_and_what_not() -> None:
    """Swin v2 through the dynamo exporter: the position-bias MLP's first layer is folded with its table of
    coordinates into one left-out product (its weight is read by no node, and the table's features that size
    it are nowhere in the file), and the ``qkv`` layer's bias is a value computed from the parameter (its key
    part zeroed), also left out. The second is counted by the layer's output features; the first is said."""
    nodes = [
        _linear_add(["folded", "mlp.bias"], "%b_table, %p_mlp_weight, %p_mlp_bias", "bias_table"),
        helper.make_node("Conv", ["x", "conv.weight"], ["conv"], name="node_Conv_1", kernel_shape=[1, 1]),
        helper.make_node("Transpose", ["conv"], ["nhwc"], name="node_permute", perm=[0, 2, 3, 1]),
        helper.make_node("Add", ["nhwc", "bias_table"], ["biased"], name="node_add"),
        helper.make_node("MatMul", ["biased", "qkv.weight"], ["product"], name="node_MatMul_1"),
        _linear_add(["product", "slice_scatter"], "%biased, %p_qkv_weight, %slice_scatter", "qkv"),
    ]
    inputs = [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 4, 4]),
        helper.make_tensor_value_info("qkv.weight", TensorProto.FLOAT, [8, 24]),
    ]
    shapes = {
        "conv": [1, 8, 4, 4],
        "nhwc": [1, 4, 4, 8],
        "bias_table": [1, 4, 4, 8],
        "biased": [1, 4, 4, 8],
        "product": [1, 4, 4, 24],
        "qkv": [1, 4, 4, 24],
    }
    parameters = ("conv.weight", "mlp.weight", "mlp.bias", "qkv.weight", "qkv.bias")
    report = _summary(nodes, inputs, "qkv", shapes, parameters)
    table = report.by_name()["node_add"]
    assert table.node.params == 8
    assert "'mlp.weight'" in table.note and "'folded'" in table.note and "not counted" in table.note
    qkv = report.by_name()["node_qkv"]
    assert qkv.node.params == 24
    assert "'slice_scatter' is a value torch computed from parameters" in qkv.note
    assert report.total_params == 8 * 8 + 8 + 8 * 24 + 24


def test_a_mean_over_a_one_by_one_map_with_left_out_axes_sees_the_whole_image() -> None:
    """Inception v3 at 96 pixels through dynamo: adaptive pooling to 1×1 is a ReduceMean whose axes constant the
    file leaves out, on a map already 1×1, so the shapes do not change; only the dimensions of size 1 can have been
    reduced (never the 8 channels), and that one position's 5×5 field covers the 5×5 image."""
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight"], ["conv"], name="node_Conv_1", kernel_shape=[5, 5]),
        helper.make_node("ReduceMean", ["conv", "axes"], ["mean"], name="node_mean", keepdims=1),
    ]
    graph = helper.make_graph(
        nodes,
        "main_graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [1, 8, 1, 1])],
        value_info=[helper.make_tensor_value_info("conv", TensorProto.FLOAT, [1, 8, 1, 1])],
    )
    report = summarize_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString())
    row = report.by_name()["node_mean"]
    assert row.node.dims == (0, 2, 3)
    assert row.kind == "global"


class FoldedBias(nn.Module):
    """Swin v2's two folded parameters in small: a linear layer run on a stored table (the position-bias MLP)
    and a learned scale passed through ``exp`` (``logit_scale``), both added to a feature map."""

    def __init__(self, features: int, scales: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)
        self.register_buffer("table", torch.rand(1, SIZE, SIZE, features))
        self.mlp = nn.Linear(features, 8)
        self.logit_scale = nn.Parameter(torch.ones(scales))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x).permute(0, 2, 3, 1)
        return y * torch.exp(self.logit_scale.clamp(max=4.6)) + self.mlp(self.table)


def test_dynamo_fold_leaves_no_trace_of_a_stored_inputs_features_or_a_scales_shape(tmp_path: Path) -> None:
    """Two models whose parameters differ (the table's features 2 or 3, the scale 1 value or 8) give the same
    file but for the stack traces: what Swin v2 loses through the dynamo exporter is not in the file. If a torch
    release starts to record it, this fails and the summary should read it."""
    files, counts = [], []
    for features, scales in ((2, 1), (3, 8)):
        torch.manual_seed(0)
        model = FoldedBias(features, scales)
        counts.append(torch_params(model))
        data = export(model, dynamo=True, path=tmp_path / f"{features}-{scales}.onnx")
        files.append(tvm.without_stack_traces(data))
    assert counts[0] != counts[1]
    assert files[0] == files[1]


def test_a_dynamo_export_with_weights_counts_as_torch_does(model: nn.Module, tmp_path: Path) -> None:
    """With its weights the file also holds the constants the exporter computed from them (the class token
    expanded to the batch): they are no parameters, and the count is torch's, as without weights."""
    report = summarize_onnx(export(model, dynamo=True, path=tmp_path / "m.onnx", weights=True))
    assert report.total_params == torch_params(model)


def test_a_dynamo_export_with_weights_reads_as_the_same_export_without(tmp_path: Path) -> None:
    """Swin v2's folded position-bias MLP in small: with weights the file holds the MLP's output over the table
    (4 × 4 × 8 values), which is not the MLP's parameters; it is counted and said as in the file without them."""
    torch.manual_seed(0)
    model = FoldedBias(2, 1)
    reports = [
        summarize_onnx(export(model, dynamo=True, path=tmp_path / f"{weights}.onnx", weights=weights))
        for weights in (True, False)
    ]
    with_weights, without = ([(row.node.name, row.node.params, row.note) for row in r.nodes] for r in reports)
    assert with_weights == without
    assert reports[0].total_params == 8 * 3 + 8
