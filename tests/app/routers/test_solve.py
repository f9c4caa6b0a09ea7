"""POST /api/v1/solve: the inverse solver's answers, each checked with the forward formula."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.main import app
from convcore.arithmetic import shapes, solve

client = TestClient(app)
URL = "/api/v1/solve"


def test_design_question_padding_for_224_to_112() -> None:
    response = client.post(URL, json={"size": 224, "output_size": 112, "kernel_size": 7, "stride": 2, "dilation": 1})
    assert response.status_code == 200
    assert response.json() == {
        "exact": True,
        "settings": [
            {
                "kernel_size": 7,
                "stride": 2,
                "padding": 3,
                "dilation": 1,
                "output_padding": 0,
                "output_size": 112,
                "unused_rows": 0,
                "formula": "floor((224 + 2·3 − 1·(7−1) − 1)/2) + 1 = 112",
            }
        ],
        "message": "1 setting(s) turn 224 into 112, simplest first (nothing left unread, no padding wider than the "
        "kernel, no dilation, then small numbers)",
    }


def test_none_exists_gives_the_nearest() -> None:
    body = {"size": 10, "output_size": 9, "kernel_size": 3, "stride": 2, "padding": 0, "dilation": 1}
    response = client.post(URL, json=body)
    assert response.status_code == 200
    assert response.json() == {
        "exact": False,
        "settings": [
            {
                "kernel_size": 3,
                "stride": 2,
                "padding": 0,
                "dilation": 1,
                "output_padding": 0,
                "output_size": 4,
                "unused_rows": 1,
                "formula": "floor((10 + 2·0 − 1·(3−1) − 1)/2) + 1 = 4",
            }
        ],
        "message": "none exists: no conv with these fixed values turns 10 into 9; nearest: output size 4 "
        "(settings below)",
    }


def test_transposed_upsampling() -> None:
    body = {"size": 5, "output_size": 10, "op": "conv_transpose", "kernel_size": 3, "stride": 2, "dilation": 1}
    response = client.post(URL, json=body)
    assert response.status_code == 200
    assert response.json()["settings"][0] == {
        "kernel_size": 3,
        "stride": 2,
        "padding": 1,
        "dilation": 1,
        "output_padding": 1,
        "output_size": 10,
        "unused_rows": 0,
        "formula": "(5 − 1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 10",
    }


def test_large_transposed_stride_answers() -> None:
    """The request the fuzz found hanging the server (every padding × output_padding at stride 512)."""
    body = {"size": 600, "output_size": 1024, "stride": 512, "op": "conv_transpose"}
    response = client.post(URL, json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["exact"]
    for s in answer["settings"]:
        assert s["stride"] == 512
        assert (
            shapes.conv_transpose_output_size(
                600,
                kernel_size=s["kernel_size"],
                stride=512,
                padding=s["padding"],
                output_padding=s["output_padding"],
                dilation=s["dilation"],
            )
            == 1024
        )


def test_answer_equals_convcore() -> None:
    response = client.post(URL, json={"size": 32, "output_size": 16, "op": "pool"})
    assert response.status_code == 200
    expected = solve.solve(32, 16, op="pool")
    assert response.json()["exact"] is expected.exact
    got = [(s["kernel_size"], s["stride"], s["padding"], s["dilation"]) for s in response.json()["settings"]]
    assert got == [(s.kernel_size, s.stride, s.padding, s.dilation) for s in expected.settings]


@pytest.mark.parametrize(
    ("body", "field", "kind"),
    [
        ({"size": 0, "output_size": 3}, "size", "greater_than_equal"),
        ({"size": 8, "output_size": 3, "padding": -1}, "padding", "greater_than_equal"),
        ({"size": 8, "output_size": 3, "op": "unpool"}, "op", "literal_error"),
        ({"size": 8, "output_size": 3, "kernel_size": 10**6}, "kernel_size", "less_than_equal"),
        ({"size": "8", "output_size": 3}, "size", "int_type"),
    ],
)
def test_bad_body_names_the_field(body: dict[str, Any], field: str, kind: str) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", field], kind)


@given(size=st.integers(1, 64), output=st.integers(1, 64), stride=st.none() | st.integers(1, 4))
def test_every_exact_answer_gives_the_output(size: int, output: int, stride: int | None) -> None:
    response = client.post(URL, json={"size": size, "output_size": output, "stride": stride})
    assert response.status_code == 200
    body = response.json()
    for s in body["settings"]:
        got = shapes.conv_output_size(
            size, kernel_size=s["kernel_size"], stride=s["stride"], padding=s["padding"], dilation=s["dilation"]
        )
        assert got == s["output_size"]
        assert (got == output) is body["exact"]
