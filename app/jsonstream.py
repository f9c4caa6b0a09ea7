"""Large JSON responses serialized piece by piece, so no single call holds the GIL for long.

``orjson.dumps`` of a feature-map response (up to ~80 MB of PNG data URLs) is one C call that holds the GIL
for most of a second, and the event loop (``/health`` included) waits that long. :func:`json_response` dumps
each leaf on its own (the longest hold is one data URL), and the body goes out in ~1 MiB chunks joined on
the loop, each a short copy. The pieces are made in the worker thread, inside the request's admission.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from fastapi.responses import StreamingResponse

from app.encoding import check_exact

__all__ = ["json_pieces", "json_response"]

CHUNK_BYTES = 2**20


def json_pieces(value: Any) -> Iterator[bytes]:
    """The JSON text of ``value`` (dicts, lists, orjson leaves) in pieces whose concatenation is
    ``orjson.dumps(value)``."""
    if isinstance(value, dict):
        yield b"{"
        for i, (key, item) in enumerate(value.items()):
            yield (b"," if i else b"") + orjson.dumps(key) + b":"
            yield from json_pieces(item)
        yield b"}"
    elif isinstance(value, list):
        yield b"["
        for i, item in enumerate(value):
            if i:
                yield b","
            yield from json_pieces(item)
        yield b"]"
    else:
        yield orjson.dumps(value)


async def _chunks(pieces: list[bytes]) -> AsyncIterator[bytes]:
    batch: list[bytes] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= CHUNK_BYTES:
            yield b"".join(batch)
            batch, size = [], 0
    if batch:
        yield b"".join(batch)


def json_response(content: dict[str, Any]) -> StreamingResponse:
    """``content`` as a JSON response, serialized now (in the calling thread) and sent in chunks; an integer
    past 2**53 − 1 is a ``ValueError`` naming its field (:func:`app.encoding.check_exact`)."""
    check_exact(content)
    return StreamingResponse(_chunks(list(json_pieces(content))), media_type="application/json")
