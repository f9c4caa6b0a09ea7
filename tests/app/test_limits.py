"""The pages' field bounds (app.limits) against the API's: each bound a page offers equals the bound of the
API parameter it is sent as, or is narrower where a ``PAGE_*`` constant says the page narrows it; the pages
render exactly these bounds."""

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import limits
from app.main import app
from app.routers.pages import PAGES
from app.schemas.common import MAX_AXIS
from app.settings import Settings
from tests.app.overrides import served_with

client = TestClient(app)
OPENAPI = app.openapi()
RESIDUAL = ("get", "/api/v1/experiments/residual")
EQUIVARIANCE = ("post", "/api/v1/experiments/equivariance")
WHY_CONV = ("get", "/api/v1/experiments/why-conv")
PERMUTATION = ("post", "/api/v1/experiments/permutation")
DROPOUT = ("post", "/api/v1/experiments/dropout")
CONV2D = ("post", "/api/v1/ops/conv2d")
MAX_POOL = ("post", "/api/v1/ops/max_pool2d")
BATCH_NORM = ("post", "/api/v1/ops/batch_norm2d")
GROUP_NORM = ("post", "/api/v1/ops/group_norm")
ARCHITECTURE = ("get", "/api/v1/architectures/{name}")
BUILTIN_MODEL = ("get", "/api/v1/models/builtin/{name}")

#: (page, field) → the operation and parameter the page sends the field as
SENT_AS: dict[tuple[str, str], tuple[tuple[str, str], str]] = {
    ("residual", "depth"): (RESIDUAL, "depth"),
    ("residual", "width"): (RESIDUAL, "width"),
    ("residual", "samples"): (RESIDUAL, "samples"),
    ("residual", "networks"): (RESIDUAL, "networks"),
    ("residual", "seed"): (RESIDUAL, "seed"),
    ("equivariance", "dy"): (EQUIVARIANCE, "dy"),
    ("equivariance", "dx"): (EQUIVARIANCE, "dx"),
    ("equivariance", "layers"): (EQUIVARIANCE, "layers"),
    ("equivariance", "channels"): (EQUIVARIANCE, "channels"),
    ("equivariance", "k"): (EQUIVARIANCE, "kernel_size"),
    ("equivariance", "stride"): (EQUIVARIANCE, "stride"),
    ("equivariance", "ch"): (EQUIVARIANCE, "channel"),
    ("equivariance", "seed"): (EQUIVARIANCE, "seed"),
    ("why-conv", "c"): (WHY_CONV, "channels"),
    ("why-conv", "h"): (WHY_CONV, "height"),
    ("why-conv", "w"): (WHY_CONV, "width"),
    ("why-conv", "cout"): (WHY_CONV, "out_channels"),
    ("why-conv", "k"): (WHY_CONV, "kernel_size"),
    ("why-conv", "side"): (PERMUTATION, "side"),
    ("why-conv", "seed"): (PERMUTATION, "seed"),
    ("dropout", "p"): (DROPOUT, "p"),
    ("dropout", "masks"): (DROPOUT, "n_masks"),
    ("playground", "kernel"): (MAX_POOL, "kernel_size"),
    ("playground", "stride"): (CONV2D, "stride"),
    ("playground", "padding"): (CONV2D, "padding"),
    ("playground", "dilation"): (CONV2D, "dilation"),
    ("playground", "groups"): (CONV2D, "groups"),
    ("pooling", "k"): (MAX_POOL, "kernel_size"),
    ("pooling", "s"): (MAX_POOL, "stride"),
    ("pooling", "p"): (MAX_POOL, "padding"),
    ("normalization", "momentum"): (BATCH_NORM, "momentum"),
    ("normalization", "g"): (GROUP_NORM, "num_groups"),
    ("receptive-field", "size"): (ARCHITECTURE, "size"),
    ("model", "size"): (BUILTIN_MODEL, "size"),
}
#: fields a page sends as the sizes of a tensor (bounded by MAX_AXIS and Settings.max_tensor_elements: see
#: test_limits_fit.py), the trace bounds it reads, and its own fields the server never sees
PAGE_ONLY = {
    ("residual", "work"),
    *(("image", field) for field in ("layers", "channels", "kernel", "dilation", "stride", "padding", "p", "seed")),
    ("dropout", "n"),
    *(("playground", field) for field in ("size", "channels", "transposed_output", "trace_taps", "trace_steps")),
    *(("pooling", field) for field in ("h", "w", "seed", "gc", "gh", "gw")),
    *(("normalization", field) for field in ("n", "c", "size", "seed")),
    ("receptive-field", "dl"),
    *(("compute", field) for field in ("n", "k", "p", "seed", "map", "cin", "cout")),
}
#: the bounds a page narrows on purpose (app.limits' PAGE_* constants)
NARROWED = {
    ("equivariance", "dy"): {"min": -limits.PAGE_MAX_SHIFT, "max": limits.PAGE_MAX_SHIFT},
    ("equivariance", "dx"): {"min": -limits.PAGE_MAX_SHIFT, "max": limits.PAGE_MAX_SHIFT},
    ("equivariance", "seed"): {"min": 0, "max": limits.PAGE_MAX_SEED},
    ("why-conv", "side"): {"min": limits.PAGE_MIN_PERMUTATION_SIDE, "max": None},
    ("why-conv", "seed"): {"min": 0, "max": limits.PAGE_MAX_SEED},
    ("dropout", "p"): {"min": 0, "max": limits.PAGE_MAX_DROPOUT_P},
    ("dropout", "masks"): {"min": limits.PAGE_MIN_DROPOUT_MASKS, "max": None},
    **{
        ("playground", field): {"min": None, "max": limits.PAGE_PLAYGROUND[field]}
        for field in ("kernel", "stride", "padding", "dilation")
    },
    ("playground", "groups"): {"min": None, "max": limits.PAGE_PLAYGROUND["channels"]},
    ("pooling", "k"): {"min": None, "max": limits.PAGE_POOLING["kernel"]},
    ("pooling", "s"): {"min": None, "max": limits.PAGE_POOLING["stride"]},
    ("pooling", "p"): {"min": None, "max": limits.PAGE_POOLING["padding"]},
    ("normalization", "momentum"): {"min": limits.PAGE_MIN_MOMENTUM, "max": None},
    ("normalization", "g"): {"min": None, "max": limits.PAGE_NORMALIZATION["channels"]},
    ("receptive-field", "size"): limits.PAGE_NETWORK_INPUT,
    ("model", "size"): {"min": None, "max": limits.PAGE_NETWORK_INPUT["max"]},
}


