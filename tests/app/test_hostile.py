"""Hostile and heavy requests, per route: each is refused before anything is allocated, with a 422 that names
the layer or field and what to change, or, when the process is full, a 503 with Retry-After."""

import io
import json
import time
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app import pricing
from app.admission import gate_for
from app.main import app
from app.settings import Settings, get_settings
from convcore.networks import cost
from convcore.networks.cost import REQUEST_BYTES
from convcore.networks.layers import MAX_SIZE, Shape
from convcore.networks.network import plan_network


@pytest.fixture
def client() -> Iterator[TestClient]:
    yield TestClient(app)
    app.dependency_overrides.clear()


def use(settings: Settings) -> None:
    app.dependency_overrides[get_settings] = lambda: settings


def png(width: int, height: int, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), 128).save(buffer, format="PNG")
    return buffer.getvalue()


def post_maps(client: TestClient, layers: list[dict[str, object]], data: bytes, **fields: str) -> object:
    return client.post(
        "/api/v1/images/feature-maps",
        data={"layers": json.dumps(layers), **fields},
        files={"file": ("photo.png", data, "image/png")},
    )


def padding_attack(padding: int, dropout: bool = False) -> list[dict[str, object]]:
    conv = {"type": "conv2d", "out_channels": 16, "kernel_size": 1, "padding": padding}
    return [conv, {"type": "relu"}, {"type": "relu"}, {"type": "dropout" if dropout else "relu"}]


@pytest.mark.parametrize(("padding", "dropout"), [(1000, False), (3000, True)])
def test_a_huge_padding_is_refused_naming_the_layer_and_the_largest_padding_that_fits(
    client: TestClient, padding: int, dropout: bool
) -> None:
    started = time.perf_counter()
    response = post_maps(client, padding_attack(padding, dropout), png(64, 64), color="rgb")
    assert time.perf_counter() - started < 2
    assert response.status_code == 422
    detail = response.json()["detail"]
    side = 64 + 2 * padding
    assert detail.startswith(f"layer 0 (conv2d): padding {padding} makes a {side}×{side}×16 map (")
    assert "of memory, more than the limit of 368 MiB; use padding ≤ " in detail
    # The suggestion is the largest padding the same cost model accepts.
    suggested = int(detail.rsplit("≤ ", 1)[1])
    settings, shape = Settings(), Shape(3, 64, 64)

    def fits(p: int) -> bool:
        price = cost.network_cost(shape, plan_network(padding_attack(p, dropout), shape))[0]
        return pricing.over_budget(price, settings) is None

    assert 0 < suggested < padding
    assert fits(suggested)
    assert not fits(suggested + 1)


def test_the_receptive_field_prices_the_backward_pass_too(client: TestClient) -> None:
    response = client.post(
        "/api/v1/images/receptive-field",
        data={"layers": json.dumps(padding_attack(1000)), "layer_index": "3", "row": "0", "col": "0"},
        files={"file": ("photo.png", png(64, 64), "image/png")},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("layer 0 (conv2d): padding 1000 makes a 2064×2064×16 map")
    assert "use padding ≤ " in response.json()["detail"]


def test_a_hundred_thousand_output_channels_are_refused_before_any_weight_exists(client: TestClient) -> None:
    layers = [{"type": "conv2d", "out_channels": 100_000, "kernel_size": 3}]
    response = post_maps(client, layers, png(64, 64))
    assert response.status_code == 422
    assert response.json() == {
        "detail": "layer 0 (conv2d): at most 16 channels in the image lab, got 100000: lower out_channels",
        "code": "invalid_value",
        "params": {},
    }


def test_a_stack_over_the_work_budget_names_its_most_expensive_layer(client: TestClient) -> None:
    layers = [{"type": "conv2d", "out_channels": 16, "kernel_size": 31, "padding": 15}] * 2
    response = client.post("/api/v1/images/feature-maps", data={"sample": "landscape", "layers": json.dumps(layers)})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("layer 1 (conv2d) needs 64.49 billion operations and the request needs about ")
    assert detail.endswith("use fewer channels, smaller kernels, a stride or an earlier pool")


def test_an_extreme_aspect_ratio_is_scaled_to_the_working_pixel_limit(client: TestClient) -> None:
    response = post_maps(client, [{"type": "relu"}], png(16_777_216, 1))
    assert response.status_code == 200
    body = response.json()["input"]
    assert (body["height"], body["width"]) == (1, MAX_SIZE)
    assert body["original"] == {"height": 1, "width": 16_777_216}


def test_decoding_a_transparent_photo_is_priced_from_its_header(client: TestClient) -> None:
    use(Settings(max_request_bytes=64 * 2**20))
    response = post_maps(client, [{"type": "relu"}], png(2048, 2048, "RGBA"))
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "decoding this 2048×2048 image needs about 103 MiB of memory, more than the limit of 64 MiB: "
        "scale it down first"
    )
    # The same size without transparency costs less than half as much, and is decoded.
    assert post_maps(client, [{"type": "relu"}], png(2048, 2048, "RGB")).status_code == 200


