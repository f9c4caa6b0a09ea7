"""convcore.operations.dense: every count equals a torch module's own, the locally connected layer equals a small torch
implementation via unfold, and the permutation experiment's claims hold."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from convcore.operations import dense
from convcore.operations.kernels import get_kernel


class LocallyConnected2d(nn.Module):
    """A k×k window per output position, its own weights at each position; size kept (padding k // 2)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, size: tuple[int, int], bias: bool):
        super().__init__()
        h, w = size
        self.kernel_size = kernel_size
        self.size = size
        self.weight = nn.Parameter(torch.randn(h * w, out_channels, in_channels * kernel_size**2, dtype=torch.float64))
        self.bias = nn.Parameter(torch.randn(out_channels, h, w, dtype=torch.float64)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cols = nn.functional.unfold(x, self.kernel_size, padding=self.kernel_size // 2)  # (N, C·k², H·W)
        out = torch.einsum("nkp,pok->nop", cols, self.weight).reshape(x.shape[0], -1, *self.size)
        return out if self.bias is None else out + self.bias


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


sizes = st.tuples(
    st.integers(1, 4),
    st.integers(1, 12),
    st.integers(1, 12),
    st.integers(1, 4),
    st.sampled_from([1, 3, 5]),
    st.booleans(),
)


@given(sizes)
def test_counts_equal_torch_modules(case: tuple[int, int, int, int, int, bool]) -> None:
    c, h, w, c_out, k, bias = case
    costs = dense.layer_costs(c, h, w, c_out, k, bias=bias)
    assert costs["dense"].params == n_params(nn.Linear(c * h * w, c_out * h * w, bias=bias))
    assert costs["conv"].params == n_params(nn.Conv2d(c, c_out, k, padding=k // 2, bias=bias))
    assert costs["locally_connected"].params == n_params(LocallyConnected2d(c, c_out, k, (h, w), bias))
    # every multiply-add: the dense matrix, and one weight tap per output for the two windowed layers
    assert costs["dense"].macs == c * h * w * c_out * h * w
    assert costs["locally_connected"].macs == costs["conv"].macs == c_out * h * w * c * k * k


def test_lecture_numbers() -> None:
    # a dense layer from a 224×224×3 image to 1000 units, and a 3×3 convolution with 64 filters
    assert nn.Linear(224 * 224 * 3, 1000).weight.numel() == 150_528_000
    costs = dense.layer_costs(3, 224, 224, 64, 3)
    assert costs["conv"].params == 64 * 3 * 3 * 3 + 64 == 1792
    assert costs["conv"].params_formula == "64·3·3·3 + 64 = 1792"
    assert costs["dense"].params_formula == "(3·224·224)·(64·224·224) + 3211264 = 483388358656"
    assert costs["dense"].params == 150_528 * 3_211_264 + 3_211_264
    assert costs["locally_connected"].params_formula == "224·224·64·3·3·3 + 64·224·224 = 89915392"


def test_locally_connected_forward_equals_torch_unfold() -> None:
    c, h, w, c_out, k = 2, 5, 6, 3, 3
    torch.manual_seed(0)
    module = LocallyConnected2d(c, c_out, k, (h, w), bias=True)
    x = torch.randn(1, c, h, w, dtype=torch.float64)
    expected = module(x).detach().numpy()[0]
    # the module's weight (H·W, C_out, C·k²) in the layout of convcore: (H, W, C_out, C, k, k)
    weight = module.weight.detach().numpy().reshape(h, w, c_out, c, k, k)
    got = dense.locally_connected2d(x.numpy()[0], weight, module.bias.detach().numpy())  # type: ignore[union-attr]
    assert got.shape == expected.shape == (c_out, h, w)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_locally_connected_with_shared_weights_is_a_convolution() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 7, 5))
    kernel = rng.standard_normal((3, 2, 3, 3))
    weight = np.broadcast_to(kernel, (7, 5, *kernel.shape))
    got = dense.locally_connected2d(x, weight)
    expected = nn.functional.conv2d(torch.from_numpy(x)[None], torch.from_numpy(kernel), padding=1)[0].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_bad_sizes_name_the_field() -> None:
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        dense.layer_costs(3, 8, 8, 4, 4)
    with pytest.raises(ValueError, match="height must be at least 1"):
        dense.dense_cost(3, 0, 8, 4)


def test_permutation_dense_unchanged_conv_noise() -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:24, 0:24]
    image = ((xx > 8) & (yy > 6)).astype(float) + 0.1 * rng.standard_normal((24, 24))
    kernel = get_kernel("sobel_x").weights
    result = dense.permutation_experiment(image, kernel, units=16, seed=3)
    assert result.dense.shape == result.dense_scrambled.shape == (16,)
    assert result.dense_max_difference < 1e-12
    np.testing.assert_allclose(result.dense_scrambled, result.dense, rtol=0, atol=1e-12)
    # the convolution of the scrambled image, put back in place, is nothing like the convolution
    assert result.conv_relative_difference > 0.5
    # the oracle: torch's conv2d on both images, float64, padding 1
    expected = nn.functional.conv2d(
        torch.from_numpy(np.stack([image, result.scrambled]))[:, None], torch.from_numpy(kernel)[None, None], padding=1
    )[:, 0].numpy()
    np.testing.assert_allclose(result.conv, expected[0], atol=1e-12)
    np.testing.assert_allclose(result.conv_scrambled, expected[1], atol=1e-12)
    np.testing.assert_array_equal(result.scrambled.reshape(-1), image.reshape(-1)[result.permutation])
    np.testing.assert_allclose(
        result.conv_unscrambled.reshape(-1)[result.permutation], expected[1].reshape(-1), rtol=0, atol=1e-12
    )
