"""convcore.operations.equivariance against torch (float64): the stack, Zhang's blur-pool, shifts, the trusted region,
pooling's invariance and the transforms; and the lesson's claims, measured."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from convcore.operations import equivariance as eq

F = nn.functional


def smooth_image(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    image = 0.5 + 0.3 * np.sin(xx / 3.0) * np.cos(yy / 5.0) + 0.2 * rng.random((h, w))
    return image[None]


def torch_stack(net: eq.EquivarianceNet, image: np.ndarray) -> list[np.ndarray]:
    """The same stack written with torch modules in float64: Conv2d → ReLU → blur (depthwise) → stride."""
    y = torch.from_numpy(image)[None]
    outputs = []
    for i, weight in enumerate(net.weights):
        k = weight.shape[-1]
        conv = nn.Conv2d(weight.shape[1], weight.shape[0], k, padding=k // 2, bias=False).double()
        conv.weight.data = torch.from_numpy(weight)
        y = conv(y)
        if i == 0 or i < len(net.weights) - 1:
            y = torch.relu(y)
        if i == 0:
            if net.blur > 1:
                b = torch.tensor(
                    [[1.0, 2.0, 1.0]] if net.blur == 3 else [[1.0, 4.0, 6.0, 4.0, 1.0]], dtype=torch.float64
                )
                kernel = (b.T @ b) / (b.sum() ** 2)
                blur = nn.Conv2d(y.shape[1], y.shape[1], net.blur, padding=net.blur // 2, groups=y.shape[1], bias=False)
                blur.weight.data = kernel.expand(y.shape[1], 1, net.blur, net.blur).double().clone()
                y = blur(y)
            y = y[:, :, :: net.stride, :: net.stride]
        outputs.append(y[0].detach().numpy())
    return outputs


@pytest.mark.parametrize(
    ("layers", "kernel_size", "stride", "blur"), [(1, 3, 1, 1), (3, 3, 2, 1), (2, 5, 2, 3), (3, 3, 3, 5)]
)
def test_run_equals_torch_modules(layers: int, kernel_size: int, stride: int, blur: int) -> None:
    net = eq.make_net(layers=layers, channels=3, kernel_size=kernel_size, stride=stride, blur=blur, seed=1)
    image = smooth_image(20, 17)
    got = eq.run(net, image)
    expected = torch_stack(net, image)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)  # computed in float32


def test_strided_conv_without_blur_is_torchs_strided_conv() -> None:
    net = eq.make_net(layers=1, channels=2, kernel_size=3, stride=2, blur=1, seed=4)
    image = smooth_image(15, 12)
    strided = F.conv2d(
        torch.from_numpy(image)[None],
        torch.from_numpy(net.weights[0]),
        stride=2,
        padding=1,
    )
    np.testing.assert_allclose(eq.run(net, image)[0], torch.relu(strided)[0].numpy(), rtol=1e-5, atol=1e-5)


def test_binomial_filters() -> None:
    np.testing.assert_array_equal(eq.binomial_filter(3) * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert eq.binomial_filter(5).sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(eq.binomial_filter(1), [[1.0]])
    with pytest.raises(ValueError, match="blur must be one of 1, 3, 5"):
        eq.binomial_filter(4)


def test_shift_moves_content_and_fills_zeros() -> None:
    x = np.arange(12.0).reshape(3, 4) + 1
    np.testing.assert_array_equal(eq.shift(x, 1, -1), [[0, 0, 0, 0], [2, 3, 4, 0], [6, 7, 8, 0]])
    assert not eq.shift(x, 3, 0).any()
    np.testing.assert_array_equal(eq.shift(x, 0, 0), x)


def test_trusted_region_is_where_padding_never_reached() -> None:
    net = eq.make_net(layers=2, channels=1, kernel_size=3, stride=1, blur=1, seed=0)
    region = eq.trusted(net, np.ones(10, dtype=bool), np.ones(9, dtype=bool))
    # two 3×3 layers: a border of 2 is touched by padding
    expected = np.zeros((10, 9), dtype=bool)
    expected[2:-2, 2:-2] = True
    np.testing.assert_array_equal(region, expected)
    # the oracle: an output is trusted iff its gradient never reaches a padded zero, i.e. perturbing the
    # padding (here: padding with ones instead of zeros) leaves it unchanged
    image = smooth_image(10, 9)
    x = torch.from_numpy(image)[None]
    w = torch.from_numpy(net.weights[0])
    w2 = torch.from_numpy(net.weights[1])
    zero = F.conv2d(torch.relu(F.conv2d(x, w, padding=1)), w2, padding=1)
    ones = F.conv2d(F.pad(torch.relu(F.conv2d(F.pad(x, (1, 1, 1, 1), value=1.0), w)), (1, 1, 1, 1), value=1.0), w2)
    changed = (zero - ones).abs()[0, 0].numpy() > 0
    np.testing.assert_array_equal(region, ~changed)


@pytest.mark.parametrize(("dy", "dx"), [(0, 1), (1, 0), (3, -2), (-4, 5)])
def test_stride_1_is_exactly_equivariant_inside_the_region(dy: int, dx: int) -> None:
    net = eq.make_net(layers=3, channels=4, kernel_size=3, stride=1, blur=1, seed=2)
    image = smooth_image(40, 36)
    comparison, output_shift = eq.compare_shift(net, image, dy, dx)
    assert output_shift == (dy, dx)
    assert comparison.max_error_inside == 0.0
    assert comparison.max_error_outside > 0.0  # padding made the border differ
    region = comparison.region
    assert region.sum() == (40 - 6 - abs(dy)) * (36 - 6 - abs(dx))


def test_stride_2_aliases_and_blur_helps() -> None:
    image = smooth_image(64, 64, seed=3)
    errors = {}
    for blur in (1, 3, 5):
        net = eq.make_net(layers=2, channels=4, kernel_size=3, stride=2, blur=blur, seed=5)
        even, even_shift = eq.compare_shift(net, image, 0, 2)
        assert even_shift == (0, 1)
        assert even.max_error_inside == 0.0  # a multiple of the stride is a shifted copy
        odd, _ = eq.compare_shift(net, image, 0, 1)
        assert odd.max_error_inside > 0.0
        errors[blur] = odd.relative_error
    assert errors[5] < errors[3] < errors[1]


def test_max_pool_unchanged_against_torch() -> None:
    rng = np.random.default_rng(7)
    feature = np.maximum(rng.standard_normal((16, 16)), 0)
    fractions = eq.max_pool_unchanged(feature, 2, [0, 1, 2])
    assert fractions[0] == 1.0
    pooled = F.max_pool2d(torch.from_numpy(feature)[None, None], 2)[0, 0].numpy()
    moved = F.max_pool2d(torch.from_numpy(eq.shift(feature, 0, 1))[None, None], 2)[0, 0].numpy()
    # a right shift by 1 fills column 0: the first column of windows is left out
    assert fractions[1] == pytest.approx(float((moved == pooled)[:, 1:].mean()))
    # a shift by the pool size moves every window to its neighbour: unchanged only where neighbours agree
    moved2 = F.max_pool2d(torch.from_numpy(eq.shift(feature, 0, 2))[None, None], 2)[0, 0].numpy()
    assert fractions[2] == pytest.approx(float((moved2 == pooled)[:, 1:].mean()))


def test_max_pool_is_more_invariant_than_no_pool() -> None:
    net = eq.make_net(layers=1, channels=1, kernel_size=3, stride=1, blur=1, seed=0)
    feature = eq.run(net, smooth_image(64, 64))[0][0]
    none = eq.max_pool_unchanged(feature, 1, [1])[0]
    pooled = eq.max_pool_unchanged(feature, 4, [1])[0]
    assert pooled > none


def test_gap_is_invariant_to_circular_shifts_only() -> None:
    feature = eq.run(eq.make_net(layers=2, channels=3, kernel_size=3, stride=1, blur=1, seed=0), smooth_image(24, 24))[
        -1
    ]
    circular, filled = eq.gap_shift_differences(feature, 3, -5)
    expected = F.adaptive_avg_pool2d(torch.from_numpy(np.roll(feature, (3, -5), axis=(1, 2))).double(), 1).flatten()
    reference = F.adaptive_avg_pool2d(torch.from_numpy(feature).double(), 1).flatten()
    assert circular == pytest.approx(float((expected - reference).abs().max()), abs=1e-6)
    assert circular < 1e-6  # float32 sums in another order: rounding only
    assert filled > 1e-3


@pytest.mark.parametrize("transform", ["rot90", "rot180", "flip", "scale2"])
def test_rotation_flip_scaling_are_not_equivariances(transform: str) -> None:
    net = eq.make_net(layers=2, channels=2, kernel_size=3, stride=1, blur=1, seed=6)
    comparison = eq.compare_transform(net, smooth_image(32, 32, seed=1), transform)
    assert comparison.region.any()
    assert comparison.relative_error > 0.05


def test_a_symmetric_kernel_is_rotation_equivariant() -> None:
    # the control experiment: a kernel that is itself invariant to the rotation gives 0
    net = eq.make_net(layers=1, channels=1, kernel_size=3, stride=1, blur=1, seed=0)
    symmetric = eq.EquivarianceNet((np.ones((1, 1, 3, 3)) / 9,), 1, 1)
    comparison = eq.compare_transform(symmetric, smooth_image(16, 16), "rot90")
    assert comparison.max_error_inside < 1e-6
    assert eq.compare_transform(net, smooth_image(16, 16), "rot90").max_error_inside > 1e-3


def test_make_net_bounds() -> None:
    with pytest.raises(ValueError, match="layers must be between 1 and 3"):
        eq.make_net(layers=4, channels=1, kernel_size=3, stride=1, blur=1, seed=0)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        eq.make_net(layers=1, channels=1, kernel_size=2, stride=1, blur=1, seed=0)
    with pytest.raises(ValueError, match="transform must be one of"):
        eq.compare_transform(
            eq.make_net(layers=1, channels=1, kernel_size=3, stride=1, blur=1, seed=0), smooth_image(8, 8), "shear"
        )


@given(st.lists(st.booleans(), min_size=1, max_size=20), st.sampled_from([1, 3, 5, 7]))
def test_erode_equals_the_obvious_window_test(values: list[bool], size: int) -> None:
    mask = np.array(values, dtype=bool)
    p = size // 2
    obvious = np.lib.stride_tricks.sliding_window_view(np.pad(mask, p), size).all(axis=-1)
    np.testing.assert_array_equal(eq.erode(mask, size), obvious)
