"""JSON answers whose integers a browser reads exactly.

A JavaScript number is a double: past ``2**53 − 1`` an integer is rounded, and orjson refuses anything past
64 bits outright. The counts an endpoint derives from the request (output sizes, parameters, MACs, receptive
fields) can grow that far from bounded input — a ``linear`` layer after a 100000×100000×100000 input, six
poolings of stride 4096 — so every such answer goes through :func:`dumps`, which refuses it with a
``ValueError`` (a 422) naming the layer and the field instead.

:func:`respond` is the one JSON response of the routers (numpy arrays serialized by orjson directly, never
through FastAPI's ``jsonable_encoder``); the feature maps, megabytes of PNG data URLs, go out in pieces
(:func:`app.jsonstream.json_response`).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi.responses import Response

from convcore.arithmetic.shapes import MAX_EXACT

Path = tuple[str | int, ...]

_HINTS = {
    "receptive_field": "use fewer strided layers or smaller strides",
    "params": "use fewer channels or features, or a smaller input before a linear layer",
    "total_params": "use fewer channels or features, or a smaller input before a linear layer",
    "macs": "use a smaller input or fewer channels",
    "total_macs": "use a smaller input or fewer channels",
}


def find_inexact(content: Any, path: Path = ()) -> tuple[Path, int] | None:
    """The path and value of the first integer in ``content`` past :data:`MAX_EXACT` in magnitude, if any."""
    if isinstance(content, bool):
        return None
    if isinstance(content, int):
        return (path, content) if abs(content) > MAX_EXACT else None
    if isinstance(content, Mapping):
        items: Any = content.items()
    elif isinstance(content, Sequence) and not isinstance(content, str | bytes):
        items = enumerate(content)
    else:
        return None
    for key, value in items:
        found = find_inexact(value, (*path, key))
        if found is not None:
            return found
    return None


def _dotted(path: Path) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else f".{key}" if text else key
    return text


def _where(content: Any, path: Path) -> str:
    """``layer 3 (max_pool2d): receptive_field.stride[0]`` for a path into a row of ``layers`` (or ``nodes``)."""
    if len(path) > 2 and path[0] in {"layers", "nodes"} and isinstance(path[1], int):
        row = content[path[0]][path[1]]
        if isinstance(row, Mapping):
            kind = row.get("type") or row.get("op")
            label = f"layer {path[1]}" if path[0] == "layers" else f"node {path[1]} {row.get('name')!r}"
            return f"{label} ({kind}): {_dotted(path[2:])}"
    return _dotted(path)


def inexact_message(content: Any, path: Path, value: int, where: str | None = None) -> str:
    """What :func:`check_exact` says: the field (after ``where``, if given), its value, the limit, what to do."""
    hint = next((_HINTS[key] for key in path if isinstance(key, str) and key in _HINTS), "use smaller sizes")
    field = _where(content, path) if where is None else f"{where}: {_dotted(path)}"
    return (
        f"{field} would be {value:,}, more than 2**53 − 1 = {MAX_EXACT:,}, the largest integer a "
        f"browser shows exactly: {hint}"
    )


def check_exact(content: Any, where: str | None = None) -> None:
    """Raise ``ValueError`` naming the field (after ``where``, e.g. ``"layer 5 (max_pool2d)"``) when an integer
    in ``content`` is past :data:`MAX_EXACT`."""
    found = find_inexact(content)
    if found is not None:
        raise ValueError(inexact_message(content, *found, where=where))


def dumps(content: Any) -> bytes:
    """``orjson.dumps`` (numpy arrays and dataclasses included) with orjson's own 53-bit integer limit; past it,
    the refusal :func:`check_exact` words."""
    try:
        return orjson.dumps(content, option=orjson.OPT_STRICT_INTEGER | orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError:
        check_exact(content)
        raise


def compact(data: bytes) -> bytes:
    """A copy of ``data`` that holds its length only, for bytes kept long (cached answers, a row's JSON): the
    bytes orjson returns keep the buffer it grew, at least 4 KiB and up to three times their length (tracemalloc:
    an 85 KB answer held 260 KB)."""
    return memoryview(data).tobytes()


def respond(content: Any) -> Response:
    """``content`` as an ``application/json`` response through :func:`dumps`."""
    return Response(dumps(content), media_type="application/json")
