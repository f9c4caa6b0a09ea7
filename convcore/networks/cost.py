"""What a request costs, from validated sizes alone, before anything is allocated.

A price is ``(bytes, work)``: ``bytes`` the peak memory the request holds at once, ``work`` the elementary
operations (multiply-adds, comparisons, element writes). The server refuses a request whose price is over its
budget *before* it allocates a weight, a mask or a map. Each formula is one function over integers; the
estimates are upper bounds of what numpy, torch and Pillow allocate for that step (checked by the memory
test, which runs the worst allowed request of each endpoint in a real server and reads its peak memory).

Image-lab networks (:func:`network_cost`) keep every layer's output (the page shows them all), so their peak is
the input, every map, the weights and dropout masks, the largest step's temporaries (a padded input, a
max-pool's indices) and the encoded response; the effective receptive field (:func:`erf_cost`) adds what
autograd saves for the backward pass and the gradients.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from convcore.arithmetic.shapes import Pair
from convcore.networks.layers import LayerResult, Shape

__all__ = [
    "FLOAT32",
    "FLOAT64",
    "INDEX",
    "REQUEST_BYTES",
    "Cost",
    "LayerCost",
    "base64_bytes",
    "canvas_bytes",
    "conv_op_bytes",
    "decode_bytes",
    "erf_cost",
    "fft_conv_bytes",
    "fft_length_bound",
    "layer_cost",
    "map_bytes",
    "network_cost",
    "onnx_bytes",
    "padded_shape",
    "png_bytes",
    "pool_op_bytes",
    "residual_bytes",
    "response_bytes",
    "stack_bytes",
    "trace_bytes",
]

#: What any request holds besides its data: a worker thread's stack, torch's per-thread buffers, its Python
#: objects. The server adds it once to every price it checks and admits.
REQUEST_BYTES = 16 * 2**20
FLOAT32 = 4
FLOAT64 = 8
INDEX = 8
#: Bytes per source pixel while decoding (measured peaks of Pillow on a 4096² PNG: 8.4 and 20.0, rounded up):
#: the decoded image and its converted copy (4 bytes each, RGB is stored as 4); a transparent image also has
#: an RGBA copy, the white background, the composite and the RGB result.
DECODE_BYTES_PER_PIXEL = 9
DECODE_TRANSPARENT_BYTES_PER_PIXEL = 21
#: Bytes per working pixel and channel while scaling and converting: the resized image, float32, a copy.
CONVERT_BYTES_PER_VALUE = 12
#: JSON around one map in the feature-map response (channel, min, max, mean, keys).
MAP_JSON_BYTES = 160
#: Temporaries per map value while encoding: the scaled float32, the clipped float32, uint8 index and bytes.
ENCODE_BYTES_PER_VALUE = 2 * FLOAT32 + 2
#: Operations per value to encode a map (scale, clip, cast, palette PNG, base64).
ENCODE_WORK_PER_VALUE = 8


@dataclass(frozen=True)
class Cost:
    """Peak bytes held at once and elementary operations."""

    bytes: int
    work: int


@dataclass(frozen=True)
class LayerCost:
    """One layer on its input: the largest temporary it makes (besides its output), its output and its work."""

    index: int
    temporary: int
    output: int
    weights: int
    work: int
    largest_map: Shape


def map_bytes(shape: Shape, itemsize: int = FLOAT32) -> int:
    """Bytes of one ``(C, H, W)`` map: ``C·H·W·itemsize``."""
    return shape.channels * shape.height * shape.width * itemsize


def padded_shape(shape: Shape, padding: tuple[Pair, Pair]) -> Shape:
    """The map after padding: ``(C, H + top + bottom, W + left + right)``."""
    (top, bottom), (left, right) = padding
    return Shape(shape.channels, shape.height + top + bottom, shape.width + left + right)


def png_bytes(height: int, width: int) -> int:
    """Upper bound of a palette PNG of ``height × width``: one filter byte per row, Huffman codes of at most
    9 bits per byte for data that does not compress, the 255-colour palette and the chunk headers."""
    raw = height * (width + 1)
    return raw + raw // 8 + 3 * 256 + 1024


def base64_bytes(n: int) -> int:
    """Length of ``n`` bytes in base64: ``4·⌈n/3⌉``."""
    return 4 * ((n + 2) // 3)


def response_bytes(maps: Sequence[Shape]) -> int:
    """Upper bound of the feature-map JSON: one PNG data URL (plus its statistics) per channel of each map."""
    per_channel = (base64_bytes(png_bytes(m.height, m.width)) + 22 + MAP_JSON_BYTES for m in maps)
    return sum(m.channels * size for m, size in zip(maps, per_channel, strict=True))


def decode_bytes(source: Pair, work: Shape, *, transparent: bool = True) -> int:
    """Peak bytes of decoding an upload of ``source`` (height, width) pixels to a ``work``-sized float32 image."""
    per_pixel = DECODE_TRANSPARENT_BYTES_PER_PIXEL if transparent else DECODE_BYTES_PER_PIXEL
    return source[0] * source[1] * per_pixel + map_bytes(work, CONVERT_BYTES_PER_VALUE)


def _temporary(result: LayerResult) -> tuple[int, Shape]:
    """The largest map a layer makes besides its output, and that map's shape."""
    layer, shape = result.layer, result.input
    if layer.type == "conv2d" and any(sum(p) for p in layer.padding):
        padded = padded_shape(shape, layer.padding)
        return map_bytes(padded), padded
    if layer.type == "max_pool2d":
        # torch keeps the argmax of each window (int64) alongside the maximum.
        return map_bytes(result.output, INDEX), result.output
    if layer.type in {"dropout", "batch_norm2d"}:
        # dropout's Bernoulli draw and its float mask; batch norm's centred copy.
        return map_bytes(shape) + map_bytes(shape, 1), shape
    return 0, shape


