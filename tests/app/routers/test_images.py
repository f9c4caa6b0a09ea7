"""The image endpoints: status and body, the guards on uploads, and agreement with convcore."""

import io
import json
import math
import struct
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.image_source import SAMPLE_DIR, SAMPLES
from app.limits import page_limits
from app.main import app
from app.settings import Settings, get_settings
from convcore.networks.layers import Shape, parse_layers
from convcore.networks.stack import region

EDGES = [
    {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1, "kernels": ["sobel_x", "sobel_y"]},
    {"type": "relu"},
    {"type": "max_pool2d", "kernel_size": 2},
]


@pytest.fixture
def client() -> Iterator[TestClient]:
    yield TestClient(app)
    app.dependency_overrides.clear()


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def header_only_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def post_maps(client: TestClient, layers: list, **fields: object) -> object:
    files = fields.pop("files", None)
    data = {"layers": json.dumps(layers), **{k: str(v) for k, v in fields.items()}}
    return client.post("/api/v1/images/feature-maps", data=data, files=files)


def all_finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(all_finite(v) for v in value)
    return True


def test_samples_are_listed_with_their_real_sizes(client: TestClient) -> None:
    response = client.get("/api/v1/images/samples")
    assert response.status_code == 200
    body = response.json()
    assert [s["name"] for s in body["samples"]] == list(SAMPLES)
    house = body["samples"][0]
    assert house == {"name": "house", "title_ru": "Домик", "title_en": "House", "width": 384, "height": 288,
                     "url": "/static/samples/house.png"}  # fmt: skip
    for sample in body["samples"]:
        with Image.open(SAMPLE_DIR / f"{sample['name']}.png") as image:
            assert image.size == (sample["width"], sample["height"])
        assert client.get(sample["url"]).status_code == 200
    assert any(s["width"] == s["height"] == 512 for s in body["samples"])


def test_feature_maps_of_a_sample(client: TestClient) -> None:
    response = post_maps(client, EDGES, sample="house", color="rgb")
    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body["input"].items() if k != "image"} == {
        "channels": 3, "height": 288, "width": 384, "original": {"height": 288, "width": 384},
        "scaled": False, "source": "sample:house", "note": None,
    }  # fmt: skip
    assert body["input"]["image"].startswith("data:image/png;base64,")
    assert [(layer["type"], layer["output"]) for layer in body["layers"]] == [
        ("conv2d", {"channels": 2, "height": 288, "width": 384}),
        ("relu", {"channels": 2, "height": 288, "width": 384}),
        ("max_pool2d", {"channels": 2, "height": 144, "width": 192}),
    ]
    assert [layer["receptive_field"] for layer in body["layers"]] == [
        {"size": [3, 3], "stride": [1, 1], "padding": [1, 1], "global": [False, False]},
        {"size": [3, 3], "stride": [1, 1], "padding": [1, 1], "global": [False, False]},
        {"size": [4, 4], "stride": [2, 2], "padding": [1, 1], "global": [False, False]},
    ]
    conv, relu, _ = body["layers"]
    assert conv["scale"]["min"] == -conv["scale"]["max"] < 0 < conv["max"]
    assert relu["min"] == 0.0 and relu["scale"]["max"] == conv["max"]
    for layer in body["layers"]:
        assert len(layer["maps"]) == layer["output"]["channels"]
        for c, item in enumerate(layer["maps"]):
            assert item["channel"] == c and item["image"].startswith("data:image/png;base64,")
            assert item["min"] <= item["mean"] <= item["max"]
    assert body["warnings"] == []
    assert all_finite(body)


def test_a_layers_scale_is_its_largest_magnitude_and_zero_for_an_all_zero_layer(client: TestClient) -> None:
    negative = [[-1.0] * 3] * 3
    stack = [{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1, "kernels": [negative, "identity"]},
             {"type": "conv2d", "out_channels": 1, "kernel_size": 1, "kernels": [[[0.0]]]}]  # fmt: skip
    conv, zero = post_maps(client, stack, sample="house").json()["layers"]
    assert conv["min"] == min(m["min"] for m in conv["maps"]) == conv["maps"][0]["min"] < -1
    assert conv["max"] == max(m["max"] for m in conv["maps"]) <= 1
    assert conv["scale"] == {"min": conv["min"], "max": -conv["min"]}
    assert zero["min"] == zero["max"] == zero["mean"] == 0.0
    # +0 (as |values|.max() gives it), so the page shows "0" and never "−0"
    assert zero["scale"] == {"min": 0.0, "max": 0.0} and math.copysign(1.0, zero["scale"]["max"]) == 1.0


def test_global_average_pooling_gives_the_same_vector_length_for_two_sizes(client: TestClient) -> None:
    stack = [*EDGES, {"type": "global_avg_pool2d"}]
    small = post_maps(client, stack, sample="checkerboard").json()["layers"][-1]
    large = post_maps(client, stack, sample="house").json()["layers"][-1]
    assert small["output"] == large["output"] == {"channels": 2, "height": 1, "width": 1}
    assert [m["value"] for m in small["maps"]] == pytest.approx([m["mean"] for m in small["maps"]])
    assert len(small["maps"]) == len(large["maps"])


