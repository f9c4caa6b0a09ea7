"""Preset kernels: shapes, sums, and their response to simple images under torch's conv2d (float64)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convcore.operations.kernels import get_kernel, list_kernels

NAMES = [kernel.name for kernel in list_kernels()]
EXPECTED_NAMES = {
    "identity",
    "box_blur_3",
    "box_blur_5",
    "gaussian_blur_3",
    "gaussian_blur_5",
    "sharpen",
    "laplacian_4",
    "laplacian_8",
    "sobel_x",
    "sobel_y",
    "prewitt_x",
    "prewitt_y",
    "emboss",
    "outline",
}


def apply(name: str, image: np.ndarray) -> np.ndarray:
    """Valid cross-correlation of a 2-D image with the preset, as torch's conv2d computes it."""
    weights = torch.from_numpy(get_kernel(name).weights)[None, None]
    return F.conv2d(torch.from_numpy(image)[None, None], weights)[0, 0].numpy()


def test_the_presets_are_the_documented_ones() -> None:
    assert set(NAMES) == EXPECTED_NAMES
    assert len(NAMES) == len(EXPECTED_NAMES)


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_every_preset_is_float64_odd_square_with_both_descriptions(name: str) -> None:
    kernel = get_kernel(name)
    assert kernel.weights.dtype == np.float64
    assert kernel.weights.ndim == 2
    assert kernel.weights.shape[0] == kernel.weights.shape[1]
    assert kernel.weights.shape[0] % 2 == 1
    assert kernel.description_ru and kernel.description_en
    assert kernel.description_ru != kernel.description_en


@pytest.mark.parametrize(
    ("name", "total"),
    [
        ("identity", 1.0),
        ("box_blur_3", 1.0),
        ("box_blur_5", 1.0),
        ("gaussian_blur_3", 1.0),
        ("gaussian_blur_5", 1.0),
        ("sharpen", 1.0),
        ("emboss", 1.0),
        ("laplacian_4", 0.0),
        ("laplacian_8", 0.0),
        ("sobel_x", 0.0),
        ("sobel_y", 0.0),
        ("prewitt_x", 0.0),
        ("prewitt_y", 0.0),
        ("outline", 0.0),
    ],
)
def test_weights_sum_so_that_a_flat_image_keeps_or_loses_its_level(name: str, total: float) -> None:
    flat = np.full((7, 9), 3.0)
    expected = np.full(
        (7 - get_kernel(name).weights.shape[0] + 1, 9 - get_kernel(name).weights.shape[1] + 1), 3.0 * total
    )
    out = apply(name, flat)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_identity_copies_the_centre() -> None:
    image = np.arange(35, dtype=np.float64).reshape(5, 7)
    out = apply("identity", image)
    assert out.shape == (3, 5)
    np.testing.assert_array_equal(out, image[1:-1, 1:-1])


def test_sobel_and_prewitt_respond_positively_along_their_axis_only() -> None:
    rows, cols = np.mgrid[0:6, 0:8].astype(np.float64)
    # brightness grows by 1 per column: x-derivative kernels see the slope, y-kernels see nothing
    np.testing.assert_allclose(apply("sobel_x", cols), np.full((4, 6), 8.0), atol=1e-12)
    np.testing.assert_allclose(apply("prewitt_x", cols), np.full((4, 6), 6.0), atol=1e-12)
    np.testing.assert_allclose(apply("sobel_y", cols), np.zeros((4, 6)), atol=1e-12)
    np.testing.assert_allclose(apply("sobel_y", rows), np.full((4, 6), 8.0), atol=1e-12)
    np.testing.assert_allclose(apply("prewitt_y", rows), np.full((4, 6), 6.0), atol=1e-12)
    np.testing.assert_allclose(apply("sobel_x", rows), np.zeros((4, 6)), atol=1e-12)


def test_laplacians_measure_the_second_derivative_of_a_paraboloid() -> None:
    rows, cols = np.mgrid[0:6, 0:6].astype(np.float64)
    paraboloid = rows**2 + cols**2
    # d²/dx² + d²/dy² = 4; the 8-neighbour stencil adds the diagonals, which see twice the curvature
    np.testing.assert_allclose(apply("laplacian_4", paraboloid), np.full((4, 4), 4.0), atol=1e-12)
    np.testing.assert_allclose(apply("laplacian_8", paraboloid), np.full((4, 4), 12.0), atol=1e-12)
    np.testing.assert_allclose(apply("outline", paraboloid), np.full((4, 4), -12.0), atol=1e-12)


def test_sharpen_is_identity_minus_laplacian() -> None:
    np.testing.assert_array_equal(
        get_kernel("sharpen").weights, get_kernel("identity").weights - get_kernel("laplacian_4").weights
    )


def test_returned_weights_are_a_copy() -> None:
    get_kernel("identity").weights[1, 1] = 42.0
    assert get_kernel("identity").weights[1, 1] == 1.0


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown kernel 'sobel'.*sobel_x.*emboss"):
        get_kernel("sobel")
