"""Fuzz of the image lab's ``layers`` form field, JSON that the OpenAPI schema does not describe.

Any text, any JSON, and (mostly) layer lists of the image lab's types, each with any subset of its own
fields holding plausible, wrong, odd or out-of-range values, go to both image endpoints with a tiny image.
The answer is never a 5xx, and an error always
carries a message. Valid sizes stay small (at most 40) so that an example that does run costs milliseconds:
what large valid sizes cost is the cost model's concern, tested with it; sizes past the bounds (up to
2**70, and negative) are generated here.
"""

import io
import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from app.main import app
from convcore.networks.layers import Layer
from convcore.networks.network import IMAGE_FIELDS, SUPPORTED_TYPES

client = TestClient(app, raise_server_exceptions=False)
ENDPOINTS = ("/api/v1/images/feature-maps", "/api/v1/images/receptive-field")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 5), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 40),
    st.integers(2**31, 2**70),
    st.integers(-(2**70), -4),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["same", "valid", "zeros", "reflect", "circular", "sobel_x", "blur"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
small = st.integers(0, 6)
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "bias": st.booleans(),
    "ceil_mode": st.booleans(),
    "count_include_pad": st.booleans(),
    "affine": st.booleans(),
    "training": st.booleans(),
    "eps": st.floats(1e-6, 1),
    "momentum": st.floats(0, 1),
    "p": st.floats(0, 1),
    "padding_mode": st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    "padding": small | st.just("same"),
    "kernels": st.just("sobel_x")
    | st.lists(st.lists(st.floats(-2, 2), min_size=3, max_size=3), min_size=3, max_size=3),
    "name": st.text(max_size=8),
}
REQUIRED = {"conv2d": ("out_channels", "kernel_size"), "max_pool2d": ("kernel_size",), "avg_pool2d": ("kernel_size",)}


def field_value(field: str) -> st.SearchStrategy[Any]:
    """Three plausible values for every odd one, so that most layers get far enough to be built and run."""
    plausible = PLAUSIBLE.get(field, small.filter(bool) | st.tuples(small, small).map(list))
    return st.one_of(plausible, plausible, plausible, values)


def typed_layer(layer_type: str) -> st.SearchStrategy[dict[str, Any]]:
    """A layer of ``layer_type`` with its required fields and any subset of its other ones."""
    fields = (set(Layer(type=layer_type).to_dict()) | IMAGE_FIELDS.get(layer_type, frozenset())) - {"type"}
    required = REQUIRED.get(layer_type, ())
    optional = {field: field_value(field) for field in sorted(fields - set(required))}
    return st.fixed_dictionaries(
        {"type": st.just(layer_type), **{field: field_value(field) for field in required}}, optional=optional
    )


layer = st.one_of(*map(typed_layer, SUPPORTED_TYPES), st.fixed_dictionaries({"type": values}))
layer_lists = st.lists(layer, min_size=0, max_size=5).map(json.dumps)
layer_text = st.one_of(layer_lists, layer_lists, layer_lists, st.text(max_size=60), values.map(json.dumps))


def assert_answered(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        detail = response.json()["detail"]
        assert isinstance(detail, str | list) and detail, response.text
        assert len(response.text) < 4000


@given(layers=layer_text, endpoint=st.sampled_from(ENDPOINTS), position=st.tuples(*[st.integers(0, 12)] * 3))
def test_any_layers_text_answers_without_a_server_error(layers: str, endpoint: str, position: tuple[int, ...]) -> None:
    form = {"layers": layers, "layer_index": str(position[0]), "row": str(position[1]), "col": str(position[2])}
    response = client.post(endpoint, data=form, files={"file": ("a.png", PNG, "image/png")})
    assert_answered(response)