def _schema(operation: tuple[str, str], name: str) -> dict[str, Any]:
    method, path = operation
    spec = OPENAPI["paths"][path][method]
    for parameter in spec.get("parameters", []):
        if parameter["name"] == name:
            return dict(parameter["schema"])
    body = next(iter(spec["requestBody"]["content"].values()))["schema"]
    ref = body["$ref"].rsplit("/", 1)[1]
    return dict(OPENAPI["components"]["schemas"][ref]["properties"][name])


def _server_bound(operation: tuple[str, str], name: str) -> dict[str, float]:
    """The bounds of a parameter; of its number form where it also takes a pair, a word or null."""
    schema = _schema(operation, name)
    number = next(form for form in schema.get("anyOf", [schema]) if form.get("type") in ("integer", "number"))
    return {"min": number["minimum"], "max": number["maximum"]}


def test_every_sent_field_has_a_bound_on_the_page() -> None:
    sent = {(page, field) for page, field in SENT_AS}
    offered = {(page, field) for page in limits.BUILDERS for field in limits.page_limits(page, Settings())}
    assert offered == sent | PAGE_ONLY
    assert not sent & PAGE_ONLY


@pytest.mark.parametrize(("page", "field"), sorted(SENT_AS))
def test_a_page_bound_is_the_servers_unless_the_page_narrows_it(page: str, field: str) -> None:
    operation, name = SENT_AS[page, field]
    server = _server_bound(operation, name)
    offered = limits.page_limits(page, Settings())[field]
    narrowed = NARROWED.get((page, field), {})
    for end in ("min", "max"):
        expected = narrowed.get(end)
        assert offered[end] == (server[end] if expected is None else expected), end
    assert server["min"] <= offered["min"] <= offered["max"] <= server["max"]
    assert (offered != server) == bool(narrowed)


