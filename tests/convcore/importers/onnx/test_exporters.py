"""ONNX as the exporters write it: batch norms folded into convolutions, zero biases removed, weights left out,
opsets 11–21; each summary's parameters checked against torch's own count of the module exported."""

import io
import warnings
from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper
from torch import nn

from convcore.importers.onnx.summary import summarize_onnx

SIZE = 16


class ConvBnLinear(nn.Module):
    """A convolution without bias before a batch norm (folded on export), a depthwise one with its bias, a layer
    scale (an element-wise parameter) and a linear head."""

    def __init__(self, scale: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, groups=8)
        self.scale = nn.Parameter(torch.ones(8, 1, 1)) if scale else None
        self.fc = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dw(torch.relu(self.bn(self.conv(x))))
        if self.scale is not None:
            x = x * self.scale
        return self.fc(x.mean((2, 3)))


def torch_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def torchscript(model: nn.Module, opset: int, folding: bool = True) -> bytes:
    """The TorchScript exporter as the /model page tells a user to run it (constant folding on: the norm folds)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            (torch.zeros(1, 3, SIZE, SIZE),),
            buffer,
            dynamo=False,
            export_params=False,
            opset_version=opset,
            do_constant_folding=folding,
        )
    return buffer.getvalue()


@pytest.mark.parametrize("opset", [11, 13, 17, 21])
def test_torchscript_folded_batch_norm_counts_as_torch_does(opset: int) -> None:
    model = ConvBnLinear()
    data = torchscript(model, opset)
    convs = [n for n in onnx.load_from_string(data).graph.node if n.op_type == "Conv"]
    assert convs[0].input[1].startswith("onnx::"), "the exporter folded the norm and named the new weight itself"
    report = summarize_onnx(data)
    assert report.total_params == torch_params(model) == 3 * 8 * 9 + 2 * 8 + 8 * 9 + 8 + 8 * 5 + 5
    folded = report.nodes[1]
    assert folded.node.op == "Conv"
    assert folded.node.params == 3 * 8 * 9 + 2 * 8
    assert "folded" in folded.note and "TorchScript" in folded.note
    assert report.total_macs == 8 * SIZE * SIZE * 27 + 8 * 14 * 14 * 9 + 8 * 5


def test_a_folded_norm_after_a_convolution_with_a_bias_is_noted_and_exact_without_folding() -> None:
    """VGG-BN's convolutions have biases of their own: folded, the file cannot tell (the note says so and how to
    export instead); with do_constant_folding=False the norm stays a node and the count is torch's."""
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 3))
    folded = summarize_onnx(torchscript(model, 17))
    assert folded.total_params == torch_params(model) - 8
    assert "do_constant_folding=False" in folded.nodes[1].note
    kept = summarize_onnx(torchscript(model, 17, folding=False))
    assert kept.total_params == torch_params(model) == 3 * 8 * 9 + 8 + 2 * 8 + 8 * 4 * 9 + 4
    assert [n.node.op for n in kept.nodes[1:3]] == ["Conv", "BatchNormalization"]


def dynamo_like(rules: str, fx_node: str, node: onnx.NodeProto) -> onnx.NodeProto:
    """``node`` with the metadata the dynamo exporter writes (copied from a real export by torch 2.13)."""
    helper.set_metadata_props(node, {"pkg.onnxscript.rewriter.rule_name": rules, "pkg.torch.onnx.fx_node": fx_node})
    return node


SIGNATURE = "\n# inputs\n" + "".join(
    f"p_{name.replace('.', '_')}: PARAMETER target='{name}'\n"
    for name in ("conv.weight", "bn.weight", "bn.bias", "scale", "fc.weight", "fc.bias")
)


def test_dynamo_rewrites_are_read_back_from_the_node_metadata() -> None:
    """Fused batch norm, a zero bias removed from a linear layer, a layer scale of inferred shape; no weights."""
    bn = (
        "%_native_batch_norm_legit_no_training : [num_users=1] = call_function[target=torch.ops.aten."
        "_native_batch_norm_legit_no_training.default](args = (%conv2d, %p_bn_weight, %p_bn_bias, "
        "%b_bn_running_mean, %b_bn_running_var, 0.1, 1e-05), kwargs = {})"
    )
    linear = (
        "%linear : [num_users=1] = call_function[target=torch.ops.aten.linear.default](args = (%view, "
        "%p_fc_weight, %p_fc_bias), kwargs = {})"
    )
    nodes = [
        dynamo_like(
            "RemoveOptionalBiasFromConv, FuseBatchNormIntoConv, RemoveOptionalBiasFromConv",
            bn,
            helper.make_node("Conv", ["x", "conv.weight"], ["getitem"], name="node_Conv_1", kernel_shape=[3, 3]),
        ),
        helper.make_node("Mul", ["scale", "getitem"], ["mul"], name="node_mul"),
        helper.make_node("Flatten", ["mul"], ["flat"], name="node_flat"),
        dynamo_like(
            "RemoveOptionalBiasFromGemm",
            linear,
            helper.make_node("Gemm", ["flat", "fc.weight"], ["linear"], name="node_Gemm_2", transB=1),
        ),
    ]
    graph = helper.make_graph(
        nodes,
        "main_graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
        [helper.make_tensor_value_info("linear", TensorProto.FLOAT, [1, 5])],
        value_info=[
            helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
            for name, shape in (("getitem", [1, 8, 4, 4]), ("mul", [1, 8, 4, 4]), ("flat", [1, 128]))
        ],
    )
    helper.set_metadata_props(graph, {"pkg.torch.export.ExportedProgram.graph_signature": SIGNATURE})
    report = summarize_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString())
    rows = report.by_name()
    assert rows["node_Conv_1"].node.params == 8 * 3 * 9 + 2 * 8
    assert "fused a batch norm" in rows["node_Conv_1"].note
    assert rows["node_Gemm_2"].node.params == 128 * 5 + 5
    assert "removed" in rows["node_Gemm_2"].note
    assert rows["node_mul"].node.params == 8
    assert "'scale'" in rows["node_mul"].note and "inferred as [8, 1, 1]" in rows["node_mul"].note
    assert report.total_params == 8 * 3 * 9 + 2 * 8 + 8 + 128 * 5 + 5


@pytest.mark.parametrize("opset", [18, 21])
def test_dynamo_export_counts_as_torch_does(opset: int, tmp_path: Path) -> None:
    """A real dynamo export: every parameter counted, the layer scale's shape inferred and said so."""
    torch.manual_seed(0)
    model = ConvBnLinear(scale=True).eval()
    path = tmp_path / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(1, 3, SIZE, SIZE),),
            path,
            export_params=False,
            external_data=False,
            opset_version=opset,
        )
    report = summarize_onnx(path.read_bytes())
    assert report.total_params == torch_params(model)
    assert any("'scale'" in n.note and "inferred" in n.note for n in report.nodes)
    assert any("fused a batch norm" in n.note for n in report.nodes)
