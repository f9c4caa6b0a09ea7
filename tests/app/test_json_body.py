"""app.json_body: small bodies validated on the loop, larger ones in the thread pool, with the same answers."""

import json

import pytest
from fastapi.testclient import TestClient

from app.json_body import INLINE_BODY_BYTES
from app.main import app

client = TestClient(app)
URL = "/api/v1/shapes"


def _body(layers: int, bad_kernel: bool) -> bytes:
    """``layers`` named convolutions; the last one's kernel size 0 when ``bad_kernel``."""
    conv = {"type": "conv2d", "name": "n" * 60, "out_channels": 1, "kernel_size": 1}
    stack = [conv] * (layers - 1) + [{**conv, "kernel_size": 0 if bad_kernel else 1}]
    return json.dumps({"input": {"channels": 1, "height": 8, "width": 8}, "layers": stack}).encode()


@pytest.mark.parametrize("layers", [10, 400])
def test_small_and_large_bodies_validate_alike(layers: int) -> None:
    good, bad = _body(layers, False), _body(layers, True)
    assert (len(good) <= INLINE_BODY_BYTES) == (layers == 10)
    response = client.post(URL, content=good, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert len(response.json()["layers"]) == layers
    response = client.post(URL, content=bad, headers={"content-type": "application/json"})
    assert response.status_code == 422
    errors = response.json()["detail"]
    # the kernel size is an int or a pair: pydantic says what is wrong with each form
    assert {tuple(e["loc"][:5]) for e in errors} == {("body", "layers", layers - 1, "conv2d", "kernel_size")}
    assert "greater_than_equal" in {e["type"] for e in errors}