def conv_body(x_shape: tuple[int, ...], w_shape: tuple[int, ...], **fields: object) -> dict[str, object]:
    return {"x": np.zeros(x_shape).tolist(), "weight": np.zeros(w_shape).tolist(), **fields}


def test_ops_conv2d_prices_the_fft_method_s_kernel_spectra(client: TestClient) -> None:
    # 16,384 1×1 kernels, each transformed to the padded input's size: 9 output values, 8 GiB of spectra.
    body = conv_body((128, 1, 1), (128, 128, 1, 1), padding=64, stride=64, method="fft")
    response = client.post("/api/v1/ops/conv2d", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "this convolution needs about 8.4 GiB of memory, more than the limit of 368 MiB: use a smaller "
        "input, fewer channels, less padding or a larger stride",
        "code": "invalid_value",
        "params": {},
    }
    # The same convolution by im2col pads the input once and is answered.
    body["method"] = "im2col"
    assert client.post("/api/v1/ops/conv2d", json=body).status_code == 200


def test_ops_conv_transpose2d_prices_its_uncropped_canvas(client: TestClient) -> None:
    # 16,384 output channels of one value each, scattered into 65×65 canvases before the padding is cut off.
    body = conv_body((128, 2, 2), (128, 128, 1, 1), stride=64, padding=32, groups=128)
    response = client.post("/api/v1/ops/conv_transpose2d", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("this transposed convolution needs about 5")


def test_ops_pooling_prices_its_padded_input(client: TestClient) -> None:
    # Toy tensors cannot reach the default budget through a pool; a small budget shows the check.
    use(Settings(max_request_bytes=REQUEST_BYTES + 2**20))
    body = {"x": np.zeros((64, 16, 16)).tolist(), "kernel_size": 16, "padding": 8}
    response = client.post("/api/v1/ops/max_pool2d", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("this max pooling needs about ")
    assert response.json()["detail"].endswith("use a smaller input, fewer channels, less padding or a larger stride")


def test_the_residual_experiment_prices_its_weights(client: TestClient) -> None:
    # One block's weights are held at a time (5 MiB in float32 at the largest width, 21 MiB with the
    # request's own overhead): a small budget shows the check.
    use(Settings(max_request_bytes=8 * 2**20))
    params = {"depth": 50, "width": 128, "samples": 2, "networks": 64}
    response = client.get("/api/v1/experiments/residual", params=params)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "this experiment needs about 21 MiB of memory, more than the limit of 8 MiB: "
        "reduce networks, width or depth",
        "code": "invalid_value",
        "params": {},
    }


def test_models_and_shapes_are_priced_with_the_same_budget(client: TestClient) -> None:
    use(Settings(max_request_bytes=REQUEST_BYTES + 1024))
    model = client.post("/api/v1/models/summary", files={"file": ("m.onnx", b"\x08\x07" * 64)})
    assert model.status_code == 422
    assert model.json()["detail"].startswith("this model needs about ")
    assert model.json()["detail"].endswith("export it with export_params=False or send a smaller model")
    layers = [{"type": "relu"}]
    shapes = client.post("/api/v1/shapes", json={"layers": layers, "input": {"channels": 1, "height": 8, "width": 8}})
    assert shapes.status_code == 422
    assert (
        shapes.json()["detail"]
        == "this stack needs about 16 MiB of memory, more than the limit of 16 MiB: send fewer layers"
    )
    builtin = client.get("/api/v1/models/builtin/alexnet")
    assert builtin.status_code == 422
    assert builtin.json()["detail"].startswith("the table of alexnet needs about ")


def test_a_full_process_answers_503_with_retry_after_and_health_still_answers(client: TestClient) -> None:
    settings = Settings(memory_budget_bytes=REQUEST_BYTES + 2**20, admission_wait_s=0.05, retry_after_s=3)
    use(settings)
    gate = gate_for(settings.memory_budget_bytes, settings.max_running)
    assert gate.acquire(gate.capacity, 0)
    try:
        response = client.post("/api/v1/images/feature-maps", data={"sample": "house", "layers": '[{"type": "relu"}]'})
        assert response.status_code == 503
        assert response.headers["retry-after"] == "3"
        assert response.json() == {"detail": "the server is busy with other requests; try again in 3 s"}
        assert client.get("/api/v1/ops/global_avg_pool2d").status_code == 405
        assert client.get("/api/v1/health").status_code == 200
    finally:
        gate.release(gate.capacity)
    assert gate.used == 0
    assert (
        client.post("/api/v1/images/feature-maps", data={"sample": "house", "layers": '[{"type": "relu"}]'}).status_code
        == 200
    )
