"""/api/v1/experiments/{why-conv, permutation, equivariance, equivariance/summary}: bodies equal convcore's,
every count equals torch's, bad input answers 422 naming what to change, and the OpenAPI schema lists them."""

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from torch import nn

from app.image_source import sample_image
from app.main import app
from convcore.operations import dense
from convcore.operations import equivariance as eq

client = TestClient(app)
URL = "/api/v1/experiments"
HOUSE_PIXELS = sample_image("house", "gray", 256 * 256).pixels[0].size


def test_why_conv_body() -> None:
    response = client.get(f"{URL}/why-conv", params={"channels": 3, "height": 32, "width": 32, "out_channels": 8})
    assert response.status_code == 200
    body = response.json()
    linear = nn.Linear(3 * 32 * 32, 8 * 32 * 32)
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert body["layers"]["dense"] == {
        "module": "nn.Linear(3072, 8192)",
        "params": sum(p.numel() for p in linear.parameters()),
        "macs": 3072 * 8192,
        "params_formula": "(3·32·32)·(8·32·32) + 8192 = 25174016",
        "macs_formula": "(3·32·32)·(8·32·32) = 25165824",
    }
    assert body["layers"]["conv"]["params"] == sum(p.numel() for p in conv.parameters()) == 224
    assert body["layers"]["conv"]["module"] == "nn.Conv2d(3, 8, kernel_size=3, padding=1)"
    assert body["layers"]["locally_connected"]["params"] == 32 * 32 * (8 * 3 * 9 + 8)
    assert body["locality_saving"] == pytest.approx(25174016 / (32 * 32 * 224))
    assert body["sharing_saving"] == pytest.approx(32 * 32 * 224 / 224)
    assert body["sweep"]["sides"] == [8, 16, 32, 64, 128, 224, 256, 512, 1024]
    assert body["sweep"]["conv"] == [224] * 9
    assert body["sweep"]["dense"][2] == 25174016


def test_why_conv_largest_counts_stay_exact_in_javascript() -> None:
    body = client.get(
        f"{URL}/why-conv", params={"channels": 64, "height": 1024, "width": 1024, "out_channels": 64, "kernel_size": 15}
    ).json()
    assert body["layers"]["dense"]["params"] == dense.dense_cost(64, 1024, 1024, 64).params
    assert max(body["layers"]["dense"]["params"], body["layers"]["dense"]["macs"]) < 2**53


@pytest.mark.parametrize(
    ("params", "field"), [({"kernel_size": 4}, "kernel_size must be odd"), ({"height": 2048}, "height")]
)
def test_why_conv_bad_input(params: dict[str, int], field: str) -> None:
    response = client.get(f"{URL}/why-conv", params=params)
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


def test_why_conv_even_kernel_has_a_code_the_page_translates() -> None:
    body = client.get(f"{URL}/why-conv", params={"kernel_size": 4}).json()
    assert (body["code"], body["params"]) == ("not_odd", {"field": "kernel_size", "value": 4})


def test_permutation_body_equals_convcore() -> None:
    response = client.post(f"{URL}/permutation", data={"sample": "house", "side": 24, "units": 10, "seed": 2})
    assert response.status_code == 200
    body = response.json()
    pixels = sample_image("house", "gray", 24 * 24).pixels.astype(np.float64)[0]
    from convcore.operations.kernels import get_kernel

    result = dense.permutation_experiment(pixels, get_kernel("sobel_x").weights, units=10, seed=2)
    assert (body["height"], body["width"]) == pixels.shape
    np.testing.assert_allclose(body["dense"], result.dense, rtol=1e-12)
    np.testing.assert_allclose(body["dense_scrambled"], result.dense_scrambled, rtol=1e-12)
    assert body["dense_max_difference"] == result.dense_max_difference < 1e-12
    assert body["conv_relative_difference"] == result.conv_relative_difference > 0.5
    assert set(body["images"]) == {"image", "scrambled", "conv", "conv_scrambled", "conv_unscrambled"}
    assert all(url.startswith("data:image/png;base64,") for url in body["images"].values())


def test_permutation_bad_kernel_and_upload() -> None:
    response = client.post(f"{URL}/permutation", data={"sample": "house", "kernel": "nope"})
    assert response.status_code == 422
    assert "nope" in response.json()["detail"]
    response = client.post(f"{URL}/permutation", files={"file": ("x.png", b"not an image", "image/png")})
    assert response.status_code == 415


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_equivariance_stride_1_exact_and_stride_2_aliased() -> None:
    data = {"sample": "landscape", "dy": 0, "dx": 1, "layers": 3, "channels": 4, "seed": 0}
    body = client.post(f"{URL}/equivariance", data=data).json()
    assert body["input"] == {"height": 256, "width": 256}
    assert body["output_shift"] == [0, 1]
    assert body["exact_shift"] is True
    assert body["max_error_inside"] == 0.0
    assert body["max_error_outside"] > 0
    assert body["region"] == {"top": 3, "left": 4, "bottom": 252, "right": 252}
    strided = client.post(f"{URL}/equivariance", data={**data, "stride": 2}).json()
    assert strided["output"] == {"height": 128, "width": 128}
    assert strided["exact_shift"] is False
    assert strided["max_error_inside"] > 0


