"""The cost model's formulas against what numpy, torch and Pillow really allocate or produce."""

import base64
import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from convcore.networks import cost
from convcore.networks.layers import Shape, parse_layers, propagate
from convcore.operations.conv import _fast_fft_length


def test_map_bytes_is_what_a_float32_tensor_of_that_shape_takes() -> None:
    shape = Shape(3, 17, 29)
    assert cost.map_bytes(shape) == torch.zeros(3, 17, 29).nbytes
    assert cost.map_bytes(shape, cost.FLOAT64) == np.zeros((3, 17, 29)).nbytes
    assert cost.map_bytes(shape, cost.INDEX) == torch.zeros(3, 17, 29, dtype=torch.int64).nbytes


def test_padded_shape_is_f_pad_s_output_shape() -> None:
    padded = F.pad(torch.zeros(1, 2, 5, 7), (3, 4, 1, 2))
    assert cost.padded_shape(Shape(2, 5, 7), ((1, 2), (3, 4))) == Shape(*padded.shape[1:])


@given(st.integers(0, 10_000))
def test_base64_bytes_is_the_encoded_length(n: int) -> None:
    assert cost.base64_bytes(n) == len(base64.b64encode(bytes(n)))


@pytest.mark.parametrize(("height", "width"), [(1, 1), (1, 70_000), (300, 1), (257, 513)])
def test_png_bytes_bounds_a_palette_png_of_noise(height: int, width: int) -> None:
    # Noise does not compress: the worst case for the response size. Encoded as app.imaging does.
    noise = np.random.default_rng(0).integers(0, 255, size=(height, width), dtype=np.uint8)
    image = Image.frombytes("P", (width, height), noise.tobytes())
    image.putpalette(bytes(range(255)) * 3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1, compress_type=3)
    assert len(buffer.getvalue()) <= cost.png_bytes(height, width)


@given(st.integers(1, 5000))
def test_fft_length_bound_is_at_least_the_length_the_fft_method_picks(n: int) -> None:
    assert n <= _fast_fft_length(n) <= cost.fft_length_bound(n)


def test_layers_that_are_free_in_a_mac_count_still_cost_memory_and_work() -> None:
    results = propagate(
        parse_layers([{"type": "relu"}, {"type": "dropout"}, {"type": "max_pool2d", "kernel_size": 2}]),
        Shape(16, 64, 64),
    )
    layers = [cost.layer_cost(r, i) for i, r in enumerate(results)]
    assert [c.output for c in layers] == [16 * 64 * 64 * 4, 16 * 64 * 64 * 4, 16 * 32 * 32 * 4]
    assert [c.work for c in layers] == [16 * 64 * 64, 16 * 64 * 64, 16 * 32 * 32 * 4]
    # The dropout mask is held for the request; max pooling keeps int64 indices, as torch's does.
    assert layers[1].weights == 16 * 64 * 64 * 4
    indices = F.max_pool2d(torch.zeros(1, 16, 64, 64), 2, return_indices=True)[1]
    assert layers[2].temporary == indices.nbytes


def test_conv_padding_is_priced_as_the_padded_map() -> None:
    (result,) = propagate(
        parse_layers([{"type": "conv2d", "out_channels": 16, "kernel_size": 1, "padding": 1000}]), Shape(1, 64, 64)
    )
    layer = cost.layer_cost(result, 0)
    assert layer.temporary == 2064 * 2064 * 4
    assert layer.largest_map == Shape(16, 2064, 2064)
    assert layer.output == 16 * 2064 * 2064 * 4
    assert layer.weights == (16 + 16) * 4


def test_network_cost_holds_every_map_and_twice_the_encoded_response() -> None:
    shape = Shape(1, 32, 32)
    results = propagate(parse_layers([{"type": "relu"}, {"type": "relu"}]), shape)
    total, layers = cost.network_cost(shape, results)
    response = cost.response_bytes([shape, shape, shape])
    assert total.bytes >= 2 * cost.map_bytes(shape) + 2 * cost.map_bytes(shape) + 2 * response
    assert total.work > sum(c.work for c in layers)


def test_network_cost_grows_with_padding_and_depth() -> None:
    shape = Shape(3, 64, 64)

    def price(padding: int, relus: int) -> int:
        stack = [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": padding}]
        stack += [{"type": "relu"}] * relus
        return cost.network_cost(shape, propagate(parse_layers(stack), shape))[0].bytes

    assert price(1, 0) < price(100, 0) < price(1000, 0)
    assert price(100, 0) < price(100, 1) < price(100, 3)


def test_erf_cost_counts_what_autograd_saves() -> None:
    shape = Shape(3, 128, 128)
    results = propagate(parse_layers([{"type": "conv2d", "out_channels": 8, "kernel_size": 3}] * 1), shape)
    forward = cost.network_cost(shape, results)[0]
    erf = cost.erf_cost(shape, results)
    assert erf.bytes > cost.map_bytes(results[0].output) + 4 * cost.map_bytes(shape)
    assert erf.work >= 2 * results[0].macs
    assert forward.bytes > 0


def test_residual_bytes_counts_one_blocks_weights_and_the_activations() -> None:
    one_block = torch.randn(64, 128, 128, dtype=torch.float32).nbytes
    activations = torch.randn(4, 64, 2, 128, dtype=torch.float32).nbytes
    priced = cost.residual_bytes(depth=50, width=128, samples=2, networks=64)
    assert one_block + activations < priced < 2 * (one_block + activations)
    # the blocks are drawn one at a time: depth adds only its statistics
    assert cost.residual_bytes(depth=1, width=128, samples=2, networks=64) > 0.9 * priced


def test_fft_workspace_counts_the_kernel_spectra() -> None:
    # 256 output channels of 256 input channels: 65,536 kernels, each transformed to the padded size.
    workspace = cost.fft_conv_bytes(Shape(256, 129, 129), 256, 256, (1, 1))
    assert workspace >= 256 * 256 * 256 * 129 * 16


def test_decode_bytes_grows_with_the_source_not_only_the_working_size() -> None:
    work = Shape(3, 512, 512)
    assert cost.decode_bytes((4096, 4096), work) > cost.decode_bytes((512, 512), work)
    assert cost.decode_bytes((4096, 4096), work) >= 4096 * 4096 * 12