@pytest.mark.parametrize(("name", "content_type"), [("photo.txt", "text/plain"), ("x.gif", "image/gif")])
def test_upload_type_is_judged_by_content_not_name_or_header(client: TestClient, name: str, content_type: str) -> None:
    response = post_maps(client, EDGES, files={"file": (name, png(20, 10), content_type)})
    assert response.status_code == 200
    assert response.json()["input"]["source"] == "upload"
    assert response.json()["layers"][0]["output"] == {"channels": 2, "height": 10, "width": 20}


def test_a_file_that_is_not_an_image_is_415(client: TestClient) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    response = post_maps(client, EDGES, files={"file": ("photo.png", gif.getvalue(), "image/png")})
    assert response.status_code == 415
    assert response.json() == {
        "detail": "the file is not a PNG, JPEG or WebP image (judged by its content, not its name)",
        "code": "not_an_image",
        "params": {},
    }


def test_an_upload_over_the_limit_is_413(client: TestClient) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(max_upload_bytes=1024)
    big = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, format="PNG")
    response = post_maps(client, EDGES, files={"file": ("big.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 413
    size = len(buffer.getvalue()) / 1024
    assert response.json() == {
        "detail": f"the file is {size:.1f} KiB; the limit is 1.0 KiB — save it smaller",
        "code": "upload_too_large",
        "params": {"bytes": len(buffer.getvalue()), "limit": 1024},
    }


@pytest.mark.parametrize(("width", "height"), [(5000, 5000), (200_000, 200_000)])
def test_huge_dimensions_and_bombs_are_422(client: TestClient, width: int, height: int) -> None:
    response = post_maps(client, EDGES, files={"file": ("bomb.png", header_only_png(width, height), "image/png")})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("the image is larger than the limit of 16.8 megapixels")


def test_a_truncated_file_is_422(client: TestClient) -> None:
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8))
    buffer = io.BytesIO()
    noisy.save(buffer, format="JPEG")
    data = buffer.getvalue()
    response = post_maps(client, EDGES, files={"file": ("cut.jpg", data[: len(data) // 2], "image/jpeg")})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("the JPEG file is truncated or corrupt and cannot be decoded")


def test_a_large_photo_is_scaled_down_with_a_note(client: TestClient) -> None:
    response = post_maps(client, EDGES, files={"file": ("wide.png", png(1600, 900), "image/png")})
    assert response.status_code == 200
    info = response.json()["input"]
    assert (info["height"], info["width"]) == (384, 682)
    assert info["scaled"] and info["original"] == {"height": 900, "width": 1600}
    assert info["note"] == {
        "code": "scaled",
        "message": "the photo was 1600×900 and has been scaled down to 682×384 to bound the work",
    }


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"sample": "nope"}, "sample must be one of house, checkerboard, circle, text, landscape, got 'nope'"),
        ({}, "send an image: file (an uploaded PNG, JPEG or WebP) or sample (a built-in sample name)"),
        ({"sample": "house", "layers": "[{]"}, "layers must be a JSON list of layer objects: "),
        ({"sample": "house", "layers": "{}"}, "layers must be a non-empty JSON list of layer objects"),
        ({"sample": "house", "layers": json.dumps([{"type": "relu"}] * 13)}, "the image lab runs at most 12 layers"),
        ({"sample": "house", "layers": json.dumps([{"type": "conv2d", "out_channels": 17, "kernel_size": 1}])},
         "layer 0 (conv2d): at most 16 channels in the image lab, got 17"),
        ({"sample": "house", "layers": json.dumps([{"type": "conv2d", "out_channels": 1, "kernel_size": 400}])},
         "layer 0 (conv2d), height 288"),
        ({"sample": "landscape", "layers": json.dumps([{"type": "conv2d", "out_channels": 16, "kernel_size": 31,
                                                         "padding": 15}] * 2)}, "billion operations"),
        ({"sample": "house", "layers": json.dumps([{"type": "conv2d", "out_channels": 1, "kernel_size": 1,
                                                     "kernels": [[[1e300]]]}])}, "must lie between -1e6 and 1e6"),
        ({"sample": "house", "layers": json.dumps([{"type": "conv2d", "out_channels": 1, "kernel_size": 1,
                                                     "kernels": [[[1e6]]]}] * 8)}, "overflows float32"),
    ],
)  # fmt: skip
def test_bad_requests_are_422_with_a_message(client: TestClient, fields: dict, detail: str) -> None:
    data = {"layers": json.dumps(EDGES), **fields}
    response = client.post("/api/v1/images/feature-maps", data=data)
    assert response.status_code == 422
    assert detail in response.json()["detail"]


def test_form_bounds_are_422(client: TestClient) -> None:
    response = post_maps(client, EDGES, sample="house", color="purple")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "color"]


