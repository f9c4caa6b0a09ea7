"""Piecewise JSON: the pieces concatenate to exactly what orjson.dumps gives, and the response sends them."""

import asyncio

import orjson
from hypothesis import given
from hypothesis import strategies as st

from app.jsonstream import CHUNK_BYTES, json_pieces, json_response

leaves = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text()
values = st.recursive(leaves, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30)


@given(values)
def test_the_pieces_concatenate_to_orjson_s_text(value: object) -> None:
    assert b"".join(json_pieces(value)) == orjson.dumps(value)


def test_a_large_body_is_sent_in_chunks_of_about_a_mebibyte() -> None:
    content = {"maps": [{"image": "A" * 300_000, "min": -1.5} for _ in range(10)]}

    async def collect() -> list[bytes]:
        return [chunk async for chunk in json_response(content).body_iterator]  # type: ignore[misc]

    chunks = asyncio.run(collect())
    assert b"".join(chunks) == orjson.dumps(content)
    assert len(chunks) == 3
    assert all(len(chunk) >= CHUNK_BYTES for chunk in chunks[:-1])