def _weights(result: LayerResult) -> int:
    """Weights and masks held for the whole request: conv weights, a dropout mask the size of its input."""
    layer = result.layer
    if layer.type == "dropout":
        return map_bytes(result.input)
    return result.params * FLOAT32


def _work(result: LayerResult) -> int:
    """Multiply-adds of a convolution; for every other layer the values it reads (a pool: every window tap)."""
    if result.macs:
        return result.macs
    layer, out = result.layer, result.output
    if layer.type in {"max_pool2d", "avg_pool2d"}:
        return map_bytes(out, 1) * layer.kernel_size[0] * layer.kernel_size[1]
    return map_bytes(result.input, 1)


def layer_cost(result: LayerResult, index: int) -> LayerCost:
    """The price of one layer of an image-lab network on its input."""
    temporary, largest = _temporary(result)
    output = map_bytes(result.output)
    if output > map_bytes(largest):
        largest = result.output
    return LayerCost(index, temporary, output, _weights(result), _work(result), largest)


def network_cost(input_shape: Shape, results: Sequence[LayerResult]) -> tuple[Cost, list[LayerCost]]:
    """Peak bytes and work of running a network and encoding every map (the feature-map response).

    Held at the peak: the input (twice: numpy and torch), weights and masks, every output so far, the largest
    step temporary, then the encoded response twice (the data URLs and the JSON bytes) with one map's
    encoding temporaries.
    """
    layers = [layer_cost(r, i) for i, r in enumerate(results)]
    held = 2 * map_bytes(input_shape) + sum(c.weights for c in layers)
    outputs = sum(c.output for c in layers)
    forward = max(c.temporary for c in layers) if layers else 0
    largest = max([map_bytes(r.output) for r in results] + [map_bytes(input_shape)])
    encoded = 2 * response_bytes([input_shape, *(r.output for r in results)])
    encode_temp = largest // FLOAT32 * ENCODE_BYTES_PER_VALUE
    peak = held + outputs + max(forward, encoded + encode_temp)
    values = sum(c.output for c in layers) // FLOAT32 + map_bytes(input_shape, 1)
    work = sum(c.work for c in layers) + values * ENCODE_WORK_PER_VALUE
    return Cost(peak, work), layers


def erf_cost(input_shape: Shape, results: Sequence[LayerResult]) -> Cost:
    """Peak bytes and work of one effective receptive field: a forward pass that autograd records (every
    output and step temporary saved), then a backward pass with two gradient maps at a time, and the heatmap.

    ``results`` are the layers up to the unit's layer.
    """
    layers = [layer_cost(r, i) for i, r in enumerate(results)]
    saved = sum(c.output + c.temporary + c.weights for c in layers)
    largest = max(map_bytes(c.largest_map) for c in layers) if layers else 0
    image = map_bytes(input_shape)
    heatmap = base64_bytes(png_bytes(input_shape.height, input_shape.width))
    peak = 4 * image + saved + 2 * largest + 2 * heatmap
    work = 2 * sum(c.work for c in layers) + map_bytes(input_shape, ENCODE_WORK_PER_VALUE)
    return Cost(peak, work)


