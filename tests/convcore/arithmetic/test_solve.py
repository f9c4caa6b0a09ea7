"""convcore.arithmetic.solve: every returned setting really gives its output; "none exists" really means none."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from convcore.arithmetic import shapes, solve


def _forward(op: str, size: int, s: solve.Setting) -> int:
    if op == "conv":
        return shapes.conv_output_size(
            size, kernel_size=s.kernel_size, stride=s.stride, padding=s.padding, dilation=s.dilation
        )
    if op == "pool":
        return shapes.pool_output_size(
            size, kernel_size=s.kernel_size, stride=s.stride, padding=s.padding, dilation=s.dilation
        )
    return shapes.conv_transpose_output_size(
        size,
        kernel_size=s.kernel_size,
        stride=s.stride,
        padding=s.padding,
        output_padding=s.output_padding,
        dilation=s.dilation,
    )


def test_padding_for_224_to_112_with_a_7x7_stride_2() -> None:
    answer = solve.solve(224, 112, kernel_size=7, stride=2, dilation=1)
    assert answer.exact
    assert answer.settings == [solve.Setting(7, 2, 3, 1, 112, 0)]


def test_same_size_3x3_prefers_padding_1() -> None:
    first = solve.solve(32, 32, kernel_size=3).settings[0]
    assert (first.kernel_size, first.stride, first.padding, first.dilation) == (3, 1, 1, 1)


def test_halving_pool_prefers_2x2_stride_2() -> None:
    first = solve.solve(32, 16, op="pool").settings[0]
    assert (first.kernel_size, first.stride, first.padding) == (2, 2, 0)


def test_transposed_doubling() -> None:
    first = solve.solve(5, 10, op="conv_transpose", kernel_size=3, stride=2, dilation=1).settings[0]
    assert (first.padding, first.output_padding, first.output_size) == (1, 1, 10)
    x, w = torch.zeros(1, 1, 5), torch.zeros(1, 1, 3)
    assert F.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1).shape[-1] == 10


def test_none_exists_returns_the_nearest() -> None:
    answer = solve.solve(10, 9, kernel_size=3, stride=2, padding=0, dilation=1)
    assert not answer.exact
    assert answer.settings == [solve.Setting(3, 2, 0, 1, 4, 1)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"op": "deconv"}, "op must be one of conv, pool, conv_transpose"),
        ({"kernel_size": 0}, "kernel_size must be at least 1, got 0"),
        ({"padding": -1}, "padding must not be negative, got -1"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solve.solve(8, 4, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input and output sizes must be at least 1"):
        solve.solve(0, 4)


@settings(max_examples=150)
@given(
    op=st.sampled_from(solve.OPS),
    size=st.integers(1, 40),
    output=st.integers(1, 80),
    kernel=st.none() | st.integers(1, 7),
    stride=st.none() | st.integers(1, 4),
    dilation=st.none() | st.integers(1, 3),
)
def test_every_setting_round_trips(
    op: str, size: int, output: int, kernel: int | None, stride: int | None, dilation: int | None
) -> None:
    answer = solve.solve(size, output, op=op, kernel_size=kernel, stride=stride, dilation=dilation)
    for setting in answer.settings:
        assert _forward(op, size, setting) == setting.output_size
        assert (setting.output_size == output) is answer.exact
        for fixed, value in ((kernel, setting.kernel_size), (stride, setting.stride), (dilation, setting.dilation)):
            assert fixed is None or fixed == value
    if answer.exact:
        assert len(answer.settings) <= solve.MAX_SOLUTIONS


@settings(max_examples=150)
@given(size=st.integers(1, 40), output=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4))
def test_conv_none_exists_means_no_padding_works(size: int, output: int, kernel: int, stride: int) -> None:
    """Padding is the free parameter here; brute force over every padding that could matter."""
    answer = solve.solve(size, output, kernel_size=kernel, stride=stride, dilation=1)
    works = []
    for p in range(0, output * stride + kernel + 1):
        try:
            if shapes.conv_output_size(size, kernel_size=kernel, stride=stride, padding=p) == output:
                works.append(p)
        except ValueError:
            pass
    assert answer.exact is bool(works)
    if works:
        assert sorted(s.padding for s in answer.settings) == works[: solve.MAX_SOLUTIONS]


@settings(max_examples=100)
@given(size=st.integers(1, 30), output=st.integers(1, 30), kernel=st.integers(1, 5), stride=st.integers(1, 3))
def test_conv_answers_agree_with_torch(size: int, output: int, kernel: int, stride: int) -> None:
    for setting in solve.solve(size, output, kernel_size=kernel, stride=stride).settings:
        x = torch.zeros(1, 1, size)
        w = torch.zeros(1, 1, setting.kernel_size)
        got = F.conv1d(x, w, stride=setting.stride, padding=setting.padding, dilation=setting.dilation).shape[-1]
        assert got == setting.output_size


@pytest.mark.parametrize("op", solve.OPS)
@pytest.mark.parametrize("fixed", [{"stride": 4096}, {"dilation": 4096}, {"stride": 512, "padding": 4096}, {}])
def test_work_is_bounded_whatever_the_stride(op: str, fixed: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the fuzz: stride 512 made the transposed search try every padding × output_padding (minutes)."""
    calls = 0
    forward = solve._setting

    def counted(*args: object) -> solve.Setting | None:
        nonlocal calls
        calls += 1
        return forward(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(solve, "_setting", counted)
    answer = solve.solve(600, 1024, op=op, **fixed)  # type: ignore[arg-type]
    assert calls <= solve.MAX_KERNEL * solve.MAX_STRIDE * solve.MAX_DILATION * (solve.MAX_SOLUTIONS + 2)
    for setting in answer.settings:
        assert _forward(op, 600, setting) == setting.output_size


def test_transposed_picks_the_output_padding_that_reaches_the_size() -> None:
    answer = solve.solve(600, 1024, op="conv_transpose", kernel_size=3, stride=512, dilation=1)
    assert answer.exact
    for setting in answer.settings:
        x, w = torch.zeros(1, 1, 600), torch.zeros(1, 1, 3)
        got = F.conv_transpose1d(
            x, w, stride=512, padding=setting.padding, output_padding=setting.output_padding
        ).shape[-1]
        assert got == 1024
