"""The largest requests a page can send at the bounds app.limits gives it fit the server's limits (the
default Settings): the tensors a page sends as its fields' sizes, the outputs it gets back, the traces it
asks for. Where a page's bound is derived from a setting (the playground's sizes from
Settings.max_tensor_elements, its traces from max_trace_taps and max_trace_steps), one step past it is
refused, so the page's bound is exactly the server's."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import limits
from app.main import app
from app.settings import Settings
from tests.app.overrides import served_with

client = TestClient(app)
DEFAULT = Settings()
PLAYGROUND = limits.page_limits("playground", DEFAULT)
POOLING = limits.page_limits("pooling", DEFAULT)
NORMALIZATION = limits.page_limits("normalization", DEFAULT)


def _ones(*shape: int) -> Any:
    if len(shape) == 1:
        return [1.0] * shape[0]
    return [_ones(*shape[1:]) for _ in range(shape[0])]


def _post(path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/ops/{path}", json=body)


def test_the_playgrounds_largest_convolutions_are_accepted() -> None:
    c, side = PLAYGROUND["channels"]["max"], PLAYGROUND["size"]["max"]
    padding, kernel = PLAYGROUND["padding"]["max"], PLAYGROUND["kernel"]["max"]
    widest = _post("conv2d", {"x": _ones(c, side, side), "weight": _ones(c, c, 1, 1), "padding": padding})
    assert widest.status_code == 200, widest.text
    assert widest.json()["shape"] == [c, side + 2 * padding, side + 2 * padding]
    dilation = PLAYGROUND["dilation"]["max"]
    most_work = _post(
        "conv2d", {"x": _ones(c, side, side), "weight": _ones(c, c, kernel, kernel), "padding": padding, "dilation": 1}
    )
    assert most_work.status_code == 200, most_work.text
    dilated = _post(
        "conv2d",
        {"x": _ones(c, side, side), "weight": _ones(c, c, kernel, kernel), "padding": padding, "dilation": dilation},
    )
    assert dilated.status_code == 200, dilated.text


def _transposed(side: int, output_padding: int) -> Any:
    c = PLAYGROUND["channels"]["max"]
    body = {"x": _ones(c, side, side), "weight": _ones(c, c, 2, 2), "stride": 2, "output_padding": output_padding}
    return _post("conv_transpose2d", body)


def test_the_playgrounds_transposed_output_bound_is_the_servers_largest_map() -> None:
    most = PLAYGROUND["transposed_output"]["max"]
    assert most == limits.PAGE_MAX_TRANSPOSED_OUTPUT
    # (i − 1)·2 + 2 = most: the largest output the page draws, all channels, is accepted…
    largest = _transposed(most // 2, 0)
    assert largest.status_code == 200, largest.text
    assert largest.json()["shape"] == [PLAYGROUND["channels"]["max"], most, most]
    # …and one more row and column would be more than the server returns
    assert _transposed(most // 2, 1).status_code == 422


def test_the_playground_narrows_its_sizes_to_a_smaller_tensor_limit() -> None:
    settings = Settings(max_tensor_elements=1024)
    page = limits.page_limits("playground", settings)
    c, padding = page["channels"]["max"], page["padding"]["max"]
    # 4 channels of 16×16 = 1024: the input plus its padding ring, and the transposed output, fit in 16 a side
    assert page["transposed_output"]["max"] == 16
    assert page["size"]["max"] == 16 - 2 * padding
    with served_with(settings):
        side = page["size"]["max"]
        fits = _post("conv2d", {"x": _ones(c, side, side), "weight": _ones(c, c, 1, 1), "padding": padding})
        assert fits.status_code == 200, fits.text
        wider = _post("conv2d", {"x": _ones(c, side + 1, side + 1), "weight": _ones(c, c, 1, 1), "padding": padding})
        assert wider.status_code == 422


@pytest.mark.parametrize(("field", "setting"), [("trace_taps", "max_trace_taps"), ("trace_steps", "max_trace_steps")])
def test_the_playground_asks_for_a_trace_within_the_servers_trace_bounds(field: str, setting: str) -> None:
    assert PLAYGROUND[field]["max"] == getattr(DEFAULT, setting)
    assert limits.page_limits("playground", Settings(**{setting: 1000}))[field]["max"] == 1000


def test_a_trace_of_exactly_the_pages_bound_is_given_and_one_more_tap_is_refused() -> None:
    # a 1×1 kernel on one 32×32 channel: 1024 steps of one tap each
    body = {"x": _ones(1, 32, 32), "weight": _ones(1, 1, 1, 1), "trace": True}
    with served_with(Settings(max_trace_taps=1024)):
        taps = limits.page_limits("playground", Settings(max_trace_taps=1024))["trace_taps"]["max"]
        assert taps == 1024
        assert _post("conv2d", body).status_code == 200
    with served_with(Settings(max_trace_taps=1023)):
        assert _post("conv2d", body).status_code == 422


def test_the_pooling_pages_largest_requests_are_accepted() -> None:
    side, kernel, padding = POOLING["h"]["max"], POOLING["k"]["max"], POOLING["p"]["max"]
    body = {"x": _ones(1, side, side), "kernel_size": kernel, "stride": 1, "padding": padding, "ceil_mode": True}
    for mode in ("max", "avg"):
        response = client.post(f"/api/v1/ops/{mode}_pool2d?trace=true", json=body)
        assert response.status_code == 200, response.text
    volume = _ones(POOLING["gc"]["max"], POOLING["gh"]["max"], POOLING["gw"]["max"])
    assert _post("global_avg_pool2d", {"x": volume}).status_code == 200


def test_the_normalization_pages_largest_batch_is_accepted() -> None:
    n, c, side = (NORMALIZATION[field]["max"] for field in ("n", "c", "size"))
    x = _ones(n, c, side, side)
    momentum = NORMALIZATION["momentum"]["min"]
    assert _post("batch_norm2d", {"x": x, "momentum": momentum}).status_code == 200
    assert _post("layer_norm", {"x": x}).status_code == 200
    assert _post("instance_norm", {"x": x}).status_code == 200
    assert _post("group_norm", {"x": x, "num_groups": NORMALIZATION["g"]["max"]}).status_code == 200


def test_the_image_labs_widest_layers_are_accepted() -> None:
    page = limits.page_limits("image", DEFAULT)
    hyper = {key: page[key]["max"] for key in ("kernel", "stride", "padding", "dilation")}
    kernels = ["sobel_x"] * page["channels"]["max"]
    conv = {"type": "conv2d", "out_channels": len(kernels), "kernel_size": 3, "kernels": kernels}
    stack = [
        {**conv, "padding": hyper["padding"], "dilation": hyper["dilation"]},
        {"type": "max_pool2d", "kernel_size": hyper["kernel"], "stride": hyper["stride"]},
        {"type": "dropout", "p": page["p"]["max"], "seed": page["seed"]["max"]},
    ]
    stack += [{"type": "relu"}] * (page["layers"]["max"] - len(stack))
    response = client.post("/api/v1/images/feature-maps", data={"sample": "house", "layers": json.dumps(stack)})
    assert response.status_code == 200, response.text