#: Python floats in nested lists (the naive loop's copy of the input, a trace's values): object plus pointer.
PY_FLOAT = 32
#: A trace lists every tap of every step as a handful of numbers: its Python objects and its JSON text.
TRACE_BYTES_PER_TAP = 6 * PY_FLOAT + 64
#: im2col's column buffer is tiled to this many bytes (convcore.operations.conv.IM2COL_TILE_BYTES), product included.
IM2COL_WORKSPACE = 2 * 4 * 2**20
COMPLEX128 = 16


def fft_length_bound(n: int) -> int:
    """An upper bound of the FFT length the fft method picks for ``n`` samples: the next power of two."""
    return 1 << max(0, n - 1).bit_length()


def fft_conv_bytes(padded: Shape, out_channels: int, in_per_group: int, kernel_span: Pair) -> int:
    """Workspace of the FFT method: the input and kernel spectra (complex128), their product, the inverse
    transform and the dilated kernel."""
    fh, fw = fft_length_bound(padded.height), fft_length_bound(padded.width)
    bins = fh * (fw // 2 + 1)
    spectra = (padded.channels + out_channels * in_per_group + 2 * out_channels) * bins * COMPLEX128
    return (
        spectra
        + out_channels * fh * fw * FLOAT64
        + out_channels * in_per_group * kernel_span[0] * kernel_span[1] * FLOAT64
    )


def conv_op_bytes(padded: Shape, output: Shape, weight_elements: int, method: str, fft: int) -> int:
    """Peak bytes of one ``/ops/conv2d`` call (float64): the input twice (the list and the array), the padded
    input, the weight, the output twice (the array and its JSON), and the method's workspace (``fft`` is
    :func:`fft_conv_bytes`, used only by the fft method)."""
    base = (3 * map_bytes(padded, 1) + weight_elements + 2 * map_bytes(output, 1)) * FLOAT64
    workspace = {
        "naive": map_bytes(padded, PY_FLOAT) + weight_elements * PY_FLOAT,
        "im2col": IM2COL_WORKSPACE,
        "fft": fft,
        "torch": 2 * map_bytes(padded, FLOAT64),
    }
    return base + workspace[method]


def canvas_bytes(channels: int, canvas: Pair) -> int:
    """The transposed convolution's uncropped float64 canvas ``(C_out, canvas_h, canvas_w)``."""
    return channels * canvas[0] * canvas[1] * FLOAT64


def pool_op_bytes(padded: Shape, output: Shape) -> int:
    """Peak bytes of one pooling call (float64): the input twice, the padded input, the output with its
    indices, two window-tap temporaries and the JSON."""
    return (3 * map_bytes(padded, 1) + 5 * map_bytes(output, 1)) * FLOAT64


def trace_bytes(taps: int) -> int:
    """Bytes of a trace listing ``taps`` window taps (its Python objects and its JSON)."""
    return taps * TRACE_BYTES_PER_TAP


def residual_bytes(*, depth: int, width: int, samples: int, networks: int) -> int:
    """The residual experiment (float32, as drawn): one block's weight matrices per network at a time, and the
    activations ``(networks, samples, width)``: the input, and the stacks' states and branch inputs
    (:func:`convcore.networks.residual._run_stacks`), with more for batch norm's temporaries (and room for a
    branch buffer the in-place products no longer need); the per-network moments are combined in float64."""
    weights = networks * width * width * FLOAT32
    activations = 14 * networks * samples * width * FLOAT32
    statistics = 8 * (depth + 1) * networks * FLOAT64
    return weights + activations + statistics


def onnx_bytes(file_bytes: int) -> int:
    """Decoding and shape-inferring an ONNX file: the bytes, the parsed model and the inferred copy of it,
    each a few times the file (protobuf objects are larger than their wire form)."""
    return 12 * file_bytes + 8 * 2**20


def stack_bytes(layers: int) -> int:
    """A stack analysed for shapes and receptive fields: a few hundred bytes of objects and JSON per layer."""
    return layers * 4096
