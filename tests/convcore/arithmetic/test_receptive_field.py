"""convcore.arithmetic.receptive_field on hand-built networks with exact values, and against autograd's support."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from convcore.arithmetic import receptive_field as rf
from convcore.arithmetic.receptive_field import Window


def _field(*windows: tuple[int, int, int]) -> rf.AxisField:
    return rf.chain([Window(*w) for w in windows])[-1]


def test_two_3x3_convs_see_5() -> None:
    assert _field((3, 1, 0), (3, 1, 0)) == rf.AxisField(5, 1, 0)


def test_strided_then_3x3_sees_7_with_jump_2() -> None:
    assert _field((3, 2, 0), (3, 1, 0)) == rf.AxisField(7, 2, 0)


def test_vgg16_pool5() -> None:
    conv, pool = (3, 1, 1), (2, 2, 0)
    blocks = [[conv] * 2, [conv] * 2, [conv] * 3, [conv] * 3, [conv] * 3]
    windows = [w for block in blocks for w in [*block, pool]]
    assert _field(*windows) == rf.AxisField(212, 32, 90)


def test_alexnet_conv1_pool1_conv2() -> None:
    # torchvision AlexNet: conv 11/4 p2, max pool 3/2, conv 5 p2
    assert _field((11, 4, 2), (3, 2, 0), (5, 1, 2)) == rf.AxisField(51, 8, 18)


def test_resnet_stem() -> None:
    assert _field((7, 2, 3), (3, 2, 1)) == rf.AxisField(11, 4, 5)


def test_dilation_enters_as_the_effective_kernel() -> None:
    # three 3×3 convolutions with dilation 1, 2, 4 (effective 3, 5, 9): r = 1 + 2 + 4 + 8 = 15
    assert _field((3, 1, 1), (5, 1, 2), (9, 1, 4)) == rf.AxisField(15, 1, 7)


def test_one_formula_per_function() -> None:
    previous, window = rf.AxisField(7, 2, 3), Window(3, 2, 1)
    assert rf.size_after(previous, window) == 7 + 2 * 2
    assert rf.stride_after(previous, window) == 4
    assert rf.padding_after(previous, window) == 3 + 1 * 2
    assert rf.compose(previous, window) == rf.AxisField(11, 4, 5)


def test_interval_centre_and_clip() -> None:
    field = rf.AxisField(11, 4, 5)
    assert field.interval(0) == (-5, 5)
    assert field.interval(3) == (7, 17)
    assert field.center(3) == 12.0
    assert rf.AxisField(4, 2, 1).center(0) == 0.5
    assert rf.clip((-5, 5), 224) == (0, 5)
    assert rf.clip((220, 230), 224) == (220, 223)
    assert rf.clip((-3, -1), 224) is None
    assert rf.clip((224, 226), 224) is None


def _support_and_field(
    layers: list[tuple[int, int, int, int]], size: int, data: st.DataObject
) -> tuple[np.ndarray, rf.AxisField, int] | None:
    """All-ones 1-D convolutions (linear, nothing cancels): the input taps output u depends on, and its field."""
    modules, windows = [], []
    for k, s, d, p in layers:
        conv = torch.nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d, bias=False).double()
        torch.nn.init.ones_(conv.weight)
        modules.append(conv)
        windows.append(Window(d * (k - 1) + 1, s, p))
    x = torch.ones(1, 1, size, dtype=torch.float64, requires_grad=True)
    try:
        y = torch.nn.Sequential(*modules)(x)
    except RuntimeError:
        return None
    u = data.draw(st.integers(0, y.shape[-1] - 1))
    y[0, 0, u].backward()
    return np.flatnonzero(x.grad[0, 0].numpy()), rf.chain(windows)[-1], u  # type: ignore[union-attr]


# Layers whose stride is at most their kernel, so no input position between windows is skipped.
_no_gaps = st.integers(1, 4).flatmap(lambda k: st.tuples(st.just(k), st.integers(1, k), st.just(1), st.just(0)))
_padded_first = st.integers(1, 4).flatmap(
    lambda k: st.tuples(st.just(k), st.integers(1, k), st.just(1), st.integers(0, k - 1))
)


@settings(max_examples=150)
@given(first=_padded_first, rest=st.lists(_no_gaps, max_size=2), size=st.integers(8, 30), data=st.data())
def test_clipped_interval_is_the_support_of_the_gradient(
    first: tuple[int, int, int, int], rest: list[tuple[int, int, int, int]], size: int, data: st.DataObject
) -> None:
    """Without dilation or gaps every position of the field is read, so the gradient's support is the clipped
    interval. (A stride larger than the kernel leaves unread positions inside it: the "gaps" warning. Padding
    in a later layer adds zeros the formulas treat as if they had a field: Distill's box is geometric.)"""
    layers = [first, *rest]
    found = _support_and_field(layers, size, data)
    if found is None:
        return
    support, field, u = found
    clipped = rf.clip(field.interval(u), size)
    if support.size == 0:
        assert clipped is None, (layers, size, u, field)
        return
    assert (int(support[0]), int(support[-1])) == clipped
    assert support.size == clipped[1] - clipped[0] + 1  # type: ignore[index]


@settings(max_examples=150)
@given(
    layers=st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.just(0)), min_size=1, max_size=3
    ),
    size=st.integers(8, 40),
    data=st.data(),
)
def test_dilated_interval_ends_on_taps(layers: list[tuple[int, int, int, int]], size: int, data: st.DataObject) -> None:
    """With dilation the field has holes, but its first and last positions are taps: the span of the support."""
    found = _support_and_field(layers, size, data)
    if found is None:
        return
    support, field, u = found
    assert (int(support[0]), int(support[-1])) == field.interval(u), (layers, size, u, field)


@pytest.mark.parametrize("index", [0, 5, 13])
def test_center_is_the_middle_of_the_interval(index: int) -> None:
    field = rf.AxisField(10, 3, 4)
    start, end = field.interval(index)
    assert field.center(index) == (start + end) / 2
