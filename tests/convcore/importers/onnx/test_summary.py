"""ONNX summaries: torch.onnx.export of the zoo agrees with torch.fx and the layer lists; hostile files rejected."""

import contextlib
import io
import warnings
from collections.abc import Callable

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from convcore.arithmetic.receptive_field import AxisField
from convcore.importers.fx.summary import summarize_module
from convcore.importers.onnx.summary import module_path, summarize_onnx
from tests.convcore import torch_zoo
from tests.convcore.importers.fx.test_summary import layer_list_report, merges, meta_model, table

# ResNet-50 at 64×64 keeps its export quick; VGG-16 needs 224 for its 7×7 classifier input
SIZES = {"resnet18": 224, "resnet50": 64, "vgg16": 224, "mobilenet_v1": 224}


def export(model: nn.Module, size: tuple[int, int, int], *, export_params: bool = True) -> bytes:
    """The TorchScript-based exporter (``dynamo=False``) needs no onnxscript; BN kept (no constant folding)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model.eval(),
            (torch.zeros(1, *size),),
            buffer,
            dynamo=False,
            do_constant_folding=False,
            export_params=export_params,
        )
    return buffer.getvalue()


@pytest.fixture(scope="session")
def exported() -> Callable[[str], bytes]:
    """Each zoo model exported at most once per session, with uninitialised weights kept out of the file."""
    cache: dict[str, bytes] = {}

    def get(name: str) -> bytes:
        if name not in cache:
            model = meta_model(name).to_empty(device="cpu")
            cache[name] = export(model, (3, SIZES[name], SIZES[name]), export_params=False)
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(SIZES))
def test_onnx_agrees_with_torch_fx_and_the_layer_list(name: str, exported: Callable[[str], bytes]) -> None:
    size = SIZES[name]
    expected = layer_list_report(name, size)
    fx_report = summarize_module(meta_model(name), (3, size, size))
    got = summarize_onnx(exported(name))

    want_rows, got_rows = table(expected, "name"), table(got, "target")
    assert set(got_rows) - set(want_rows) <= {"/Flatten", "avgpool"}
    # an eval-mode export leaves dropout out of the graph; every other layer is there
    missing = {layer for layer in want_rows if layer not in got_rows}
    assert all(expected.by_name()[layer].node.op == "dropout" for layer in missing)
    assert len(missing) == (2 if name == "vgg16" else 0)
    for layer, row in want_rows.items():
        if layer not in missing:
            assert got_rows[layer] == row, layer
    assert merges(got) == merges(expected) == merges(fx_report)
    assert got.total_params == fx_report.total_params == expected.total_params
    assert got.total_macs == fx_report.total_macs == expected.total_macs


@pytest.fixture(scope="module")
def small_net() -> bytes:
    torch.manual_seed(0)
    return export(torch_zoo.build("resnet18"), (3, 32, 32))


def test_a_file_with_weights_gives_the_same_table(small_net: bytes) -> None:
    report = summarize_onnx(small_net)
    assert report.total_params == 11_689_512
    assert report.nodes[0].node.output == (3, 32, 32)
    first = report.nodes[1]
    assert (first.node.op, first.node.target, first.node.output) == ("Conv", "conv1", (64, 16, 16))
    assert first.field == (AxisField(7, 2, 3), AxisField(7, 2, 3))
    assert report.main_path[-1] == report.nodes[-1].node.name


def test_module_path_of_exporter_scopes() -> None:
    assert module_path("/layer1/layer1.0/conv1/Conv") == "layer1.0.conv1"
    assert module_path("/layer2/layer2.0/downsample/downsample.0/Conv") == "layer2.0.downsample.0"
    assert module_path("/Flatten") == ""


def model_of(
    nodes: list[onnx.NodeProto],
    *,
    inputs: list[onnx.ValueInfoProto] | None = None,
    opsets: list[tuple[str, int]] | None = None,
    **kw: object,
) -> bytes:
    graph = helper.make_graph(
        nodes,
        "g",
        inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
        **kw,  # type: ignore[arg-type]
    )
    opset_imports = [helper.make_opsetid(domain, version) for domain, version in opsets or [("", 17)]]
    return helper.make_model(graph, opset_imports=opset_imports).SerializeToString()


def weight(name: str, shape: tuple[int, ...]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def test_asymmetric_pad_and_auto_pad_same_upper() -> None:
    pads = numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 0, 2], dtype=np.int64), "pads")
    data = model_of(
        [
            helper.make_node("Pad", ["x", "pads"], ["p"], name="pad"),
            helper.make_node("Conv", ["p", "w"], ["c"], name="conv", strides=[2, 2], auto_pad="SAME_UPPER"),
            helper.make_node("MaxPool", ["c"], ["m"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        ],
        initializer=[pads, weight("w", (2, 1, 4, 4))],
    )
    report = summarize_onnx(data).by_name()
    assert report["pad"].node.output == (1, 9, 10)
    assert report["pad"].field == (AxisField(1, 1, 1), AxisField(1, 1, 0))
    # SAME_UPPER on 9 rows, k=4, s=2: 5 outputs, total padding 3, 1 before; on 10 columns: total 2, 1 before
    assert report["conv"].field == (AxisField(4, 2, 2), AxisField(4, 2, 1))
    assert report["conv"].node.output == (2, 5, 5)
    assert report["conv"].node.params == 32
    assert report["conv"].node.macs == 25 * 32
    assert report["pool"].field == (AxisField(6, 4, 2), AxisField(6, 4, 1))


def test_symbolic_input_size_needs_a_size() -> None:
    data = model_of(
        [helper.make_node("Relu", ["x"], ["y"])],
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
    )
    with pytest.raises(ValueError, match="no fixed height"):
        summarize_onnx(data)
    assert summarize_onnx(data, input_shape=(3, 5, 7)).nodes[-1].node.output == (3, 5, 7)


def test_resize_ends_the_field() -> None:
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales")
    data = model_of([helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up")], initializer=[scales])
    up = summarize_onnx(data).nodes[-1]
    assert up.node.output == (1, 16, 16)
    assert up.field is None and "upsampling" in up.note


# hostile files


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"\xff" * 64, b"hello, world"])
def test_bytes_that_are_not_onnx(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"not a valid ONNX model|not a complete ONNX model"):
        summarize_onnx(data)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file(small_net: bytes, fraction: float) -> None:
    with pytest.raises(ValueError, match=r"not a valid ONNX model|not a complete ONNX model"):
        summarize_onnx(small_net[: int(len(small_net) * fraction)])


def test_graph_with_a_cycle() -> None:
    data = model_of(
        [
            helper.make_node("Add", ["x", "b"], ["a"], name="first"),
            helper.make_node("Relu", ["a"], ["b"], name="second"),
        ]
    )
    with pytest.raises(ValueError, match="cycle through nodes first, second"):
        summarize_onnx(data)


def test_more_nodes_than_the_limit() -> None:
    nodes = [helper.make_node("Relu", ["x" if i == 0 else f"t{i - 1}"], [f"t{i}"]) for i in range(20_001)]
    with pytest.raises(ValueError, match="20001 nodes; the limit is 20000"):
        summarize_onnx(model_of(nodes))


def test_a_swin_sized_chain_is_summarised() -> None:
    nodes = [helper.make_node("Relu", ["x" if i == 0 else f"t{i - 1}"], [f"t{i}"]) for i in range(14_000)]
    report = summarize_onnx(model_of(nodes))
    assert len(report.nodes) == 14_001
    assert len(report.main_path) == 14_001


def test_external_data_reference() -> None:
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1, 1, 3, 3])
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="../../etc/passwd")
    data = model_of([helper.make_node("Conv", ["x", "w"], ["y"])], initializer=[w])
    with pytest.raises(ValueError, match=r"external data \('\.\./\.\./etc/passwd'\)"):
        summarize_onnx(data)


def test_an_operator_of_unknown_meaning_is_global_with_a_note() -> None:
    data = model_of(
        [
            helper.make_node("Relu", ["x"], ["a"], name="relu"),
            helper.make_node("Conv", ["a", "w"], ["b"], name="conv", pads=[1, 1, 1, 1]),
            helper.make_node("MyOp", ["b"], ["c"], name="mine", domain="com.example"),
        ],
        initializer=[weight("w", (2, 1, 3, 3))],
        value_info=[helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 2, 8, 8])],
        opsets=[("", 17), ("com.example", 1)],
    )
    report = summarize_onnx(data).by_name()
    assert report["conv"].field == (AxisField(3, 1, 1), AxisField(3, 1, 1))
    mine = report["mine"]
    assert mine.kind == "global"
    assert mine.field == (AxisField(8, 1, 0, True), AxisField(8, 1, 0, True))
    assert mine.node.macs == 0
    assert "com.example::MyOp has no known meaning" in mine.note


def test_oversized_file() -> None:
    with pytest.raises(ValueError, match="the file is 2048 bytes; the limit is 1024"):
        summarize_onnx(b"\0" * 2048, max_bytes=1024)


def test_shape_inference_failure_is_a_value_error() -> None:
    data = model_of([helper.make_node("Add", ["x", "w"], ["y"])], initializer=[weight("w", (1, 1, 5, 5))])
    with pytest.raises(ValueError, match="shape inference failed"):
        summarize_onnx(data)


def test_weights_that_do_not_fit_the_input_channels() -> None:
    data = model_of([helper.make_node("Conv", ["x", "w"], ["y"], name="c")], initializer=[weight("w", (2, 3, 3, 3))])
    with pytest.raises(ValueError, match=r"node 'c' \(Conv\): its weight expects 3 input channels, the input has 1"):
        summarize_onnx(data)


def test_damaged_files_fail_only_with_value_errors(exported: Callable[[str], bytes]) -> None:
    """Corrupted bytes anywhere in a real file (structure only, no weights): a summary or a ValueError."""
    original = exported("resnet18")
    rng = np.random.default_rng(0)
    for position in rng.integers(0, len(original), size=150):
        damaged = bytearray(original)
        damaged[position] ^= int(rng.integers(1, 256))
        with contextlib.suppress(ValueError):
            summarize_onnx(bytes(damaged))


def test_a_conv_without_its_kernel_shape_source_is_named() -> None:
    data = model_of([helper.make_node("MaxPool", ["x"], ["y"], name="pool")])
    with pytest.raises(ValueError, match=r"shape inference failed|node 'pool' \(MaxPool\) is malformed"):
        summarize_onnx(data)
