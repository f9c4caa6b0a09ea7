"""app.reports: a stack's /shapes JSON, each row serialised once per row of a reused chain, is that of a fresh
analysis byte for byte."""

import tracemalloc
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import reports
from app.encoding import compact, dumps
from app.reports import report_dict, report_json
from convcore.arithmetic.shapes import Pair
from convcore.networks.chain import Chain
from convcore.networks.layers import Shape, parse_layers
from convcore.networks.stack import analyze
from tests.stacks import LAYER

#: A layer with a name, or none: names are written as JSON strings (quotes, backslashes, any character).
NAMED_LAYER = st.builds(
    lambda layer, name: layer if name is None else {**layer, "name": name}, LAYER, st.none() | st.text()
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(NAMED_LAYER, min_size=1, max_size=10),
    st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), min_size=2, max_size=4),
)
def test_a_reused_chains_json_is_a_fresh_analysis_json(raw: list[dict[str, Any]], sizes: list[Pair]) -> None:
    layers = parse_layers(raw)
    chain = Chain(layers)
    # Each size twice in a row (the second time the rows and their JSON come again), then all of them again.
    for h, w in [size for size in sizes for _ in range(2)] + sizes:
        shape = Shape(2, h, w)
        try:
            fresh = dumps(report_dict(analyze(layers, shape)))
        except ValueError:
            continue
        assert report_json(analyze(chain, shape)) == fresh


def test_a_count_past_2_53_is_refused_naming_its_layer_as_report_dict_does() -> None:
    # 2**47 features into a linear layer of 64 outputs without bias: 2**53 parameters.
    chain = Chain(parse_layers([{"type": "linear", "out_features": 64, "bias": False}]))
    report = analyze(chain, Shape(2**15, 2**16, 2**16))
    with pytest.raises(ValueError) as whole:
        dumps(report_dict(report))
    with pytest.raises(ValueError) as rows:
        report_json(report)
    assert str(whole.value).startswith(f"layer 0 (linear): params would be {2**53:,}")
    assert str(rows.value) == str(whole.value)


@pytest.mark.parametrize("name", ["1234567890123456", 'a "quoted" \\ name', "слой", "100% %d %%b"])
def test_a_rows_name_is_written_as_orjson_writes_it(name: str) -> None:
    report = analyze(Chain(parse_layers([{"type": "relu", "name": name}])), Shape(2, 9, 9))
    assert report_json(report) == dumps(report_dict(report))
    assert reports._formatted(report.layers[0]) == dumps(report_dict(report)["layers"][0])  # not orjson's


def test_a_sixteen_digit_count_under_2_53_is_written() -> None:
    # 2**47 features into 63 outputs without bias: 63 · 2**47 = 8,866,461,766,385,664 parameters, under 2**53.
    report = analyze(
        Chain(parse_layers([{"type": "linear", "out_features": 63, "bias": False}])), Shape(2**15, 2**16, 2**16)
    )
    assert report_json(report) == dumps(report_dict(report))
    assert b'"params":8866461766385664,' in report_json(report)


def test_an_output_past_2_53_is_refused_as_report_dict_refuses_it() -> None:
    # twelve transposed convolutions of stride 64 grow 1,000 to 4.7e24
    layers = [{"type": "conv_transpose2d", "out_channels": 1, "kernel_size": 1, "stride": 64}] * 12
    report = analyze(Chain(parse_layers(layers)), Shape(1, 1000, 1000))
    with pytest.raises(ValueError) as whole:
        dumps(report_dict(report))
    with pytest.raises(ValueError) as rows:
        report_json(report)
    assert str(rows.value) == str(whole.value)


def test_rows_past_the_templates_bound_are_each_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # Eight rows through a bound of three templates: the remembered ones are dropped on the way and written again.
    monkeypatch.setattr(reports, "_TEMPLATES", {})
    monkeypatch.setattr(reports, "MAX_TEMPLATES", 3)
    chain = Chain(parse_layers([{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1}] * 8))
    for size in (20, 21, 20):
        report = analyze(chain, Shape(2, size, size))
        assert report_json(report) == dumps(report_dict(report))
        assert len(reports._TEMPLATES) <= 3


def test_compact_bytes_hold_their_length_only() -> None:
    """What the response cache and a row's JSON keep: orjson's answer copied, holding its length, not the buffer
    orjson grew."""
    rows = [{"index": i, "macs": i * 9408} for i in range(5000)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    data = orjson.dumps(rows)
    kept = compact(data)
    length = len(data)
    del data
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert kept == orjson.dumps(rows)
    assert held < length + 64, (held, length)
