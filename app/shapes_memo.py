"""Validated layer stacks remembered by their exact JSON, so a page that sends the same stack with a new input
size (what the receptive-field explorer and the image lab do on every change) skips validating and building the
layers again.

The key is the stack re-serialised by orjson from the parsed body, keys sorted: the same layers in any spacing
or key order give one key, and a stack is validated from that same canonical text the first time, so what is
remembered is exactly what the key says. Only bodies up to :data:`app.caching.MAX_BODY_BYTES` are remembered, at
most :data:`MAX_STACKS` of them, least recently used first out. An entry holds its key and at most
``MAX_STACK_LAYERS`` layers as request models and convcore layers: under 1.5 MiB for the largest stack a 64 KiB
body can hold (``tests/app/test_shapes_memo.py`` measures it), so the memo holds at most 16 × 1.5 MiB = 24 MiB
per worker. Anything else (a body orjson refuses, fields other than ``input`` and ``layers``, an input that does
not validate) takes pydantic's path, whose 422 names the field.
"""

from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from app.caching import LRU, MAX_BODY_BYTES, CachedRoute
from app.schemas.common import InputShape
from app.schemas.shapes import StackRequest

MAX_STACKS = 16

#: Canonical layer JSON → the validated request models and their convcore layers.
STACKS: LRU[bytes, StackRequest] = LRU(MAX_STACKS)
_TOP = frozenset({"input", "layers"})


def _canonical(body: bytes) -> dict[str, Any] | None:
    """The parsed body when it is a JSON object of ``input`` and ``layers`` (a list) only, else ``None``."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(raw, dict) or not raw.keys() <= _TOP or not isinstance(raw.get("layers"), list):
        return None
    return raw


def validate_stack(body: bytes) -> StackRequest:
    """``StackRequest`` from JSON ``body`` with its convcore layers, the layers from :data:`STACKS` when remembered."""
    raw = _canonical(body) if len(body) <= MAX_BODY_BYTES else None
    if raw is None:
        return StackRequest.model_validate_json(body)
    key = orjson.dumps(raw["layers"], option=orjson.OPT_SORT_KEYS)
    known = STACKS.get(key)
    if known is None:
        request = StackRequest.model_validate_json(orjson.dumps(raw))
        request.convcore_layers()
        STACKS.put(key, request)
        return request
    shape = raw.get("input")
    try:
        given = None if shape is None else InputShape.model_validate(shape)
    except ValidationError:
        return StackRequest.model_validate_json(body)
    request = StackRequest.model_construct(input=given, layers=known.layers)
    return request.with_layers(known.convcore_layers())


class StackRoute(CachedRoute):
    """A :class:`CachedRoute` whose ``StackRequest`` body goes through :func:`validate_stack`."""

    def body_validator(self, model: type[BaseModel]) -> Callable[[bytes], BaseModel]:
        return validate_stack if model is StackRequest else super().body_validator(model)
