"""Hostile input, route by route: every case answers a 4xx naming the field and what to change, never a 500.

The cases of issue 11 (items 4–6) and their neighbours: integers past 2**53 − 1 in an answer, unhashable and
64-bit values in the image lab's layer JSON, NaN and ±Infinity in scalar fields, 422s that would echo a
large body back, bodies over an endpoint's own limit, the slash redirect and object addresses in messages.
"""

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.encoding import MAX_EXACT
from app.errors import MAX_ERRORS
from app.main import app
from app.middleware import body_too_large_message

EXACT = f"more than 2**53 − 1 = {MAX_EXACT:,}, the largest integer a browser shows exactly"
HUGE_INPUT = {"channels": 100_000, "height": 100_000, "width": 100_000}


def pools(count: int) -> list[dict[str, Any]]:
    return [{"type": "max_pool2d", "kernel_size": 1, "stride": 4096}] * count


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def post_text(client: TestClient, path: str, text: str) -> Any:
    return client.post(path, content=text, headers={"content-type": "application/json"})


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buffer, format="PNG")
    return buffer.getvalue()


# --- /shapes and /receptive-field/region: counts past 2**53 − 1 -------------------------------------------


def test_shapes_parameters_past_2_53_name_the_layer(client: TestClient) -> None:
    body = {"input": HUGE_INPUT, "layers": [{"type": "linear", "out_features": 100_000}]}
    response = client.post("/api/v1/shapes", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"layer 0 (linear): params would be 100,000,000,000,000,100,000, {EXACT}: use fewer channels or "
        "features, or a smaller input before a linear layer"
    )


def test_parameters_of_exactly_2_53_are_refused_and_one_row_less_passes(client: TestClient) -> None:
    # 32768×65536×65536 = 2**47 features into a linear layer without bias: 2**47 · f parameters.
    shape = {"channels": 2**15, "height": 2**16, "width": 2**16}
    under = {"input": shape, "layers": [{"type": "linear", "out_features": 63, "bias": False}]}
    assert client.post("/api/v1/shapes", json=under).json()["total_params"] == 63 * 2**47
    over = {"input": shape, "layers": [{"type": "linear", "out_features": 64, "bias": False}]}
    response = client.post("/api/v1/shapes", json=over)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"layer 0 (linear): params would be {2**53:,}, {EXACT}")


def test_six_strided_pools_without_input_name_the_layer_and_field(client: TestClient) -> None:
    response = client.post("/api/v1/shapes", json={"layers": pools(6)})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"layer 4 (max_pool2d): receptive_field.stride[0] would be 1,152,921,504,606,846,976, {EXACT}: "
        "use fewer strided layers or smaller strides"
    )
    four = client.post("/api/v1/shapes", json={"layers": pools(4)})
    assert four.status_code == 200
    assert four.json()["layers"][-1]["receptive_field"]["stride"] == [2**48, 2**48]


def test_region_of_strided_pools_stops_growing_on_a_one_by_one_map(client: TestClient) -> None:
    # With an input size the graph engine follows the map: after two pools it is 1×1, a window there has no
    # position to move along, and S stays 4096² (without an input the formulas run on: the test above).
    body = {"input": {"channels": 1, "height": 100_000, "width": 100_000}, "layers": pools(6), "position": [0, 0]}
    response = client.post("/api/v1/receptive-field/region", json=body)
    assert response.status_code == 200
    assert response.json()["receptive_field"]["stride"] == [4096**2, 4096**2]
    assert response.json()["unclipped"] == {"top": 0, "left": 0, "bottom": 0, "right": 0}


def test_boolean_channels_are_refused_not_taken_as_one(client: TestClient) -> None:
    body = {"input": {"channels": True, "height": 5, "width": 5}, "layers": [{"type": "relu"}]}
    response = client.post("/api/v1/shapes", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "input", "channels"],
            "msg": "Input should be a valid integer",
            "type": "int_type",
            "input": True,
        }
    ]


# --- NaN and ±Infinity in scalar fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "loc"),
    [
        ("/api/v1/ops/batch_norm2d", '{"x": [[[[1.0]]]], "momentum": NaN}', ["body", "momentum"]),
        ("/api/v1/ops/batch_norm2d", '{"x": [[[[1.0]]]], "eps": Infinity}', ["body", "eps"]),
        ("/api/v1/ops/dropout", '{"x": [1.0], "p": NaN}', ["body", "p"]),
        ("/api/v1/experiments/dropout", '{"x": [1.0], "p": -Infinity}', ["body", "p"]),
        ("/api/v1/ops/conv2d", '{"x": [[[NaN]]], "weight": [[[[1.0]]]]}', ["body", "x", 0, 0, 0]),
        (
            "/api/v1/shapes",
            '{"layers": [{"type": "batch_norm2d", "eps": NaN}]}',
            ["body", "layers", 0, "batch_norm2d", "eps"],
        ),
        ("/api/v1/shapes", '{"layers": [{"type": "dropout", "p": Infinity}]}', ["body", "layers", 0, "dropout", "p"]),
    ],
)
def test_non_finite_numbers_name_the_field(client: TestClient, path: str, text: str, loc: list[Any]) -> None:
    response = post_text(client, path, text)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": loc, "msg": "Input should be a finite number", "type": "finite_number"}
    ]


def test_non_finite_input_size_names_the_field(client: TestClient) -> None:
    text = '{"input": {"channels": 1, "height": NaN, "width": 4}, "layers": [{"type": "relu"}]}'
    response = post_text(client, "/api/v1/shapes", text)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "input", "height"], "msg": "Input should be a valid integer", "type": "int_type"}
    ]
    query = client.get("/api/v1/output-size", params={"size": "nan", "kernel_size": 3})
    assert query.status_code == 422
    assert query.json()["detail"][0]["loc"] == ["query", "size"]


