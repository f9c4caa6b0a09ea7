"""app.imaging: sniffing, the decoder's guards, downscaling, and the colour-scale PNGs."""

import base64
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from app import imaging

LIMITS = {"max_bytes": 1 << 20, "max_image_pixels": 1 << 20, "max_work_pixels": 128 * 128}


def encoded(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def gradient(width: int = 40, height: int = 30) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.float64)
    y = np.linspace(0, 255, height, dtype=np.float64)
    rgb = np.stack([np.broadcast_to(x, (height, width)), np.broadcast_to(y[:, None], (height, width)),
                    np.full((height, width), 128.0)], axis=-1)  # fmt: skip
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width × height`` and whose pixel data never comes (a bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def decode_data_url(url: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(url[len(prefix) :])))


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "PNG"), ("JPEG", "JPEG"), ("WEBP", "WEBP")])
def test_sniffing_reads_the_magic_bytes(fmt: str, name: str) -> None:
    assert imaging.sniff_format(encoded(gradient(), fmt)) == name


@pytest.mark.parametrize(
    "data", [encoded(gradient(), "GIF"), encoded(gradient(), "BMP"), b"<svg/>", b"", b"RIFF1234WAVE"]
)
def test_anything_else_is_not_an_image(data: bytes) -> None:
    with pytest.raises(imaging.NotAnImage, match="not a PNG, JPEG or WebP") as info:
        imaging.decode_image(data, color="gray", **LIMITS)
    assert info.value.status_code == 415


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_decoding_gives_chw_float32_in_unit_range(fmt: str) -> None:
    data = encoded(gradient(), fmt, **({"quality": 95} if fmt != "PNG" else {}))
    rgb = imaging.decode_image(data, color="rgb", **LIMITS)
    gray = imaging.decode_image(data, color="gray", **LIMITS)
    assert rgb.pixels.shape == (3, 30, 40) and gray.pixels.shape == (1, 30, 40)
    assert rgb.pixels.dtype == np.float32 and rgb.pixels.min() >= 0 and rgb.pixels.max() <= 1
    assert not rgb.scaled and rgb.format == fmt
    # Red grows to the right, green downwards.
    assert rgb.pixels[0, 15, -1] > 0.9 > 0.1 > rgb.pixels[0, 15, 0]
    assert rgb.pixels[1, -1, 20] > 0.9 > 0.1 > rgb.pixels[1, 0, 20]


def test_transparent_pixels_are_composited_on_white() -> None:
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    pixels = imaging.decode_image(encoded(image, "PNG"), color="gray", **LIMITS).pixels
    np.testing.assert_array_equal(pixels, np.ones((1, 4, 4), np.float32))


def test_large_photos_are_scaled_down_to_the_work_limit_keeping_the_aspect() -> None:
    decoded = imaging.decode_image(encoded(gradient(400, 300), "JPEG"), color="rgb", **LIMITS)
    _, h, w = decoded.pixels.shape
    assert decoded.scaled and decoded.original_size == (300, 400)
    assert h * w <= LIMITS["max_work_pixels"] and (h, w) == (110, 147)


def test_over_the_byte_limit_is_413() -> None:
    with pytest.raises(imaging.UploadTooLarge, match="the limit is 100 bytes") as info:
        imaging.decode_image(encoded(gradient(), "PNG"), color="gray", max_bytes=100, max_image_pixels=10**6,
                             max_work_pixels=10**6)  # fmt: skip
    assert info.value.status_code == 413


@pytest.mark.parametrize(("width", "height"), [(1200, 1000), (100_000, 100_000)])
def test_too_many_pixels_is_refused_from_the_header_before_decoding(width: int, height: int) -> None:
    # 1.2 megapixels trips Pillow's warning (made an error), 10 gigapixels its hard decompression-bomb limit.
    with pytest.raises(imaging.ImageRejected, match=r"larger than the limit of 1\.0 megapixels") as info:
        imaging.decode_image(png_header_only(width, height), color="gray", **LIMITS)
    assert info.value.status_code == 422