def test_equivariance_body_equals_convcore_for_an_upload() -> None:
    rng = np.random.default_rng(0)
    upload = (rng.random((40, 48)) * 255).astype(np.uint8)
    data = {"dy": -2, "dx": 3, "layers": 2, "channels": 3, "kernel_size": 5, "stride": 2, "blur": 3, "channel": 2}
    response = client.post(f"{URL}/equivariance", data=data, files={"file": ("a.png", png_bytes(upload), "image/png")})
    assert response.status_code == 200
    body = response.json()
    net = eq.make_net(layers=2, channels=3, kernel_size=5, stride=2, blur=3, seed=0)
    comparison, output_shift = eq.compare_shift(net, upload[None].astype(np.float64) / 255.0, -2, 3)
    assert body["source"] == "upload"
    assert body["output_shift"] == list(output_shift)
    assert output_shift[0] == -1 and output_shift[1] in (1, 2)  # 3 / 2 has no integer answer: the nearer of 1, 2
    assert body["max_error_inside"] == pytest.approx(comparison.max_error_inside, rel=1e-6)
    assert body["relative_error"] == pytest.approx(comparison.relative_error, rel=1e-6)
    assert set(body["maps"]) == {"input", "original", "shifted", "expected", "difference"}


def test_equivariance_sends_the_unchanging_maps_only_when_asked() -> None:
    data = {"sample": "house", "dy": 0, "dx": 2, "layers": 2, "channels": 3, "channel": 1}
    first = client.post(f"{URL}/equivariance", data=data).json()
    moved = client.post(f"{URL}/equivariance", data={**data, "dx": 5, "still": "false"}).json()
    again = client.post(f"{URL}/equivariance", data={**data, "dx": 5}).json()
    assert set(moved["maps"]) == {"shifted", "expected", "difference"}
    assert moved["maps"]["shifted"] != first["maps"]["shifted"]
    # x and net(x) do not depend on the shift: the same PNGs, on the same colour scale, for every dx
    assert again["maps"]["original"] == first["maps"]["original"]
    assert again["maps"]["input"] == first["maps"]["input"]
    pixels = sample_image("house", "gray", 256 * 256).pixels.astype(np.float64)
    net = eq.make_net(layers=2, channels=3, kernel_size=3, stride=1, blur=1, seed=0)
    assert first["scale"] == moved["scale"] == pytest.approx(np.abs(eq.run(net, pixels)[-1][1]).max(), rel=1e-12)


@pytest.mark.parametrize(
    ("data", "message", "code", "params"),
    [
        (
            {"channel": 4, "channels": 4},
            "channel must be below channels",
            "too_large",
            {"field": "channel", "maximum": 3, "value": 4},
        ),
        (
            {"blur": 2},
            "blur must be one of 1, 3, 5",
            "not_one_of_value",
            {"field": "blur", "choices": [1, 3, 5], "value": 2},
        ),
        ({"kernel_size": 4}, "kernel_size must be odd", "not_odd", {"field": "kernel_size", "value": 4}),
        (
            {"layers": 3, "channels": 8, "kernel_size": 7},
            "multiply-adds",
            "experiment_too_large",
            # two runs of 3 layers of 8 filters 7×7 on the house sample's pixels (no blur)
            {"millions": round(2 * HOUSE_PIXELS * (8 * 49 + 2 * 64 * 49 + 8) / 1e6), "runs": 2, "limit": 600},
        ),
    ],
)
def test_equivariance_bad_input(data: dict[str, int], message: str, code: str, params: dict[str, object]) -> None:
    response = client.post(f"{URL}/equivariance", data={"sample": "house", **data})
    assert response.status_code == 422
    body = response.json()
    assert message in body["detail"]
    assert (body["code"], body["params"]) == (code, params)


def test_equivariance_out_of_schema_shift_is_a_schema_error() -> None:
    response = client.post(f"{URL}/equivariance", data={"sample": "house", "dx": 33})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "dx"


def test_summary_measures_alias_pooling_and_transforms() -> None:
    response = client.post(f"{URL}/equivariance/summary", data={"sample": "house", "stride": 2, "layers": 2})
    assert response.status_code == 200
    body = response.json()
    alias = body["alias"]
    assert alias["shifts"] == [0, 1, 2, 3, 4]
    no_blur, blur = alias["relative_error"]["1"], alias["relative_error"]["3"]
    assert no_blur[0] == no_blur[2] == no_blur[4] == 0.0
    assert no_blur[1] > blur[1] > 0
    pooling = body["pooling"]["unchanged"]
    assert pooling["1"][0] == pooling["2"][0] == pooling["4"][0] == 1.0
    assert pooling["4"][1] > pooling["1"][1]
    for name in ("rot90", "rot180", "flip", "scale2"):
        assert body["transforms"][name]["relative_error"] > 0.01
    assert body["stride1_shift1"]["max_error_inside"] == 0.0


def test_openapi_documents_the_experiments() -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("why-conv", "permutation", "equivariance", "equivariance/summary"):
        assert f"/api/v1/experiments/{path}" in paths
    query = {p["name"]: p["schema"] for p in paths["/api/v1/experiments/why-conv"]["get"]["parameters"]}
    assert query["height"]["maximum"] == 1024