def test_the_bounds_checked_per_request_come_from_theserved_with() -> None:
    settings = Settings(max_residual_work=1000, max_image_layers=5, max_image_channels=3, max_tensor_elements=4)
    assert limits.page_limits("residual", settings)["work"]["max"] == 1000
    assert limits.page_limits("image", settings)["layers"]["max"] == 5
    assert limits.page_limits("image", settings)["channels"]["max"] == 3
    assert limits.page_limits("dropout", settings)["n"]["max"] == 4
    default = Settings()
    assert limits.page_limits("image", default)["layers"]["max"] == default.max_image_layers
    assert limits.page_limits("image", default)["channels"]["max"] == limits.PAGE_MAX_IMAGE_CHANNELS
    assert default.max_image_channels > limits.PAGE_MAX_IMAGE_CHANNELS
    assert limits.page_limits("dropout", default)["n"]["max"] == limits.PAGE_MAX_DROPOUT_UNITS
    assert min(MAX_AXIS, default.max_tensor_elements) > limits.PAGE_MAX_DROPOUT_UNITS


def _rendered(path: str) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    response = client.get(path)
    assert response.status_code == 200
    found = re.search(r'<script type="application/json" id="limits">(.*?)</script>', response.text)
    assert found is not None
    inputs = re.findall(r'<input id="([\w-]+)" type="(?:number|range)" min="([^"]*)" max="([^"]*)"', response.text)
    return json.loads(found.group(1)), {name: (low, high) for name, low, high in inputs}


#: page path → its page name and its inputs' ids → the field whose bounds they show
INPUTS = {
    "/residual": ("residual", {"res-depth": "depth", "res-width": "width", "res-samples": "samples"}),
    "/equivariance": ("equivariance", {"eq-dy": "dy", "eq-channels": "channels", "eq-k": "k", "eq-ch": "ch"}),
    "/why-conv": ("why-conv", {"why-h": "h", "why-k": "k", "perm-side": "side", "perm-seed": "seed"}),
    "/dropout": ("dropout", {"do-p": "p", "do-n": "n", "do-masks": "masks"}),
    "/pooling": ("pooling", {"pool-h": "h", "pool-k": "k", "pool-p": "p", "pool-seed": "seed", "gap-c": "gc"}),
    "/normalization": ("normalization", {"bn-n": "n", "bn-c": "c", "bn-momentum": "momentum", "bn-groups": "g"}),
    "/receptive-field": ("receptive-field", {"size": "size", "dl": "dl"}),
    "/model": ("model", {"size": "size"}),
    "/compute": ("compute", {"fft-k": "k", "fft-p": "p", "fft-seed": "seed", "cost-map": "map", "cost-cin": "cin"}),
}


@pytest.mark.parametrize("path", sorted(INPUTS))
def test_a_page_renders_its_bounds_from_the_settings_it_is_served_with(path: str) -> None:
    page, inputs = INPUTS[path]
    settings = Settings(max_residual_work=1000, max_tensor_elements=4)
    with served_with(settings):
        data, rendered = _rendered(path)
    assert data == limits.page_limits(page, settings)
    for input_id, field in inputs.items():
        assert rendered[input_id] == (str(data[field]["min"]), str(data[field]["max"])), input_id


def test_the_image_lab_gets_the_servers_bounds() -> None:
    with served_with(Settings(max_image_layers=5, max_image_channels=3, max_image_kernel=5)):
        data, _ = _rendered("/image")
    assert data == {
        "layers": {"min": 1, "max": 5},
        "channels": {"min": 1, "max": 3},
        "kernel": {"min": 1, "max": 5},
        "dilation": {"min": 1, "max": 5},
        "stride": {"min": 1, "max": limits.PAGE_MAX_IMAGE_HYPER},
        "padding": {"min": 0, "max": limits.PAGE_MAX_IMAGE_PADDING},
        "p": {"min": 0, "max": limits.PAGE_MAX_IMAGE_DROPOUT_P},
        "seed": {"min": 0, "max": limits.PAGE_MAX_SEED},
    }
    default = limits.page_limits("image", Settings())
    assert default["kernel"]["max"] == default["dilation"]["max"] == limits.PAGE_MAX_IMAGE_HYPER
    assert Settings().max_image_kernel > limits.PAGE_MAX_IMAGE_HYPER


def test_every_page_gets_its_bounds() -> None:
    assert set(limits.BUILDERS) == {page for _, page in PAGES.values()}