# --- 422s that never echo the request -------------------------------------------------------------------------


def test_a_body_of_bad_values_answers_a_short_list(client: TestClient) -> None:
    bad = ["x"] * 128
    response = client.post("/api/v1/ops/conv2d", json={"x": [[bad] * 128], "weight": [[[[1.0]]]]})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == MAX_ERRORS + 1
    assert detail[0] == {
        "loc": ["body", "x", 0, 0, 0],
        "msg": "Input should be a valid number",
        "type": "float_type",
        "input": "x",
    }
    assert detail[-1] == {
        "loc": ["body"],
        "msg": f"and {128 * 128 - MAX_ERRORS:,} more error(s) like these: fix the ones above first",
        "type": "more",
    }
    assert len(response.content) < 5000


def test_a_long_or_nested_input_is_not_echoed(client: TestClient) -> None:
    response = client.post("/api/v1/shapes", json={"layers": [{"type": "relu", "name": "n" * 60_000}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "layers", 0, "relu", "name"]
    assert "input" not in response.json()["detail"][0]
    assert len(response.content) < 1000
    nested = client.post("/api/v1/solve", json={"size": [[1, 2], [3]], "output_size": 2})
    assert nested.status_code == 422
    assert "input" not in nested.json()["detail"][0]


def test_invalid_json_names_the_position(client: TestClient) -> None:
    response = post_text(client, "/api/v1/solve", '{"size": 5, "output_size":')
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body"], "json_invalid")
    assert "EOF while parsing" in error["msg"]


# --- body limits per endpoint ---------------------------------------------------------------------------------


def test_a_body_over_the_endpoints_own_limit_is_413(client: TestClient) -> None:
    response = post_text(client, "/api/v1/solve", '{"size": 224, "output_size": 112' + " " * 8000 + "}")
    assert response.status_code == 413
    assert response.json() == {"detail": body_too_large_message(4342)}


# --- the image lab's layer JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            '[{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding_mode": ["x"]}]',
            "layer 0 (conv2d): padding_mode must be one of zeros, reflect, replicate, circular, got ['x']",
        ),
        (
            '[{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "stride": 9223372036854775808}]',
            "layer 0 (conv2d): stride must be between 1 and 4,096, got 9223372036854775808",
        ),
        (
            # orjson reads an integer past 64 bits as a float
            '[{"type": "conv2d", "out_channels": 1, "kernel_size": [3, 18446744073709551617]}]',
            "layer 0 (conv2d): kernel_size must be an integer or a pair [height, width] of integers, "
            "got [3, 1.8446744073709552e+19]",
        ),
        (
            '[{"type": ["relu"]}]',
            "layer 0: type must be one of conv2d, relu, max_pool2d, avg_pool2d, batch_norm2d, dropout, "
            "global_avg_pool2d here, got ['relu']",
        ),
        ('[{"type": "relu", "name": {"a": 1}}]', "layer 0 (relu): name must be a string"),
        ('[{"type": "dropout", "p": 1e400}]', "layers must be a JSON list of layer objects: "),
        ("[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "layer 0: expected an object with a type, got [[[...]]]"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/images/feature-maps", "/api/v1/images/receptive-field"])
def test_image_lab_layers_answer_422_naming_the_field(client: TestClient, path: str, layers: str, message: str) -> None:
    form = {"layers": layers, "layer_index": "0", "row": "0", "col": "0"}
    response = client.post(path, data=form, files={"file": ("a.png", small_png(), "image/png")})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(message)


def test_image_lab_receptive_field_stops_growing_on_a_one_by_one_map(client: TestClient) -> None:
    # The photo's map is 1×1 after the first pool: the engine composes no window there (see the region test),
    # so the strides stay within 2**53 instead of reaching 4096**5.
    form = {"layers": json.dumps(pools(5))}
    response = client.post(
        "/api/v1/images/feature-maps", data=form, files={"file": ("a.png", small_png(), "image/png")}
    )
    assert response.status_code == 200
    assert [row["receptive_field"]["stride"] for row in response.json()["layers"]] == [[4096, 4096]] * 5


def test_a_corrupt_image_shows_no_object_address(client: TestClient) -> None:
    data = small_png()[:8] + b"not a png chunk" * 4
    files = {"file": ("a.png", data, "image/png")}
    response = client.post("/api/v1/images/feature-maps", data={"layers": '[{"type": "relu"}]'}, files=files)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "the PNG file's header is truncated or corrupt and cannot be read",
        "code": "image_corrupt",
        "params": {"format": "PNG"},
    }


# --- ops: the naive loop ---------------------------------------------------------------------------------------


def test_a_naive_convolution_over_its_limit_is_refused_before_it_runs(client: TestClient) -> None:
    body = {"x": [[[0.5] * 40] * 40], "weight": [[[[1.0] * 3] * 3]] * 4, "method": "naive"}
    response = client.post("/api/v1/ops/conv2d", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "method naive runs one Python multiply-add at a time and is limited to 50,000 of them; this convolution "
        "needs 51,984: use a smaller input or kernel, or method im2col"
    )
    small = {**body, "x": [[[0.5] * 20] * 20]}
    assert client.post("/api/v1/ops/conv2d", json=small).status_code == 200


# --- redirects --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "location"), [("/image/", "/image"), ("/image/?lang=en", "/image?lang=en")])
def test_slash_redirect_is_relative_whatever_the_host(client: TestClient, path: str, location: str) -> None:
    response = client.get(path, headers={"host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == location
