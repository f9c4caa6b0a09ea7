"""Validated layer stacks remembered by their exact JSON, so a page that sends the same stack with a new input
size (what the receptive-field explorer and the image lab do on every change) skips validating and building the
layers again.

The key is the stack re-serialised by orjson from the parsed body, keys sorted: the same layers in any spacing
or key order give one key, and a stack is validated from that same canonical text the first time, so what is
remembered is exactly what the key says. Only bodies up to :data:`app.caching.MAX_BODY_BYTES` are remembered, at
most :data:`MAX_STACKS` of them, least recently used first out. An entry holds its key and at most
``MAX_STACK_LAYERS`` layers as request models and as a convcore chain (each layer with its results and rows, the
rows' JSON included, for its last few input shapes, and the chain's recent runs): under 5 MiB for the largest stack a
64 KiB body can hold (``tests/app/test_shapes_memo.py`` measures it), so the memo holds at most 6 × 5 MiB = 30 MiB
per worker, and its tails (below) 6 × 64 KiB more. Anything else (a body orjson refuses, fields other than
``input`` and ``layers``, an input that does not validate) takes pydantic's path, whose 422 names the field.

A page sends ``{"input": {...}, "layers": [...]}`` in that order (``JSON.stringify({input, layers})``), a new
input with the same layers on every change. Such a body is also remembered by its bytes after the input object
(:data:`TAILS`), so the next one with the same tail parses only its input: a tail is remembered only when it is
exactly the layers array and the closing brace, so that body and the remembered one hold the same layers.
"""

import re
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from app.caching import LRU, MAX_BODY_BYTES, CachedRoute
from app.dependencies import current_settings
from app.json_body import Answer, body_model
from app.schemas.common import InputShape
from app.schemas.shapes import StackRequest

MAX_STACKS = 6

#: Canonical layer JSON → the validated request models and their convcore layers.
STACKS: LRU[bytes, StackRequest] = LRU(MAX_STACKS)
#: The bytes after a page's input object (the layers array and ``}``) → the same entries as :data:`STACKS`.
TAILS: LRU[bytes, StackRequest] = LRU(MAX_STACKS)
_TOP = frozenset({"input", "layers"})
#: ``{"input": {...}, "layers":`` with the input object (which holds no object) as group 1; the tail follows.
_PAGE_FORM = re.compile(rb'\s*\{\s*"input"\s*:\s*(\{[^{}]*\})\s*,\s*"layers"\s*:')


def _canonical(body: bytes) -> dict[str, Any] | None:
    """The parsed body when it is a JSON object of ``input`` and ``layers`` (a list) only, else ``None``."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(raw, dict) or not raw.keys() <= _TOP or not isinstance(raw.get("layers"), list):
        return None
    return raw


def forget() -> None:
    """Empty the memo (tests and benchmarks)."""
    STACKS.clear()
    TAILS.clear()


def _remember_tail(body: bytes, request: StackRequest) -> None:
    """Remember ``request`` by ``body``'s tail when ``body`` has the page's form and its tail holds only the layers."""
    page = _PAGE_FORM.match(body)
    if page is None:
        return
    tail = body[page.end() :]
    try:
        rest = orjson.loads(b'{"layers":' + tail)
    except orjson.JSONDecodeError:
        return
    if rest.keys() == {"layers"}:
        TAILS.put(tail, request)


def _with_input(body: bytes, shape: Any, known: StackRequest) -> StackRequest:
    """``known``'s layers with the input ``shape`` parsed from ``body`` (pydantic's 422 when it does not validate)."""
    try:
        given = None if shape is None else InputShape.model_validate(shape)
    except ValidationError:
        return StackRequest.model_validate_json(body)
    return known.model_copy(update={"input": given})  # with its layers and their chain


def _by_tail(body: bytes) -> StackRequest | None:
    """The request from a remembered tail (see the module's docstring), or ``None``."""
    page = _PAGE_FORM.match(body)
    if page is None:
        return None
    known = TAILS.get(body[page.end() :])
    if known is None:
        return None
    try:
        shape = orjson.loads(page[1])
    except orjson.JSONDecodeError:
        return None
    return _with_input(body, shape, known)


def validate_stack(body: bytes) -> StackRequest:
    """``StackRequest`` from JSON ``body`` with its convcore layers, the layers from :data:`STACKS` when remembered."""
    if len(body) > MAX_BODY_BYTES:
        return StackRequest.model_validate_json(body)
    found = _by_tail(body)
    if found is not None:
        return found
    raw = _canonical(body)
    if raw is None:
        return StackRequest.model_validate_json(body)
    key = orjson.dumps(raw["layers"], option=orjson.OPT_SORT_KEYS)
    known = STACKS.get(key)
    if known is None:
        known = StackRequest.model_validate_json(orjson.dumps(raw))
        known.convcore_chain()
        STACKS.put(key, known)
    _remember_tail(body, known)
    return _with_input(body, raw.get("input"), known)


class StackRoute(CachedRoute):
    """A :class:`CachedRoute` whose ``StackRequest`` body goes through :func:`validate_stack`, for an endpoint that
    takes that body and the settings (``SettingsDep``). It calls that endpoint itself with the validated body and
    the settings: FastAPI's request handler would solve the settings dependency and check the body model again,
    0.1 ms of an uncached ResNet-50 /shapes request's 0.6 (measured in process). A body that is not JSON still goes
    through FastAPI, whose 4xx says why."""

    def body_validator(self, model: type[BaseModel]) -> Callable[[bytes], BaseModel]:
        return validate_stack

    def body_answer(self) -> Answer:
        dependencies = self.dependant.dependencies
        calls = [dependency.call for dependency in dependencies]
        settings_name = dependencies[0].name if calls == [current_settings] else None
        if body_model(self) is not StackRequest or settings_name is None:
            raise TypeError(f"{self.path}: a StackRoute's endpoint takes a StackRequest body and SettingsDep only")
        endpoint = self.endpoint
        body_name = self.dependant.body_params[0].name

        async def answer(request: Request, body: BaseModel) -> Response:
            response: Response = await endpoint(**{body_name: body, settings_name: await current_settings(request)})
            return response

        return answer
