"""Fuzz of the image lab's ``layers`` form field, JSON that the OpenAPI schema does not describe.

Any text, any JSON, and layer lists built from the real field names with wrong, odd or out-of-range values
go to both image endpoints with a tiny uploaded image. The answer is never a 5xx, and an error always
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
from convcore.layers import LAYER_TYPES
from convcore.network import IMAGE_FIELDS

client = TestClient(app, raise_server_exceptions=False)
ENDPOINTS = ("/api/v1/images/feature-maps", "/api/v1/images/receptive-field")
FIELDS = sorted(
    {"out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode",
     "output_padding", "ceil_mode", "count_include_pad", "eps", "momentum", "affine", "p", "out_features",
     "name"} | set().union(*IMAGE_FIELDS.values())
)  # fmt: skip


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
layer = st.fixed_dictionaries(
    {"type": st.sampled_from([*LAYER_TYPES, "conv3d"]) | values},
    optional={field: values for field in FIELDS},
)
layer_lists = st.lists(layer | values, min_size=0, max_size=5).map(json.dumps)
layer_text = layer_lists | st.text(max_size=60) | values.map(json.dumps)


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
