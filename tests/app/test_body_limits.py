"""Per-endpoint body limits derived from the request schemas: the largest valid body fits, a larger one is a 413."""

import json
from typing import Annotated, Literal

import numpy as np
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import Field

from app.body_limits import SLACK_BYTES, VALUE_BYTES, Underivable, body_limit, max_json_bytes, route_body_limits
from app.main import app
from app.routers import API_ROUTERS
from app.schemas.common import Model
from app.settings import get_settings


class Small(Model):
    a: Annotated[int, Field(ge=0, le=999)]
    b: Literal["x", "yy"]
    c: Annotated[list[float], Field(max_length=3)]


class Unbounded(Model):
    text: str


def test_the_bound_adds_up_the_longest_text_of_every_field() -> None:
    assert max_json_bytes(Small, 100) == 2 + (1 + 4 + 3) + (1 + 4 + 4) + (1 + 4 + 3 * (VALUE_BYTES + 3))
    longest = {"a": 999, "b": "yy", "c": [-1.2345678901234567e-05] * 3}
    assert len(json.dumps(longest, separators=(",", ":"))) <= max_json_bytes(Small, 100)
    assert body_limit(Small, 100) == 2 * max_json_bytes(Small, 100) + SLACK_BYTES


def test_a_tensor_is_bounded_by_the_element_limit_not_its_axes() -> None:
    assert max_json_bytes(Small, 2) == max_json_bytes(Small, 100) - (VALUE_BYTES + 3)


def test_an_unbounded_field_has_no_derived_limit() -> None:
    with pytest.raises(Underivable, match="a string without max_length"):
        max_json_bytes(Unbounded, 100)
    router = APIRouter()

    @router.post("/free")
    def free(body: Unbounded) -> None:
        return None

    assert route_body_limits(router.routes, 100, 8 * 2**20) == {}


def test_every_json_endpoint_has_a_limit_below_the_global_one() -> None:
    settings = get_settings()
    limits = {}
    for router in API_ROUTERS:
        limits |= route_body_limits(router.routes, settings.max_tensor_elements, settings.max_body_bytes, "/api/v1")
    assert set(limits) >= {"/api/v1/shapes", "/api/v1/ops/conv2d", "/api/v1/ops/batch_norm2d", "/api/v1/solve"}
    assert all(limit < settings.max_body_bytes for limit in limits.values())
    assert limits["/api/v1/solve"] < 8 * 2**10


def test_the_largest_tensor_as_indented_json_still_fits() -> None:
    elements = get_settings().max_tensor_elements
    rng = np.random.default_rng(0)
    x = rng.uniform(-1e6, 1e6, (1, 128, elements // 128)).tolist()
    weight = rng.uniform(-1e6, 1e6, (1, 1, 128, elements // 128)).tolist()
    text = json.dumps({"x": x, "weight": weight, "bias": [-1.2345678901234567e-05]}, indent=1)
    response = TestClient(app).post("/api/v1/ops/conv2d", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["shape"] == [1, 1, 1]
