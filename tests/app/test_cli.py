"""The ``convviz`` command line: shape, rf and solve print the REST answers; bad input exits 2 with a message."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.cli import main, parse_layer_flag, parse_shape
from app.main import app
from convcore.layers import Shape

STEM = [
    "--layer",
    "conv2d:out_channels=64,kernel_size=7,stride=2,padding=3,bias=false",
    "--layer",
    "max_pool2d:kernel_size=3,stride=2,padding=1",
]
STEM_DICTS = [
    {"type": "conv2d", "out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False},
    {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1},
]


def test_parse_layer_flag_values() -> None:
    assert parse_layer_flag("conv2d:out_channels=8,kernel_size=1x7,padding=same,bias=true,name=c1") == {
        "type": "conv2d",
        "out_channels": 8,
        "kernel_size": [1, 7],
        "padding": "same",
        "bias": True,
        "name": "c1",
    }
    assert parse_layer_flag("dropout:p=0.25") == {"type": "dropout", "p": 0.25}
    assert parse_layer_flag("relu") == {"type": "relu"}
    assert parse_shape("3x224x160") == Shape(3, 224, 160)


def test_shape_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shape", "--input", "3x224x224", *STEM]) == 0
    assert capsys.readouterr().out == (
        "#  name  type        output      params  MACs         RF size  RF stride  RF padding\n"
        "-  ----  ----------  ----------  ------  -----------  -------  ---------  ----------\n"
        "0  -     conv2d      64×112×112   9,408  118,013,952        7          2           3\n"
        "1  -     max_pool2d    64×56×56       0            0       11          4           5\n"
        "total: 9,408 parameters, 118,013,952 MACs\n"
    )


def test_shape_json_equals_the_api(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = {"input": {"channels": 3, "height": 224, "width": 224}, "layers": STEM_DICTS}
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps(body))
    assert main(["shape", "--file", str(stack), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == TestClient(app).post("/api/v1/shapes", json=body).json()


def test_flags_and_file_combine(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps(STEM_DICTS))
    assert main(["shape", "--file", str(stack), "--layer", "conv2d:out_channels=8,kernel_size=3", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [row["receptive_field"]["size"] for row in printed["layers"]] == [[7, 7], [11, 11], [19, 19]]
    assert printed["total_params"] is None


def test_rf_of_an_architecture(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rf", "vgg16", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["layers"]
    pool5 = next(row for row in rows if row["name"] == "features.30")
    assert pool5["receptive_field"] == {"size": [212, 212], "stride": [32, 32], "padding": [90, 90]}


def test_rf_of_a_file_with_size(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stack = tmp_path / "net.json"
    stack.write_text(json.dumps(STEM_DICTS))
    assert main(["rf", str(stack), "--size", "64", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["layers"]
    assert rows[-1]["output"] == {"channels": 64, "height": 16, "width": 16}


def test_solve_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["solve", "--size", "224", "--output", "112", "--kernel-size", "7", "--stride", "2", "--dilation", "1"])
        == 0
    )
    assert capsys.readouterr().out == (
        "1 setting(s) turn 224 into 112, simplest first:\n"
        "kernel_size  stride  padding  dilation  output_padding  output  unread rows\n"
        "-----------  ------  -------  --------  --------------  ------  -----------\n"
        "          7       2        3         1               0     112            0\n"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["shape", "--layer", "conv2d:kernel_size=3"], "layer 0 (conv2d): out_channels is required"),
        (["shape", "--input", "3x224", "--layer", "relu"], "--input must be CxHxW, e.g. 3x224x224, got '3x224'"),
        (["shape", "--layer", "conv2d:out_channels"], "expected key=value pairs after the type"),
        (["shape"], "no layers: give --layer TYPE:key=value,... (repeatable) or --file stack.json"),
        (["shape", "--file", "/nonexistent.json"], "cannot read /nonexistent.json"),
        (["rf", "googlenet"], "'googlenet' is neither a built-in architecture"),
        (["rf", "alexnet", "--size", "32"], "layer 12 (max_pool2d), height 1"),
        (["solve", "--size", "0", "--output", "3"], "input and output sizes must be at least 1"),
    ],
)
def test_bad_input_exits_2_with_a_message(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"convviz {argv[0]}: error: ")
    assert message in err


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    # ResNet-50's JSON (~70 kB) is larger than a pipe's buffer, so the command is still writing when we close.
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "rf", "resnet50", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert b"Traceback" not in err
