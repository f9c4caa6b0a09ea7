"""convcore.arithmetic.formulas: the text with the numbers plugged in evaluates to the number
convcore.arithmetic.shapes gives."""

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from convcore.arithmetic import formulas, shapes


def _evaluate(formula: str) -> tuple[int, int]:
    """``(value of the left-hand side, the number after the last '=')``; '·' is ×, '−' is minus.

    A dropped ceil_mode window is written ``ceil(...) + 1 = raw − 1 = out``: the middle step is checked too.
    """
    *steps, result = (part.strip() for part in formula.split("="))
    python = steps[0].replace("·", "*").replace("−", "-")
    python = re.sub(r"\b(floor|ceil)\(", r"math.\1(", python)
    value = int(eval(python, {"math": math}))  # the text only holds digits, operators and floor/ceil
    if len(steps) == 2:
        assert steps[1] == f"{value} − 1"
        value -= 1
    return value, int(result)


def test_design_example() -> None:
    assert (
        formulas.conv_formula(224, kernel_size=7, stride=2, padding=3, dilation=1)
        == "floor((224 + 2·3 − 1·(7−1) − 1)/2) + 1 = 112"
    )


def test_asymmetric_padding_is_written_out() -> None:
    assert formulas.conv_formula(8, kernel_size=4, padding=(1, 2)) == "floor((8 + 1 + 2 − 1·(4−1) − 1)/1) + 1 = 8"


def test_transposed_and_pooling_texts() -> None:
    assert (
        formulas.conv_transpose_formula(5, kernel_size=3, stride=2, padding=1, output_padding=1)
        == "(5 − 1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 10"
    )
    assert formulas.pool_formula(7, kernel_size=2) == "floor((7 + 2·0 − 1·(2−1) − 1)/2) + 1 = 3"
    assert formulas.pool_formula(7, kernel_size=2, ceil_mode=True) == "ceil((7 + 2·0 − 1·(2−1) − 1)/2) + 1 = 4"
    assert (
        formulas.pool_formula(5, kernel_size=2, padding=1, ceil_mode=True)
        == "ceil((5 + 2·1 − 1·(2−1) − 1)/2) + 1 = 4 − 1 = 3"
    )


@settings(max_examples=400)
@given(
    size=st.integers(1, 64),
    k=st.integers(1, 9),
    s=st.integers(1, 5),
    p=st.integers(0, 4),
    p_after=st.integers(0, 4),
    d=st.integers(1, 3),
)
def test_conv_formula_evaluates_to_the_size(size: int, k: int, s: int, p: int, p_after: int, d: int) -> None:
    try:
        expected = shapes.conv_output_size(size, kernel_size=k, stride=s, padding=(p, p_after), dilation=d)
    except ValueError:
        with pytest.raises(ValueError):
            formulas.conv_formula(size, kernel_size=k, stride=s, padding=(p, p_after), dilation=d)
        return
    value, result = _evaluate(formulas.conv_formula(size, kernel_size=k, stride=s, padding=(p, p_after), dilation=d))
    assert value == result == expected


@settings(max_examples=400)
@given(size=st.integers(1, 64), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4), ceil=st.booleans())
def test_pool_formula_evaluates_to_the_size(size: int, k: int, s: int, p: int, ceil: bool) -> None:
    try:
        expected = shapes.pool_output_size(size, kernel_size=k, stride=s, padding=p, ceil_mode=ceil)
    except ValueError:
        return
    value, result = _evaluate(formulas.pool_formula(size, kernel_size=k, stride=s, padding=p, ceil_mode=ceil))
    assert value == result == expected


@settings(max_examples=300)
@given(
    size=st.integers(1, 32),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    extra=st.integers(0, 3),
    d=st.integers(1, 3),
)
def test_transpose_formula_evaluates_to_the_size(size: int, k: int, s: int, p: int, extra: int, d: int) -> None:
    kwargs = {"kernel_size": k, "stride": s, "padding": p, "output_padding": extra, "dilation": d}
    try:
        expected = shapes.conv_transpose_output_size(size, **kwargs)
    except ValueError:
        return
    value, result = _evaluate(formulas.conv_transpose_formula(size, **kwargs))
    assert value == result == expected


@pytest.mark.parametrize(
    ("layer", "counts", "module"),
    [
        ("conv2d", {"in_channels": 6, "out_channels": 4, "kernel_size": 3, "groups": 2}, nn.Conv2d(6, 4, 3, groups=2)),
        (
            "conv2d",
            {"in_channels": 3, "out_channels": 8, "kernel_size": 5, "bias": False},
            nn.Conv2d(3, 8, 5, bias=False),
        ),
        ("linear", {"in_channels": 12, "out_channels": 7}, nn.Linear(12, 7)),
        ("batch_norm2d", {"in_channels": 16, "out_channels": 16}, nn.BatchNorm2d(16)),
        ("max_pool2d", {"in_channels": 3, "out_channels": 3, "kernel_size": 2}, nn.MaxPool2d(2)),
    ],
)
def test_params_formula_evaluates_to_torchs_count(layer: str, counts: dict[str, int], module: nn.Module) -> None:
    params, text = formulas.params_formula(layer, **counts)
    assert params == sum(p.numel() for p in module.parameters())
    if params:
        assert _evaluate(text) == (params, params)
    else:
        assert text == "0"


def test_params_formula_names_the_layers_it_knows() -> None:
    with pytest.raises(ValueError, match="layer must be conv2d, linear, batch_norm2d, max_pool2d or avg_pool2d"):
        formulas.params_formula("conv3d", in_channels=1, out_channels=1)
