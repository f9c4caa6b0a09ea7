"""Each JSON endpoint's body limit, derived from its request schema instead of one global 8 MiB.

:func:`max_json_bytes` walks a request model and adds up the longest JSON text each field can have within
its bounds: an integer its widest bound, a string six bytes per allowed character (``\\u00e9``), a list
``max_length`` items, a model every field with its name. A toy tensor (a nested list of floats) is bounded
by ``Settings.max_tensor_elements`` values rather than by its axes, each value at most
:data:`VALUE_BYTES` plus its brackets. The sum is doubled for whitespace. :func:`route_body_limits` gives
``{path: limit}`` for every route with such a body; the body-size middleware applies it, and a body over
it is refused with a 413 before a byte of it is parsed.
"""

import json
import types
import typing
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Union

import annotated_types
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute

from app.json_body import body_model

#: The longest JSON text of one float (``-1.2345678901234567e-05``) and its separator.
VALUE_BYTES = 25
#: Whitespace allowance (indented JSON) and the room left for anything else.
WHITESPACE_FACTOR = 2
SLACK_BYTES = 4096
_INT64_DIGITS = 20


class Underivable(TypeError):
    """A type whose JSON size has no bound (``Any``, an unbounded string or list)."""


def _metadata(annotation: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while typing.get_origin(annotation) is Annotated:
        annotation, *extra = typing.get_args(annotation)
        metadata = [*extra, *metadata]
    return annotation, metadata


def _bound(metadata: Iterable[Any], kind: type) -> Any:
    for item in metadata:
        for sub in getattr(item, "metadata", [item]):
            if isinstance(sub, kind):
                return sub
    return None


def _tensor(annotation: Any) -> tuple[int, int] | None:
    """``(depth, most values)`` of nested lists of floats (``list[list[float]]`` has depth 2), else ``None``."""
    annotation, metadata = _metadata(annotation)
    if annotation is float:
        return (0, 1)
    if typing.get_origin(annotation) is not list:
        return None
    inner = _tensor(typing.get_args(annotation)[0])
    longest = _bound(metadata, annotated_types.MaxLen)
    if inner is None or longest is None:
        return None
    return (inner[0] + 1, inner[1] * longest.max_length)


def max_json_bytes(annotation: Any, max_elements: int) -> int:
    """The longest compact JSON text a value of ``annotation`` can have (tensors capped at ``max_elements``)."""
    tensor = _tensor(annotation)
    if tensor is not None and tensor[0] > 0:
        depth, values = tensor
        return min(values, max_elements) * (VALUE_BYTES + 3 * depth)
    annotation, metadata = _metadata(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields.items()
        return 2 + sum(len(field.alias or name) + 4 + _field_bytes(field, max_elements) for name, field in fields)
    if origin in {Union, types.UnionType}:
        return max(max_json_bytes(arg, max_elements) for arg in typing.get_args(annotation))
    if origin is Literal:
        return max(len(json.dumps(value)) for value in typing.get_args(annotation))
    if origin is tuple:
        return 2 + sum(max_json_bytes(arg, max_elements) + 2 for arg in typing.get_args(annotation))
    if origin is list:
        longest = _bound(metadata, annotated_types.MaxLen)
        if longest is None:
            raise Underivable(f"a list without max_length: {annotation}")
        return 2 + longest.max_length * (max_json_bytes(typing.get_args(annotation)[0], max_elements) + 2)
    if annotation is bool:
        return 5
    if annotation is type(None):
        return 4
    if annotation is int:
        return _int_bytes(metadata)
    if annotation is float:
        return VALUE_BYTES
    if annotation is str:
        longest = _bound(metadata, annotated_types.MaxLen)
        if longest is None:
            raise Underivable("a string without max_length")
        return 2 + 6 * longest.max_length
    raise Underivable(f"no JSON size bound for {annotation}")


def _int_bytes(metadata: list[Any]) -> int:
    bounds = [
        getattr(_bound(metadata, kind), attribute, None)
        for kind, attribute in ((annotated_types.Le, "le"), (annotated_types.Ge, "ge"))
    ]
    if any(bound is None for bound in bounds):
        return _INT64_DIGITS
    return max(len(str(bound)) for bound in bounds)


def _field_bytes(field: Any, max_elements: int) -> int:
    return max_json_bytes(
        Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation, max_elements
    )


def body_limit(model: type[BaseModel], max_elements: int) -> int:
    """The byte limit of a body of ``model``: its longest compact JSON, doubled for whitespace, plus slack."""
    return WHITESPACE_FACTOR * max_json_bytes(model, max_elements) + SLACK_BYTES


def route_body_limits(routes: Iterable[BaseRoute], max_elements: int, ceiling: int, prefix: str = "") -> dict[str, int]:
    """``{prefix + path: limit}`` for every route with a JSON body model whose size has a bound (at most
    ``ceiling``)."""
    limits = {}
    for route in routes:
        if not isinstance(route, APIRoute) or (model := body_model(route)) is None:
            continue
        try:
            limits[prefix + route.path] = min(ceiling, body_limit(model, max_elements))
        except Underivable:
            continue
    return limits
