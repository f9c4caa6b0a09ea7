"""convcore.arithmetic.shapes against the shapes torch really produces, over thousands of generated configurations.

Oracle: F.conv1d / conv_transpose1d / max_pool1d / avg_pool1d (and the 2-D ops for pairs) on zero tensors.
Where torch raises, convcore must raise ValueError; where torch answers, convcore gives the same length.
"""

import math
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from convcore.arithmetic import shapes

SIZES = st.integers(1, 40)
KERNELS = st.integers(1, 9)
STRIDES = st.integers(1, 6)
PADDINGS = st.integers(0, 6)
DILATIONS = st.integers(1, 4)


def _zeros(size: int) -> torch.Tensor:
    return torch.zeros(1, 1, size, dtype=torch.float64)


def _torch_or_none(op: object) -> int | None:
    try:
        return int(op())  # type: ignore[operator]
    except RuntimeError:
        return None


def _ours_or_none(op: object) -> int | None:
    try:
        return int(op())  # type: ignore[operator]
    except ValueError:
        return None


@settings(max_examples=1500)
@given(size=SIZES, k=KERNELS, s=STRIDES, p=PADDINGS, d=DILATIONS)
def test_conv_output_size_matches_torch(size: int, k: int, s: int, p: int, d: int) -> None:
    w = torch.zeros(1, 1, k, dtype=torch.float64)
    expected = _torch_or_none(lambda: F.conv1d(_zeros(size), w, stride=s, padding=p, dilation=d).shape[-1])
    got = _ours_or_none(lambda: shapes.conv_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d))
    assert got == expected


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@settings(max_examples=300)
@given(size=SIZES, k=KERNELS, d=DILATIONS)
def test_same_padding_keeps_the_size_like_torch(size: int, k: int, d: int) -> None:
    before, after = shapes.same_padding(k, d)
    assert before + after == d * (k - 1)
    assert after - before in (0, 1)
    w = torch.ones(1, 1, k, dtype=torch.float64)
    x = torch.arange(size, dtype=torch.float64)[None, None]
    same = F.conv1d(x, w, padding="same", dilation=d)
    explicit = F.conv1d(F.pad(x, (before, after)), w, dilation=d)
    assert shapes.conv_output_size(size, kernel_size=k, padding=(before, after), dilation=d) == size
    torch.testing.assert_close(same, explicit, rtol=0, atol=0)


@settings(max_examples=1500)
@given(size=SIZES, k=KERNELS, s=STRIDES, p=PADDINGS, d=DILATIONS, extra=st.integers(0, 6))
def test_conv_transpose_output_size_matches_torch(size: int, k: int, s: int, p: int, d: int, extra: int) -> None:
    w = torch.zeros(1, 1, k, dtype=torch.float64)
    expected = _torch_or_none(
        lambda: F.conv_transpose1d(_zeros(size), w, stride=s, padding=p, output_padding=extra, dilation=d).shape[-1]
    )
    got = _ours_or_none(
        lambda: shapes.conv_transpose_output_size(
            size, kernel_size=k, stride=s, padding=p, output_padding=extra, dilation=d
        )
    )
    assert got == expected


@settings(max_examples=2000)
@given(size=SIZES, k=KERNELS, s=STRIDES | st.none(), p=PADDINGS, d=DILATIONS, ceil=st.booleans())
def test_max_pool_output_size_matches_torch(size: int, k: int, s: int | None, p: int, d: int, ceil: bool) -> None:
    expected = _torch_or_none(
        lambda: F.max_pool1d(_zeros(size), k, stride=s, padding=p, dilation=d, ceil_mode=ceil).shape[-1]
    )
    got = _ours_or_none(
        lambda: shapes.pool_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    )
    assert got == expected


@settings(max_examples=1500)
@given(size=SIZES, k=KERNELS, s=STRIDES | st.none(), p=PADDINGS, ceil=st.booleans())
def test_avg_pool_output_size_matches_torch(size: int, k: int, s: int | None, p: int, ceil: bool) -> None:
    expected = _torch_or_none(lambda: F.avg_pool1d(_zeros(size), k, stride=s, padding=p, ceil_mode=ceil).shape[-1])
    got = _ours_or_none(lambda: shapes.pool_output_size(size, kernel_size=k, stride=s, padding=p, ceil_mode=ceil))
    assert got == expected


