"""``convviz summary``: a PyTorch factory or an ONNX file → the aligned table or the API's JSON."""

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from app.cli import main
from convcore.importers.fx.summary import summarize_module
from convcore.networks.graph import report_to_dict
from tests.app.routers.test_models import tiny_model


class TinyNet(nn.Module):
    """A strided stem and a residual pair whose branches are misaligned (2×2 pooling next to a 3×3/2 conv)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.down = nn.Conv2d(4, 4, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        return self.pool(x) + self.down(x)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_table_of_a_module(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["summary", "tests.app.cli.test_summary:TinyNet", "--input", "3x16x12"], capsys)
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "#  name  op          output   params  MACs    field  RF size  RF stride  RF padding  aligned",
        "-  ----  ----------  -------  ------  ------  -----  -------  ---------  ----------  -------",
        "0  x     input       3×16×12       0       0  local        1          1           0",
        "1  stem  conv2d      4×16×12     112  20,736  local        3          1           1",
        "2  pool  max_pool2d    4×8×6       0       0  local        4          2           1",
        "3  down  conv2d        4×8×6     148   6,912  local        5          2           2",
        "4  add   add           4×8×6       0       0  local        5          2           2  NO",
        "total: 260 parameters, 27,648 MACs; main path: 4 of 5 nodes",
        "note [4 add]: the branches' receptive-field centres differ (misaligned)",
    ]


class GlobalNet(nn.Module):
    """A running sum along the width (an operation the engine measures), then a mean over the map and a head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cumsum(self.stem(x), dim=3)
        return self.head(x.mean((2, 3)))


def test_table_shows_global_fields_measured_operations_and_their_notes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["summary", "tests.app.cli.test_summary:GlobalNet", "--input", "3x8x6"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[:4] == [
        "#  name    op                       output  params  MACs   field   RF size  RF stride  RF padding  aligned",
        "-  ------  -----------------------  ------  ------  -----  ------  -------  ---------  ----------  -------",
        "0  x       input                     3×8×6       0      0  local         1          1           0",
        "1  stem    conv2d                    4×8×6     112  5,184  local         3          1           1",
    ]
    assert lines[4].startswith("2  cumsum  torch.cumsum (measured)   4×8×6       0      0  local ")
    assert lines[5:8] == [
        "3  mean    mean                          4       0      0  global  whole            1           0",
        "4  head    linear                        2      10      8  global  whole            1           0",
        "total: 122 parameters, 5,192 MACs; main path: 5 of 5 nodes; 2 see the whole input (from mean); "
        "1 measured (an unknown operation's window read from autograd)",
    ]
    assert lines[8].startswith("note [2 cumsum]: measured with autograd")


class ReadsTensors(nn.Module):
    """Reads tensors' values while it builds (RegNet computes its widths so): impossible on the meta device."""

    def __init__(self) -> None:
        super().__init__()
        widths = torch.tensor([2, 3]).tolist()
        self.conv = nn.Conv2d(3, int(torch.tensor(widths).sum().item()), 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def test_a_factory_that_reads_tensors_is_built_on_the_cpu(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["summary", "tests.app.cli.test_summary:ReadsTensors", "--input", "3x8x8"], capsys)
    assert code == 0 and err == ""
    assert out.splitlines()[3] == "1  conv  conv2d   5×6×6     140  4,860  local        3          1           0"


def test_json_equals_the_convcore_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["summary", "tests.convcore.torch_zoo:MobileNetV1", "--input", "3x64x64", "--json"], capsys)
    assert code == 0
    with torch.device("meta"):
        from tests.convcore.torch_zoo import MobileNetV1

        expected = report_to_dict(summarize_module(MobileNetV1(), (3, 64, 64)))
    assert json.loads(out) == {"source": "tests.convcore.torch_zoo:MobileNetV1", **expected}


def test_onnx_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tiny.onnx"
    path.write_bytes(tiny_model())
    code, out, _ = run(["summary", str(path)], capsys)
    assert code == 0
    assert out.splitlines()[-1] == "total: 22 parameters, 1,280 MACs; main path: 4 of 5 nodes"
    assert "  yes" in out.splitlines()[-2]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "tests.app.cli.test_summary:TinyNet"], "--input CxHxW is required for a PyTorch module"),
        (["summary", "no_such_pkg.mod:Net", "--input", "3x8x8"], "cannot import 'no_such_pkg.mod'"),
        (["summary", "tests.app.cli.test_summary:Nope", "--input", "3x8x8"], "has no attribute 'Nope'"),
        (["summary", "just_a_name", "--input", "3x8x8"], "expected package.module:factory or a .onnx file"),
        (["summary", "tests.app.cli.test_summary:TinyNet", "--input", "3x8"], "--input must be CxHxW"),
        (["summary", "tests.app.cli.test_summary:TinyNet", "--input", "2x8x8"], "cannot run on a 2x8x8 input"),
        (["summary", "missing.onnx"], "cannot read missing.onnx"),
    ],
)
def test_bad_input_exits_2_with_the_message(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("convviz summary: error: ")
    assert message in err
