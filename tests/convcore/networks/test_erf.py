"""The effective receptive field: its support against the theoretical box, its values against torch float64."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from convcore.networks.erf import effective_receptive_field
from convcore.networks.layers import Shape
from convcore.networks.network import build_network
from convcore.networks.stack import region


def nonzero_kernel(out_channels: int, in_channels: int, kh: int, kw: int, seed: int) -> list:
    # Weights bounded away from zero, so no tap of the box can have a zero gradient by accident.
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(0.5, 1.5, (out_channels, in_channels, kh, kw))
    return (magnitude * rng.choice([-1.0, 1.0], magnitude.shape)).tolist()


@given(
    k=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    data=st.data(),
)
def test_single_conv_layer_erf_support_is_the_clipped_theoretical_box(k, s, p, d, data) -> None:  # type: ignore[no-untyped-def]
    # A dilated kernel has holes; where the image edge cuts the box at a hole, the support stops at the
    # last real tap, so dilated layers are tested without padding (the box's ends are then taps).
    p = (min(p[0], (k[0] - 1) // 2), min(p[1], (k[1] - 1) // 2)) if d == (1, 1) else (0, 0)
    shape = Shape(2, 12, 10)
    layer = {"type": "conv2d", "out_channels": 1, "kernel_size": list(k), "stride": list(s), "padding": list(p),
             "dilation": list(d), "kernels": nonzero_kernel(1, 2, *k, seed=0)}  # fmt: skip
    net = build_network([layer], shape)
    out = net.results[0].output
    row = data.draw(st.integers(0, out.height - 1))
    col = data.draw(st.integers(0, out.width - 1))
    image = np.random.default_rng(1).random((2, 12, 10)).astype(np.float32)
    erf = effective_receptive_field(net, image, layer_index=0, row=row, col=col)
    box = region(net.layers, shape, (row, col))
    assert erf.support == box.clipped
    (r0, r1), (c0, c1) = box.unclipped
    if d == (1, 1):
        (r0, r1), (c0, c1) = box.clipped
    taps = ((r1 - r0) // d[0] + 1) * ((c1 - c0) // d[1] + 1)
    assert np.count_nonzero(erf.heatmap) == taps
    assert erf.heatmap.max() == pytest.approx(1.0)


def test_erf_equals_the_torch_float64_gradient_through_a_deeper_stack() -> None:
    shape = Shape(3, 20, 18)
    layers = [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "avg_pool2d", "kernel_size": 2},
        {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "dilation": 2, "padding": 2},
    ]
    net = build_network(layers, shape, seed=3)
    image = np.random.default_rng(2).random((3, 20, 18)).astype(np.float32)
    erf = effective_receptive_field(net, image, layer_index=3, row=4, col=5, channel=1)

    x = torch.from_numpy(image.astype(np.float64))[None].requires_grad_(True)
    w0, w3 = (net.steps[i].weight.double() for i in (0, 3))  # type: ignore[union-attr]
    y = torch.nn.functional.conv2d(x, w0, torch.zeros(4, dtype=torch.float64), padding=1)
    y = torch.nn.functional.avg_pool2d(torch.relu(y), 2)
    y = torch.nn.functional.conv2d(y, w3, torch.zeros(2, dtype=torch.float64), padding=2, dilation=2)
    (grad,) = torch.autograd.grad(y[0, 1, 4, 5], x)
    expected = grad[0].abs().sum(0).numpy()
    assert erf.heatmap.shape == expected.shape == (20, 18)
    assert erf.peak == pytest.approx(expected.max(), rel=1e-5)
    np.testing.assert_allclose(erf.heatmap, expected / expected.max(), rtol=1e-4, atol=1e-6)
    box = region(net.layers, shape, (4, 5), 3)
    assert erf.support is not None and box.clipped is not None
    for (lo, hi), (blo, bhi) in zip(erf.support, box.clipped, strict=True):
        assert blo <= lo <= hi <= bhi


def test_a_unit_whose_relu_is_off_has_no_effective_field() -> None:
    shape = Shape(1, 6, 6)
    layers = [{"type": "conv2d", "out_channels": 1, "kernel_size": 3, "kernels": [[[-1.0] * 3] * 3]}, {"type": "relu"}]
    net = build_network(layers, shape)
    erf = effective_receptive_field(net, np.ones((1, 6, 6), np.float32), layer_index=1, row=1, col=1)
    assert erf.peak == 0.0 and erf.support is None and not erf.heatmap.any()


def test_global_average_pooling_sees_the_whole_image() -> None:
    shape = Shape(1, 9, 7)
    layers = [
        {"type": "conv2d", "out_channels": 1, "kernel_size": 3, "kernels": "box_blur_3"},
        {"type": "global_avg_pool2d"},
    ]
    net = build_network(layers, shape)
    erf = effective_receptive_field(net, np.ones((1, 9, 7), np.float32), layer_index=1, row=0, col=0)
    assert erf.support == ((0, 8), (0, 6))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer_index": 2, "row": 0, "col": 0}, "layer_index must be between 0 and 0"),
        ({"layer_index": 0, "row": 4, "col": 0}, "row must be between 0 and 3"),
        ({"layer_index": 0, "row": 0, "col": 0, "channel": 1}, "channel must be between 0 and 0"),
    ],
)
def test_units_that_do_not_exist_are_value_errors(kwargs: dict, message: str) -> None:
    net = build_network([{"type": "conv2d", "out_channels": 1, "kernel_size": 3}], Shape(1, 6, 6))
    with pytest.raises(ValueError) as info:
        effective_receptive_field(net, np.zeros((1, 6, 6), np.float32), **kwargs)
    assert message in str(info.value)


def test_batch_norm_statistics_are_constants_so_the_field_stays_inside_the_box() -> None:
    # With the batch statistics differentiated, every pixel would move every unit through the mean; the
    # network treats them as constants (as in eval mode), so the support stays within the theoretical box.
    shape = Shape(1, 16, 16)
    layers = [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1},
        {"type": "batch_norm2d"},
        {"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding": 1},
    ]
    net = build_network(layers, shape, seed=1)
    image = np.random.default_rng(3).random((1, 16, 16)).astype(np.float32)
    erf = effective_receptive_field(net, image, layer_index=2, row=8, col=8)
    box = region(net.layers, shape, (8, 8), 2)
    assert erf.support is not None and box.clipped is not None
    (r0, r1), (c0, c1) = erf.support
    (b0, b1), (d0, d1) = box.clipped
    assert b0 <= r0 <= r1 <= b1 and d0 <= c0 <= c1 <= d1
