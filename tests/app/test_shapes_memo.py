"""app.shapes_memo: a remembered stack answers exactly as a new one, errors stay errors, the memo is
bounded and its entries are as small as its docstring says."""

import json
import tracemalloc
from typing import Any

import orjson
import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.testclient import TestClient

from app.caching import CACHE, MAX_BODY_BYTES
from app.dependencies import SettingsDep
from app.main import app
from app.reports import report_dict, report_json
from app.schemas.common import MAX_STACK_LAYERS, InputShape
from app.schemas.shapes import StackRequest
from app.settings import get_settings
from app.shapes_memo import MAX_STACKS, STACKS, TAILS, StackRoute, forget, validate_stack
from convcore.networks import zoo
from convcore.networks.chain import RECENT
from convcore.networks.layers import Shape, parse_layers
from convcore.networks.stack import analyze

client = TestClient(app)
URL = "/api/v1/shapes"
LAYERS: list[dict[str, Any]] = [
    {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": "valid"},
    {"type": "max_pool2d", "kernel_size": [3, 2], "padding": 1},
    {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": "same", "dilation": 2, "groups": 8},
    {"type": "global_avg_pool2d"},
]


@pytest.fixture(autouse=True)
def _empty() -> None:
    forget()
    CACHE.clear()


def _post(body: bytes) -> Any:
    return client.post(URL, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize(("height", "width"), [(31, 40), (64, 17), (9, 9)])
def test_a_remembered_stack_answers_as_convcore_does_for_every_size(height: int, width: int) -> None:
    _post(orjson.dumps({"input": {"channels": 3, "height": 50, "width": 50}, "layers": LAYERS}))
    assert len(STACKS._entries) == 1
    # Other spacing and key order, the layers' own keys too: the same stack, so the same entry.
    reordered = [dict(reversed(layer.items())) for layer in LAYERS]
    spaced = json.dumps({"layers": reordered, "input": {"width": width, "height": height, "channels": 3}}, indent=1)
    response = _post(spaced.encode())
    assert response.status_code == 200
    assert len(STACKS._entries) == 1
    assert response.json() == report_dict(analyze(parse_layers(LAYERS), Shape(3, height, width)))


def test_without_input_and_with_a_new_stack() -> None:
    assert _post(orjson.dumps({"layers": LAYERS})).json() == report_dict(analyze(parse_layers(LAYERS)))
    other = [*LAYERS[:2], {"type": "relu"}]
    assert _post(orjson.dumps({"layers": other})).json() == report_dict(analyze(parse_layers(other)))
    assert len(STACKS._entries) == 2


def test_bad_input_on_a_remembered_stack_is_the_schema_422() -> None:
    good = {"input": {"channels": 3, "height": 50, "width": 50}, "layers": LAYERS}
    assert _post(orjson.dumps(good)).status_code == 200
    for bad_input, loc in (
        ({"channels": 3, "height": 0, "width": 50}, ["body", "input", "height"]),
        ({"channels": 3, "height": True, "width": 50}, ["body", "input", "height"]),
        ({"channels": 3, "height": 50}, ["body", "input", "width"]),
    ):
        response = _post(orjson.dumps({**good, "input": bad_input}))
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [loc]
    response = _post(orjson.dumps({**good, "extra": 1}))
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "extra"]]


def test_a_stack_that_fails_is_not_remembered() -> None:
    same_strided = [{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "stride": 2, "padding": "same"}]
    for _ in range(2):
        response = _post(orjson.dumps({"input": {"channels": 1, "height": 9, "width": 9}, "layers": same_strided}))
        assert response.status_code == 422
        assert "stride 1" in response.json()["detail"]
    assert len(STACKS._entries) == 0
    response = _post(b'{"input": {"channels": 1, "height": 9, "width": 9}, "layers": [{"type": "relu"}] ')
    assert response.status_code == 422
    assert [e["type"] for e in response.json()["detail"]] == ["json_invalid"]
    assert _post(b'{"layers": [{"type": "dropout", "p": NaN}]}').status_code == 422
    assert len(STACKS._entries) == 0


def test_a_remembered_stack_at_a_new_size_keeps_its_chain_and_takes_the_new_input() -> None:
    first = validate_stack(orjson.dumps({"input": {"channels": 3, "height": 50, "width": 50}, "layers": LAYERS}))
    chain = first.convcore_chain()
    # The page's form (its tail remembered) and another key order (the canonical layers remembered).
    for body in (
        orjson.dumps({"input": {"channels": 2, "height": 40, "width": 60}, "layers": LAYERS}),
        orjson.dumps({"layers": LAYERS, "input": {"width": 60, "height": 40, "channels": 2}}),
    ):
        second = validate_stack(body)
        assert second.convcore_chain() is chain
        assert second.input == InputShape(channels=2, height=40, width=60)
    without = validate_stack(orjson.dumps({"layers": LAYERS}))
    assert without.input is None and without.convcore_chain() is chain
    assert first.input == InputShape(channels=3, height=50, width=50)


def test_the_memo_is_bounded() -> None:
    for i in range(MAX_STACKS + 3):
        validate_stack(orjson.dumps({"layers": [{"type": "conv2d", "out_channels": i + 1, "kernel_size": 1}]}))
    assert len(STACKS._entries) == MAX_STACKS
    assert STACKS.get(orjson.dumps([{"type": "conv2d", "out_channels": 1, "kernel_size": 1}])) is None


def _largest(layers: list[dict[str, Any]]) -> bytes:
    """The longest repetition of ``layers`` that the memo keeps (within the layer and body limits)."""
    stack = (layers * (MAX_STACK_LAYERS // len(layers) + 1))[:MAX_STACK_LAYERS]
    while len(body := orjson.dumps({"layers": stack})) > MAX_BODY_BYTES:
        stack = stack[: len(stack) * 9 // 10]
    return body


@pytest.mark.parametrize(
    "layers",
    [zoo.get_architecture("resnet50").layers, [{"type": "conv2d", "out_channels": 1, "kernel_size": 1}]],
    ids=["resnet50", "small-convs"],
)
def test_an_entry_of_the_largest_stack_holds_under_five_mebibytes(layers: list[dict[str, Any]]) -> None:
    """The entry with what its chain remembers after answers at more sizes than a layer remembers (each layer its
    results and rows with their JSON for its last RECENT inputs, the chain its last run)."""
    body = _largest(layers)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    chain = validate_stack(body).convcore_chain()
    for extra in range(RECENT + 1):
        report_json(analyze(chain, Shape(3, 224 + extra, 224 + extra)))
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(STACKS._entries) == 1
    assert held < 5 * 2**20, held


def test_a_pages_body_with_a_remembered_tail_parses_only_its_input() -> None:
    page = {"input": {"channels": 3, "height": 50, "width": 50}, "layers": LAYERS}
    assert _post(orjson.dumps(page)).status_code == 200
    assert len(TAILS._entries) == 1
    STACKS.clear()  # the next answers can only come from the tail
    for height, width in ((33, 20), (9, 70)):
        body = orjson.dumps({"input": {"channels": 3, "height": height, "width": width}, "layers": LAYERS})
        assert _post(body).json() == report_dict(analyze(parse_layers(LAYERS), Shape(3, height, width)))
    assert len(STACKS._entries) == 0
    tail = orjson.dumps(page)[len(b'{"input":{"channels":3,"height":50,"width":50},"layers":') :]
    response = _post(b'{"input":{"channels":3,"height":50,"width":5 0},"layers":' + tail)
    assert response.status_code == 422
    assert [e["type"] for e in response.json()["detail"]] == ["json_invalid"]


def test_a_tail_that_holds_more_than_the_layers_is_not_remembered() -> None:
    layers = orjson.dumps(LAYERS)
    # A second "input" after the layers is the one JSON keeps: the tail is not the layers alone.
    last = 31
    for first in (9, 12):
        square = b'{"channels":3,"height":%d,"width":%d}'
        body = b'{"input":%s,"layers":%s,"input":%s}' % (square % (first, first), layers, square % (last, last))
        response = _post(body)
        assert response.json() == report_dict(analyze(parse_layers(LAYERS), Shape(3, last, last)))
    assert len(TAILS._entries) == 0
    assert len(STACKS._entries) == 1


def test_a_stack_route_refuses_an_endpoint_it_cannot_call() -> None:
    """A StackRoute calls its endpoint itself, as ``(body, settings)``: any other endpoint is refused when the app
    is built, not with a 500 on the first request."""

    async def other(body: StackRequest, extra: int) -> None:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match="takes a StackRequest body and SettingsDep only"):
        APIRouter(route_class=StackRoute).post("/shapes")(other)


def test_a_stack_route_calls_its_endpoint_by_parameter_name() -> None:
    router = APIRouter(route_class=StackRoute)

    @router.post("/count")
    async def count(settings: SettingsDep, stack: StackRequest) -> Response:
        return Response(f"{len(stack.layers)} {settings.max_request_bytes}")

    other = FastAPI()
    other.include_router(router)
    answer = TestClient(other).post("/count", json={"layers": LAYERS})
    assert (answer.status_code, answer.text) == (200, f"{len(LAYERS)} {get_settings().max_request_bytes}")