def test_the_explicit_pixel_check_holds_even_if_pillow_guard_is_loosened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "_decompression_bomb_check", lambda size: None)
    with pytest.raises(imaging.ImageRejected, match=r"1\.2 megapixels; the limit is 1\.0") as info:
        imaging.decode_image(png_header_only(1200, 1000), color="gray", **LIMITS)
    assert info.value.status_code == 422


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_files_are_422(fmt: str) -> None:
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), "RGB")
    data = encoded(noisy, fmt)
    with pytest.raises(imaging.ImageRejected, match="truncated or corrupt") as info:
        imaging.decode_image(data[: len(data) // 2], color="rgb", **LIMITS)
    assert info.value.status_code == 422


def test_map_png_uses_the_colorscale_js_colours() -> None:
    values = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]], dtype=np.float32)
    image = decode_data_url(imaging.encode_map(values, 2.0)).convert("RGB")
    assert image.size == (5, 1)
    pixels = [image.getpixel((i, 0)) for i in range(5)]
    # divergingRgb(v, 2) in colorscale.js: 255 + (end − 255)·|v|/2, ends (33, 102, 172) and (178, 24, 43).
    assert pixels[0] == (33, 102, 172) and pixels[4] == (178, 24, 43) and pixels[2] == (255, 255, 255)
    for got, want in ((pixels[1], (144, 178.5, 213.5)), (pixels[3], (216.5, 139.5, 149))):
        assert np.abs(np.subtract(got, want)).max() <= 1.5


def palette_indices(url: str) -> np.ndarray:
    image = decode_data_url(url)
    assert image.mode == "P"
    return np.asarray(image)


def test_a_layers_maps_are_each_channel_on_the_layers_scale() -> None:
    values = np.random.default_rng(1).normal(size=(3, 17, 23)).astype(np.float32)
    values[2] = 0.0
    max_abs = float(np.abs(values).max())
    urls = imaging.encode_maps(values, max_abs)
    assert len(urls) == 3
    # the layer's indices in one pass are the channel-by-channel ones, and span the scale 0..254
    assert urls == [imaging.encode_map(channel, max_abs) for channel in values]
    indices = np.stack([palette_indices(url) for url in urls])
    assert indices.shape == (3, 17, 23)
    want = np.floor(values.astype(np.float64) * imaging.LEVELS / max_abs + imaging.LEVELS + 0.5)
    assert np.abs(indices - want).max() <= 1
    assert indices.min() == 0 or indices.max() == 2 * imaging.LEVELS
    assert (indices[2] == imaging.LEVELS).all()
    assert imaging.encode_maps(np.zeros((2, 3, 4), np.float32), 0.0) == [imaging.encode_map(np.zeros((3, 4)), 0.0)] * 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maps_longer_than_a_chunk_get_the_whole_maps_indices(dtype: type) -> None:
    """The indices are computed a chunk at a time: a map of several chunks and a ragged end gets what one pass
    over the whole map in its own precision gives, values past the scale clipped to its ends."""
    size = 3 * imaging._PALETTE_CHUNK + 7
    values = np.random.default_rng(2).normal(scale=2.0, size=(2, 1, size)).astype(dtype)
    values[0, 0, :5] = [-2.0, -1.0, 0.0, 1.0, 2.0]
    scale = np.float32(imaging.LEVELS / 1.5)
    whole = np.clip(values * scale + np.float32(imaging.LEVELS + 0.5), 0, 2 * imaging.LEVELS + 0.5).astype(np.uint8)
    indices = np.stack([palette_indices(url) for url in imaging.encode_maps(values, 1.5)])
    assert indices.shape == values.shape
    np.testing.assert_array_equal(indices, whole)
    assert indices.min() == 0 and indices.max() == 2 * imaging.LEVELS


def test_an_all_zero_map_is_white_and_the_heatmap_goes_white_to_red() -> None:
    zero = decode_data_url(imaging.encode_map(np.zeros((3, 2), np.float32), 0.0)).convert("RGB")
    assert (np.asarray(zero) == 255).all()
    heat = decode_data_url(imaging.encode_heatmap(np.array([[0.0, 1.0]], np.float32))).convert("RGB")
    assert [heat.getpixel((0, 0)), heat.getpixel((1, 0))] == [(255, 255, 255), (178, 24, 43)]


def test_photo_round_trips() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (3, 5, 7)).astype(np.float32) / 255
    image = np.asarray(decode_data_url(imaging.encode_photo(pixels)).convert("RGB"), dtype=np.float32) / 255
    np.testing.assert_allclose(image.transpose(2, 0, 1), pixels, atol=1e-6)
