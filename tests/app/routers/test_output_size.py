"""GET /api/v1/output-size: exact bodies, agreement with convcore and with torch's real output shapes."""

import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.main import app
from convcore.arithmetic import formulas, shapes

client = TestClient(app)
URL = "/api/v1/output-size"


def test_design_example() -> None:
    response = client.get(URL, params={"size": 224, "kernel_size": 7, "stride": 2, "padding": 3, "dilation": 1})
    assert response.status_code == 200
    assert response.json() == {
        "output_size": 112,
        "formula": "floor((224 + 2·3 − 1·(7−1) − 1)/2) + 1 = 112",
        "unused_input": 1,
        "unused_image": 0,
        "effective_kernel_size": 7,
        "stride": 2,
    }


def test_unread_real_rows() -> None:
    response = client.get(URL, params={"size": 7, "kernel_size": 3, "stride": 3})
    assert response.status_code == 200
    assert response.json() == {
        "output_size": 2,
        "formula": "floor((7 + 2·0 − 1·(3−1) − 1)/3) + 1 = 2",
        "unused_input": 1,
        "unused_image": 1,
        "effective_kernel_size": 3,
        "stride": 3,
    }


def test_dilated() -> None:
    response = client.get(URL, params={"size": 10, "kernel_size": 3, "dilation": 2})
    assert response.status_code == 200
    assert response.json() == {
        "output_size": 6,
        "formula": "floor((10 + 2·0 − 2·(3−1) − 1)/1) + 1 = 6",
        "unused_input": 0,
        "unused_image": 0,
        "effective_kernel_size": 5,
        "stride": 1,
    }


def test_transposed() -> None:
    response = client.get(
        URL, params={"size": 5, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1, "transposed": "true"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "output_size": 10,
        "formula": "(5 − 1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 10",
        "unused_input": 0,
        "unused_image": 0,
        "effective_kernel_size": 3,
        "stride": 2,
    }


def test_pool_stride_defaults_to_kernel() -> None:
    response = client.get(URL, params={"size": 7, "kernel_size": 2, "op": "pool"})
    assert response.status_code == 200
    assert response.json() == {
        "output_size": 3,
        "formula": "floor((7 + 2·0 − 1·(2−1) − 1)/2) + 1 = 3",
        "unused_input": 1,
        "unused_image": 1,
        "effective_kernel_size": 2,
        "stride": 2,
    }


def test_pool_ceil_mode_reads_everything() -> None:
    response = client.get(URL, params={"size": 7, "kernel_size": 2, "op": "pool", "ceil_mode": "true"})
    assert response.status_code == 200
    assert response.json() == {
        "output_size": 4,
        "formula": "ceil((7 + 2·0 − 1·(2−1) − 1)/2) + 1 = 4",
        "unused_input": 0,
        "unused_image": 0,
        "effective_kernel_size": 2,
        "stride": 2,
    }


def test_pool_ceil_mode_drops_a_window_in_the_padding() -> None:
    response = client.get(URL, params={"size": 5, "kernel_size": 2, "padding": 1, "op": "pool", "ceil_mode": "true"})
    assert response.status_code == 200
    assert response.json()["formula"] == "ceil((5 + 2·1 − 1·(2−1) − 1)/2) + 1 = 4 − 1 = 3"
    assert response.json()["output_size"] == 3


def test_kernel_larger_than_input_is_422_with_advice() -> None:
    response = client.get(URL, params={"size": 2, "kernel_size": 7})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "the kernel spans 7 (kernel_size=7, dilation=1) but the padded input is only 2 long: make the "
        "kernel or dilation smaller, or increase padding or the input size",
        "code": "kernel_exceeds_input",
        "params": {"span": 7, "padded": 2},
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"op": "pool", "transposed": "true"}, "transposed applies to op=conv only: set transposed=false or op=conv"),
        (
            {"output_padding": 1},
            "output_padding applies to transposed convolutions only: set transposed=true or remove it",
        ),
        ({"ceil_mode": "true"}, "ceil_mode applies to op=pool only: set op=pool or remove ceil_mode"),
    ],
)
def test_options_of_the_wrong_op_are_422(params: dict[str, str], message: str) -> None:
    response = client.get(URL, params={"size": 8, "kernel_size": 2, **params})
    assert response.status_code == 422
    assert response.json() == {"detail": message, "code": "invalid_value", "params": {}}


