"""Hostile ONNX files through each route that takes one: the API upload and ``convviz summary``."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.main import app
from tests.convcore.hostile_onnx import HIDING_PLACES

URL = "/api/v1/models/summary"


@pytest.mark.parametrize("place", HIDING_PLACES)
def test_upload_with_external_data_is_refused(place: str, secret_file: str) -> None:
    data = HIDING_PLACES[place](secret_file).SerializeToString()
    response = TestClient(app).post(URL, files={"file": ("m.onnx", data, "application/octet-stream")})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "tensor 'secret' refers to external data ('secret.bin'); only self-contained files are accepted: "
        "export with external_data=False",
        "code": "invalid_value",
        "params": {},
    }


def test_upload_pointing_at_a_missing_file_answers_the_same(secret_file: str) -> None:
    data = HIDING_PLACES["TENSORS attribute holding t"]("no-such.bin").SerializeToString()
    response = TestClient(app).post(URL, files={"file": ("m.onnx", data, "application/octet-stream")})
    assert response.status_code == 422
    assert "refers to external data ('no-such.bin')" in response.json()["detail"]


@pytest.mark.parametrize("place", ["TENSORS attribute holding t", "sparse initializer", "subgraph initializer"])
def test_cli_summary_refuses_external_data(
    place: str, secret_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.onnx"
    path.write_bytes(HIDING_PLACES[place](secret_file).SerializeToString())
    code = main(["summary", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip() == (
        "convviz summary: error: tensor 'secret' refers to external data ('secret.bin'); only self-contained files "
        "are accepted: export with external_data=False"
    )
