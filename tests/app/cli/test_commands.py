"""The ``convviz`` command line: shape, rf and solve print the REST answers; bad input exits 2 with a message."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.cli.commands import MAX_FILE_BYTES, parse_layer_flag
from app.input_shape import parse_shape
from app.main import app
from convcore.networks.layers import Shape

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
    assert pool5["receptive_field"] == {
        "size": [212, 212],
        "stride": [32, 32],
        "padding": [90, 90],
        "global": [False, False],
    }


def test_rf_of_a_resnet_is_the_architectures_answer_with_whole_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rf", "resnet18", "--size", "64", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    api = TestClient(app).get("/api/v1/architectures/resnet18", params={"size": 64}).json()
    assert printed["layers"] == api["layers"]
    assert main(["rf", "resnet18", "--size", "64"]) == 0
    avgpool = next(line for line in capsys.readouterr().out.splitlines() if " avgpool " in line)
    assert "64 (whole)" in avgpool


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
        "1 setting(s) turn 224 into 112, simplest first (nothing left unread, no padding wider than the kernel, "
        "no dilation, then small numbers)\n"
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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "is nested too deeply to be a layer stack"),
        (
            json.dumps([{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding_mode": ["x"]}]),
            "layer 0 (conv2d): padding_mode must be one of zeros, reflect, replicate, circular, got ['x']",
        ),
        (json.dumps([{"type": ["relu"]}]), "layer 0: type must be one of conv2d, conv_transpose2d"),
        (
            json.dumps({"input": {"channels": True, "height": 5, "width": 5}, "layers": [{"type": "relu"}]}),
            '"input" must be {"channels": C, "height": H, "width": W} with integers',
        ),
        ('[{"type": "batch_norm2d", "eps": NaN}]', "layer 0 (batch_norm2d): eps must be a finite number, got nan"),
        (
            json.dumps([{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "stride": 2**63}]),
            "layer 0 (conv2d): stride must be between 1 and 4,096, got 9223372036854775808",
        ),
        (
            json.dumps({"input": {"channels": 3, "height": 10**12, "width": 5}, "layers": [{"type": "relu"}]}),
            "input height must be an integer between 1 and 100,000, got 1000000000000",
        ),
    ],
)
def test_a_hostile_stack_file_is_a_message_not_a_traceback(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = tmp_path / "stack.json"
    stack.write_text(content)
    assert main(["shape", "--file", str(stack)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("convviz shape: error: ")
    assert message in err
    assert "Traceback" not in err


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = tmp_path / "latin1.json"
    stack.write_bytes(b'[{"type": "relu", "name": "caf\xe9"}]')
    assert main(["shape", "--file", str(stack)]) == 2
    assert capsys.readouterr().err == f"convviz shape: error: {stack} is not UTF-8 text (byte 0xe9 at offset 30)\n"


def test_a_file_larger_than_any_stack_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = tmp_path / "huge.json"
    stack.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    assert main(["rf", str(stack)]) == 2
    assert (
        capsys.readouterr().err
        == f"convviz rf: error: {stack} is larger than 8 MiB: a layer stack is a small JSON file\n"
    )


def test_the_cli_as_a_process_never_shows_a_traceback(tmp_path: Path) -> None:
    stack = tmp_path / "deep.json"
    stack.write_text("[" * 100_000 + "]" * 100_000)
    proc = subprocess.run(
        [sys.executable, "-m", "app", "shape", "--file", str(stack)], capture_output=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"convviz shape: error: {stack} is nested too deeply to be a layer stack\n"