@pytest.mark.parametrize(
    ("params", "field", "kind"),
    [
        ({"size": 8, "kernel_size": 0}, "kernel_size", "greater_than_equal"),
        ({"size": 8, "kernel_size": 3, "padding": -1}, "padding", "greater_than_equal"),
        ({"size": 10**9, "kernel_size": 3}, "size", "less_than_equal"),
        ({"size": 8, "kernel_size": "three"}, "kernel_size", "int_parsing"),
        ({"size": 8}, "kernel_size", "missing"),
        ({"size": 8, "kernel_size": 3, "op": "deconv"}, "op", "literal_error"),
        ({"size": 8, "kernel_size": 3, "kernel": 3}, "kernel", "extra_forbidden"),
    ],
)
def test_bad_query_names_the_field(params: dict[str, object], field: str, kind: str) -> None:
    response = client.get(URL, params=params)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["query", field], kind)


def _torch_length(op: str, size: int, k: int, s: int, p: int, d: int, extra: int, ceil: bool) -> int | None:
    """torch's output length, or None where torch refuses the configuration."""
    x = torch.zeros(1, 1, size, dtype=torch.float64)
    try:
        if op == "conv":
            return F.conv1d(x, torch.zeros(1, 1, k, dtype=torch.float64), stride=s, padding=p, dilation=d).shape[-1]
        if op == "transposed":
            w = torch.zeros(1, 1, k, dtype=torch.float64)
            return F.conv_transpose1d(x, w, stride=s, padding=p, output_padding=extra, dilation=d).shape[-1]
        return F.max_pool1d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil).shape[-1]
    except RuntimeError:
        return None


@given(
    op=st.sampled_from(["conv", "transposed", "pool"]),
    size=st.integers(1, 24),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    p=st.integers(0, 4),
    d=st.integers(1, 3),
    extra=st.integers(0, 2),
    ceil=st.booleans(),
)
def test_matches_torch(op: str, size: int, k: int, s: int, p: int, d: int, extra: int, ceil: bool) -> None:
    params: dict[str, object] = {"size": size, "kernel_size": k, "stride": s, "padding": p, "dilation": d}
    if op == "transposed":
        params.update(transposed="true", output_padding=extra)
    if op == "pool":
        params.update(op="pool", ceil_mode=str(ceil).lower())
    expected = _torch_length(op, size, k, s, p, d, extra, ceil)
    response = client.get(URL, params=params)
    if expected is None:
        assert response.status_code == 422
        assert isinstance(response.json()["detail"], str)
        return
    assert response.status_code == 200
    body = response.json()
    assert body["output_size"] == expected
    if op == "conv":
        assert body["formula"] == formulas.conv_formula(size, kernel_size=k, stride=s, padding=p, dilation=d)
        assert body["unused_input"] == shapes.unread(size, kernel_size=k, stride=s, padding=p, dilation=d)[0]


def test_padding_after_gives_torchs_padding_same_with_an_even_kernel() -> None:
    # padding="same" with k = 4 pads 1 before and 2 after (torch puts the odd one after)
    response = client.get(URL, params={"size": 6, "kernel_size": 4, "padding": 1, "padding_after": 2})
    assert response.status_code == 200
    assert response.json() == {
        "output_size": 6,
        "formula": "floor((6 + 1 + 2 − 1·(4−1) − 1)/1) + 1 = 6",
        "unused_input": 0,
        "unused_image": 0,
        "effective_kernel_size": 4,
        "stride": 1,
    }
    x = torch.zeros(1, 1, 6, 6)
    assert F.conv2d(x, torch.zeros(1, 1, 4, 4), padding="same").shape[-1] == response.json()["output_size"]


@pytest.mark.parametrize("params", [{"op": "pool"}, {"transposed": "true"}])
def test_padding_after_outside_a_convolution_is_refused(params: dict[str, object]) -> None:
    response = client.get(URL, params={"size": 6, "kernel_size": 3, "padding_after": 1, **params})
    assert response.status_code == 422
    assert response.json()["detail"] == "padding_after applies to convolutions only: remove it or set op=conv"