@settings(max_examples=500)
@given(size=SIZES, k=KERNELS, s=STRIDES, d=DILATIONS, upper=st.booleans())
def test_auto_pad_same_gives_ceil_of_size_over_stride(size: int, k: int, s: int, d: int, upper: bool) -> None:
    before, after = shapes.auto_pad_same(size, kernel_size=k, stride=s, dilation=d, upper=upper)
    assert shapes.conv_output_size(size, kernel_size=k, stride=s, padding=(before, after), dilation=d) == -(-size // s)
    assert 0 <= after - before <= 1 if upper else 0 <= before - after <= 1
    if s == 1 and upper:
        assert (before, after) == shapes.same_padding(k, d)


@settings(max_examples=1000)
@given(size=SIZES, k=KERNELS, s=STRIDES, p=PADDINGS, d=DILATIONS, ceil=st.booleans())
def test_pool_window_count_is_the_rounded_formula(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> None:
    exact = Fraction(size + 2 * p - d * (k - 1) - 1, s)
    accepted = _ours_or_none(lambda: shapes.pool_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d))
    if accepted is None:  # pooling refuses these settings (padding over half the kernel, a window too large)
        return
    got = shapes.pool_window_count(size, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    assert got == (math.ceil(exact) if ceil else math.floor(exact)) + 1
    dropped = got - shapes.pool_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    assert dropped == (1 if ceil and (got - 1) * s >= size + p else 0)


@pytest.mark.parametrize(
    ("size", "k", "s", "p", "expected"),
    [
        (5, 2, 2, 0, 3),  # the last window starts at 4, inside the image: kept
        (5, 2, 2, 1, 3),  # ceil would give 4, but the 4th window would start in the right padding: dropped
        (6, 3, 3, 1, 3),
        (7, 3, 2, 1, 4),
        (1, 1, 2, 0, 1),
    ],
)
def test_ceil_mode_edge_cases(size: int, k: int, s: int, p: int, expected: int) -> None:
    got = shapes.pool_output_size(size, kernel_size=k, stride=s, padding=p, ceil_mode=True)
    assert got == expected == F.max_pool1d(_zeros(size), k, stride=s, padding=p, ceil_mode=True).shape[-1]


@settings(max_examples=500)
@given(h=SIZES, w=SIZES, kh=KERNELS, kw=KERNELS, s=STRIDES, p=PADDINGS, d=DILATIONS)
def test_non_square_conv2d_is_per_axis(h: int, w: int, kh: int, kw: int, s: int, p: int, d: int) -> None:
    weight = torch.zeros(1, 1, kh, kw, dtype=torch.float64)
    x = torch.zeros(1, 1, h, w, dtype=torch.float64)
    try:
        expected: tuple[int, ...] | None = tuple(
            F.conv2d(x, weight, stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[-2:]
        )
    except RuntimeError:
        expected = None
    try:
        got: tuple[int, ...] | None = (
            shapes.conv_output_size(h, kernel_size=kh, stride=s, padding=p, dilation=d),
            shapes.conv_output_size(w, kernel_size=kw),
        )
    except ValueError:
        got = None
    assert got == expected


@settings(max_examples=500)
@given(size=SIZES, k=KERNELS, s=STRIDES, p=PADDINGS, d=DILATIONS)
def test_unused_rows_are_the_tail_after_the_last_window(size: int, k: int, s: int, p: int, d: int) -> None:
    try:
        out = shapes.conv_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d)
    except ValueError:
        return
    # Brute force: the last padded position any tap of any window reads.
    last_read = max(i * s + t * d for i in range(out) for t in range(k))
    unused = size + 2 * p - 1 - last_read
    assert shapes.unread(size, kernel_size=k, stride=s, padding=p, dilation=d)[0] == unused
    assert shapes.unread(size, kernel_size=k, stride=s, padding=p, dilation=d)[1] == max(0, unused - p)
    assert 0 <= unused < s


def test_design_example_unused() -> None:
    assert shapes.conv_output_size(224, kernel_size=7, stride=2, padding=3) == 112
    assert shapes.unread(224, kernel_size=7, stride=2, padding=3)[0] == 1
    assert shapes.unread(224, kernel_size=7, stride=2, padding=3)[1] == 0
    assert shapes.unread(7, kernel_size=3, stride=3)[1] == 1


@settings(max_examples=200)
@given(
    c_in=st.integers(1, 12),
    c_out=st.integers(1, 12),
    kh=KERNELS,
    kw=KERNELS,
    groups=st.integers(1, 4),
    bias=st.booleans(),
)
def test_params_match_torch_modules(c_in: int, c_out: int, kh: int, kw: int, groups: int, bias: bool) -> None:
    try:
        conv = torch.nn.Conv2d(c_in, c_out, (kh, kw), groups=groups, bias=bias)
        transposed = torch.nn.ConvTranspose2d(c_in, c_out, (kh, kw), groups=groups, bias=bias)
    except ValueError:
        with pytest.raises(ValueError, match="divisible by groups"):
            shapes.check_groups(c_in, c_out, groups)
        return
    assert shapes.conv_params(c_in, c_out, (kh, kw), groups=groups, bias=bias) == sum(
        p.numel() for p in conv.parameters()
    )
    assert shapes.conv_transpose_params(c_in, c_out, (kh, kw), groups=groups, bias=bias) == sum(
        p.numel() for p in transposed.parameters()
    )


def test_other_params_match_torch() -> None:
    assert shapes.linear_params(7, 5) == sum(p.numel() for p in torch.nn.Linear(7, 5).parameters())
    assert shapes.linear_params(7, 5, bias=False) == 35
    assert shapes.batch_norm_params(6) == sum(p.numel() for p in torch.nn.BatchNorm2d(6).parameters())
    assert shapes.batch_norm_params(6, affine=False) == 0


def test_macs_count_every_multiply() -> None:
    # 64 output maps of 112×112, each a 3×7×7 dot product
    assert shapes.conv_macs(3, 64, (7, 7), (112, 112)) == 112 * 112 * 64 * 3 * 49
    # depthwise: one input channel per output channel
    assert shapes.conv_macs(32, 32, (3, 3), (10, 10), groups=32) == 100 * 32 * 9
    assert shapes.conv_transpose_macs(4, 2, (3, 3), (5, 5)) == 25 * 4 * 2 * 9
    assert shapes.linear_macs(7, 5) == 35
    # any number of spatial axes: a Conv3d's weight (8, 2, 3, 3, 3) on a 4×4×4 output
    assert shapes.weight_macs((8, 2, 3, 3, 3), 64) == 64 * 8 * 2 * 27


@pytest.mark.parametrize(
    ("left", "right", "equation"),
    [((5, 7), (7, 4), "ik,kj->ij"), ((2, 3, 5, 7), (2, 3, 7, 4), "bhik,bhkj->bhij"), ((6, 9), (9, 1), "ik,kj->ij")],
)
def test_matmul_macs_match_torch_flop_counter(left: tuple[int, ...], right: tuple[int, ...], equation: str) -> None:
    """Oracle: torch's FlopCounterMode, which counts two FLOPs (a multiply and an add) per multiply-accumulate."""
    a, b = torch.zeros(left, dtype=torch.float64), torch.zeros(right, dtype=torch.float64)
    for product in (torch.matmul, lambda x, y: torch.einsum(equation, x, y)):
        with FlopCounterMode(display=False) as counter:
            out = product(a, b)
        assert out.shape == (*left[:-1], right[-1])
        assert counter.get_total_flops() == 2 * shapes.matmul_macs(out.shape, left[-1])
    assert shapes.matmul_macs((3, 5), 7) == 3 * shapes.linear_macs(7, 5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: shapes.conv_output_size(0, kernel_size=3), "input size must be at least 1, got 0"),
        (lambda: shapes.conv_output_size(8, kernel_size=0), "kernel_size must be at least 1, got 0"),
        (lambda: shapes.conv_output_size(8, kernel_size=3, stride=0), "stride must be at least 1, got 0"),
        (lambda: shapes.conv_output_size(8, kernel_size=3, padding=-1), "padding must not be negative, got -1"),
        (lambda: shapes.conv_output_size(8, kernel_size=3, dilation=0), "dilation must be at least 1, got 0"),
        (lambda: shapes.conv_output_size(2, kernel_size=3), "make the kernel or dilation smaller"),
        (lambda: shapes.pool_output_size(8, kernel_size=2, padding=2), "at most half the kernel size"),
        (
            lambda: shapes.conv_transpose_output_size(4, kernel_size=3, stride=2, output_padding=2),
            "output_padding must be smaller than stride or dilation",
        ),
        (lambda: shapes.check_groups(3, 4, 2), r"in_channels \(3\) must be divisible by groups \(2\)"),
        (lambda: shapes.check_groups(4, 3, 2), r"out_channels \(3\) must be divisible by groups \(2\)"),
    ],
)
def test_bad_input_messages(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_as_pair() -> None:
    assert shapes.as_pair(3, "k") == (3, 3)
    assert shapes.as_pair((2, 5), "k") == (2, 5)
    assert shapes.as_pair([2, 5], "k") == (2, 5)
    for bad in (True, (1, 2, 3), "3", (1.0, 2), (True, 1)):
        with pytest.raises(ValueError, match="k must be an integer"):
            shapes.as_pair(bad, "k")  # type: ignore[arg-type]
    assert shapes.effective_kernel_size(3, 2) == 5


@pytest.mark.parametrize(
    ("size", "kernel_size", "stride", "padding", "expected_output", "expected_unused"),
    [
        (1, 2, 2, 0, 1, 0),  # the only window starts inside and runs past the end
        (5, 2, 2, 0, 3, 0),  # ceil adds a last window over row 4
        (5, 2, 2, 1, 3, 1),  # the window that would start in the right padding is dropped
    ],
)
def test_unused_input_with_ceil_mode(
    size: int, kernel_size: int, stride: int, padding: int, expected_output: int, expected_unused: int
) -> None:
    window = {"kernel_size": kernel_size, "stride": stride, "padding": padding}
    assert shapes.pool_output_size(size, **window, ceil_mode=True) == expected_output
    assert shapes.unread(size, **window, ceil_mode=True)[0] == expected_unused
