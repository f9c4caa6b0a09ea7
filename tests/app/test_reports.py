"""app.reports: a stack's /shapes rows, made once per row of a reused chain, are those of a fresh analysis."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports import report_dict
from convcore.arithmetic.shapes import Pair
from convcore.networks.layers import Shape, parse_layers
from convcore.networks.stack import Chain, analyze
from tests.stacks import LAYER


@settings(max_examples=150, deadline=None)
@given(
    st.lists(LAYER, min_size=1, max_size=10),
    st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), min_size=2, max_size=4),
)
def test_a_reused_chains_rows_are_a_fresh_analysis_rows(raw: list[dict[str, Any]], sizes: list[Pair]) -> None:
    layers = parse_layers(raw)
    chain = Chain(layers)
    # Each size twice in a row (the second time the rows and their dicts come again), then all of them again.
    for h, w in [size for size in sizes for _ in range(2)] + sizes:
        shape = Shape(2, h, w)
        try:
            fresh = report_dict(analyze(layers, shape))
        except ValueError:
            continue
        assert report_dict(analyze(chain, shape)) == fresh