def test_receptive_field_box_matches_convcore_and_the_erf_lies_inside(client: TestClient) -> None:
    data = {"layers": json.dumps(EDGES), "sample": "checkerboard", "layer_index": "2", "row": "0", "col": "16"}
    response = client.post("/api/v1/images/receptive-field", data=data)
    assert response.status_code == 200
    body = response.json()
    expected = region(parse_layers([{k: v for k, v in layer.items() if k != "kernels"} for layer in EDGES]),
                      Shape(1, 256, 256), (0, 16), 2)  # fmt: skip
    (top, bottom), (left, right) = expected.unclipped
    assert body["unclipped"] == {"top": -1, "left": 31, "bottom": 2, "right": 34}
    assert (top, left, bottom, right) == (-1, 31, 2, 34)
    assert body["clipped"] == {"top": 0, "left": 31, "bottom": 2, "right": 34}
    assert body["center"] == [0.5, 32.5]
    assert body["receptive_field"] == {"size": [4, 4], "stride": [2, 2], "padding": [1, 1], "global": [False, False]}
    assert body["layer_index"] == 2 and body["position"] == [0, 16] and body["channel"] == 0
    erf = body["erf"]
    assert erf["image"].startswith("data:image/png;base64,") and erf["peak"] > 0
    support = erf["support"]
    assert 0 <= support["top"] <= support["bottom"] <= 2 and 31 <= support["left"] <= support["right"] <= 34


def test_single_conv_erf_support_is_the_box_through_the_api(client: TestClient) -> None:
    layers = [{"type": "conv2d", "out_channels": 1, "kernel_size": 5, "padding": 2, "kernels": "gaussian_blur_5"}]
    data = {"layers": json.dumps(layers), "sample": "circle", "layer_index": "0", "row": "255", "col": "100"}
    body = client.post("/api/v1/images/receptive-field", data=data).json()
    assert body["unclipped"] == {"top": 253, "left": 98, "bottom": 257, "right": 102}
    assert body["erf"]["support"] == body["clipped"] == {"top": 253, "left": 98, "bottom": 255, "right": 102}


def test_erf_can_be_left_out(client: TestClient) -> None:
    data = {"layers": json.dumps(EDGES), "sample": "house", "layer_index": "0", "row": "0", "col": "0", "erf": "false"}
    body = client.post("/api/v1/images/receptive-field", data=data).json()
    assert body["erf"] is None and body["clipped"] == {"top": 0, "left": 0, "bottom": 1, "right": 1}


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"layer_index": "3", "row": "0", "col": "0"}, "layer_index must be between 0 and 2, got 3"),
        ({"layer_index": "2", "row": "144", "col": "0"}, "output height index must be between 0 and 143, got 144"),
        ({"layer_index": "0", "row": "0", "col": "0", "channel": "2"}, "channel must be between 0 and 1"),
    ],
)
def test_receptive_field_of_a_unit_that_does_not_exist_is_422(client: TestClient, fields: dict, detail: str) -> None:
    data = {"layers": json.dumps(EDGES), "sample": "house", **fields}
    response = client.post("/api/v1/images/receptive-field", data=data)
    assert response.status_code == 422
    assert detail in response.json()["detail"]


def test_warnings_carry_code_axis_and_count(client: TestClient) -> None:
    stack = [{"type": "max_pool2d", "kernel_size": 2}]
    response = post_maps(client, stack, files={"file": ("odd.png", png(5, 4), "image/png")})
    assert response.status_code == 200
    assert response.json()["warnings"] == [
        {"code": "unread", "layer": 0, "axis": "width", "count": 1,
         "message": "layer 0 (max_pool2d): the floor in the output-size formula leaves the last 1 input column(s) "
                    "unread along the width; add padding or change the stride"},
    ]  # fmt: skip


def test_the_image_labs_editor_stays_within_the_servers_channel_bound(client: TestClient) -> None:
    # The server's Settings.max_image_channels is the one bound; the page's editor offers fewer kernels per layer.
    page_limit = page_limits("image", Settings())["channels"]["max"]
    server_limit = Settings().max_image_channels
    assert page_limit <= server_limit
    layers = json.dumps([{"type": "conv2d", "out_channels": server_limit + 1, "kernel_size": 3}])
    response = client.post("/api/v1/images/feature-maps", data={"sample": "circle", "layers": layers})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"layer 0 (conv2d): at most {server_limit} channels in the image lab, got {server_limit + 1}: "
        "lower out_channels"
    )


def test_an_unknown_sample_is_a_coded_422_listing_the_samples(client: TestClient) -> None:
    response = client.post("/api/v1/images/feature-maps", data={"sample": "nope", "layers": '[{"type": "relu"}]'})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "sample must be one of house, checkerboard, circle, text, landscape, got 'nope'",
        "code": "not_one_of_value",
        "params": {
            "field": "sample",
            "choices": ["house", "checkerboard", "circle", "text", "landscape"],
            "value": "nope",
        },
    }
