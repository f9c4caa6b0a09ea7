"""Images in and out: a safe decoder for uploads and a fast PNG encoder for feature maps.

Decoding trusts neither the file name nor the declared content type: the first bytes decide (PNG, JPEG or
WebP, anything else is a 415), Pillow may only use those three decoders, the pixel count is checked from
the header before any pixel is decoded (Pillow's decompression-bomb guard stays on as a second net), and
a truncated file is an error rather than a half-grey picture. Nothing is written to disk.

Encoding maps a float map to the two-sided colour scale of ``static/js/common/colorscale.js`` (zero white,
negatives blue, positives red, symmetric range ``[−m, m]``) through a 255-entry palette, so a map costs one
``uint8`` lookup and a palette PNG at low compression.
"""

import base64
import io
import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageFile

from app.admission import MMAP_THRESHOLD_BYTES
from app.errors import public_message
from convcore.errors import InputError
from convcore.networks.layers import MAX_SIZE

__all__ = [
    "DecodedImage",
    "ImageRejected",
    "NotAnImage",
    "UploadTooLarge",
    "decode_image",
    "encode_heatmap",
    "encode_map",
    "encode_maps",
    "encode_photo",
    "fit_size",
    "image_size",
    "sniff_format",
]

ColorMode = Literal["gray", "rgb"]

# The end colours of colorscale.js; the palette interpolates from white exactly as divergingRgb() does.
NEGATIVE = np.array([33, 102, 172], dtype=np.float64)
POSITIVE = np.array([178, 24, 43], dtype=np.float64)
LEVELS = 127  # palette index 127 is zero; 0 is −m and 254 is +m


def _diverging_palette() -> bytes:
    scale = np.arange(-LEVELS, LEVELS + 1) / LEVELS
    ends = np.where(scale[:, None] < 0, NEGATIVE, POSITIVE)
    rgb = np.rint(255 + (ends - 255) * np.abs(scale)[:, None]).astype(np.uint8)
    return rgb.tobytes()


def _heat_palette() -> bytes:
    # White to the positive colour: an effective receptive field is a magnitude, so one-sided.
    scale = np.arange(256) / 255
    return np.rint(255 + (POSITIVE - 255) * scale[:, None]).astype(np.uint8).tobytes()


DIVERGING_PALETTE = _diverging_palette()
HEAT_PALETTE = _heat_palette()


class ImageRejected(InputError):
    """An upload the server will not decode; ``status_code`` is the HTTP answer (422 unless a subclass)."""

    status_code = 422


class UploadTooLarge(ImageRejected):
    status_code = 413


class NotAnImage(ImageRejected):
    status_code = 415


@dataclass(frozen=True)
class DecodedImage:
    """``pixels`` is ``(C, H, W)`` float32 in [0, 1] (C = 1 for gray, 3 for RGB), after any downscaling."""

    pixels: np.ndarray
    original_size: tuple[int, int]
    format: str

    @property
    def scaled(self) -> bool:
        return self.original_size != tuple(self.pixels.shape[1:])


def sniff_format(data: bytes) -> str:
    """``"PNG"``, ``"JPEG"`` or ``"WEBP"`` from the file's magic bytes; :class:`NotAnImage` otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise NotAnImage(
        "the file is not a PNG, JPEG or WebP image (judged by its content, not its name)", code="not_an_image"
    )


def _bytes(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB" if n >= 2**10 else f"{n} bytes"


def fit_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """``(width, height)`` scaled down, aspect kept, to at most ``max_pixels``. A side never goes below one
    pixel, and when the short side stops there the long side takes only what is left; no side passes
    ``MAX_SIZE``, the largest input a layer list accepts (a strip that long is cut to it)."""
    if width * height > max_pixels:
        factor = math.sqrt(max_pixels / (width * height))
        fit_w, fit_h = max(1, int(width * factor)), max(1, int(height * factor))
        fit_w = min(fit_w, max_pixels // fit_h)
        width, height = fit_w, min(fit_h, max_pixels // fit_w)
    return min(width, MAX_SIZE), min(height, MAX_SIZE)


def _too_many_pixels(width: int, height: int, max_image_pixels: int) -> ImageRejected:
    return ImageRejected(
        f"the image is {width}×{height} = {width * height / 1e6:.1f} megapixels; the limit is "
        f"{max_image_pixels / 1e6:.1f} megapixels — scale it down first",
        code="image_too_many_pixels",
        limit=max_image_pixels,
    )


def _too_large(size: int, max_bytes: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"the file is {_bytes(size)}; the limit is {_bytes(max_bytes)} — save it smaller",
        code="upload_too_large",
        bytes=size,
        limit=max_bytes,
    )


def _bomb(exc: Exception, max_image_pixels: int) -> ImageRejected:
    return ImageRejected(
        f"the image is larger than the limit of {max_image_pixels / 1e6:.1f} megapixels ({exc}) — scale it down first",
        code="image_too_many_pixels",
        limit=max_image_pixels,
    )


def image_size(data: bytes, *, max_bytes: int, max_image_pixels: int) -> tuple[int, int, bool]:
    """``(width, height, transparent)`` read from the header alone (nothing is decoded), so a request can be
    priced first; a transparent image costs more to decode (it is composited on white at full size).

    Refuses what :func:`decode_image` would refuse for its size (413, 415, 422) or an unreadable header (422).
    """
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    kind = sniff_format(data)
    Image.MAX_IMAGE_PIXELS = max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                transparent = _transparent(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(exc, max_image_pixels) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(
            f"the {kind} file's header is truncated or corrupt and cannot be read", code="image_corrupt", format=kind
        ) from exc
    if width < 1 or height < 1 or width * height > max_image_pixels:
        raise _too_many_pixels(width, height, max_image_pixels)
    return width, height, transparent


def _transparent(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)


def _flatten(image: Image.Image, color: ColorMode) -> Image.Image:
    # Transparent pixels are composited on white, as a browser shows them on this site.
    if _transparent(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("L" if color == "gray" else "RGB")


def decode_image(
    data: bytes, *, color: ColorMode, max_bytes: int, max_image_pixels: int, max_work_pixels: int
) -> DecodedImage:
    """Decode an upload to ``(C, H, W)`` float32 in [0, 1], scaled down to at most ``max_work_pixels``.

    Raises :class:`UploadTooLarge` (413) over ``max_bytes``, :class:`NotAnImage` (415) for anything that is
    not PNG/JPEG/WebP by content, and :class:`ImageRejected` (422) for too many pixels, a decompression
    bomb, a truncated or corrupt file.
    """
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    kind = sniff_format(data)
    # Pillow's guard reads the declared size from the header: it warns above MAX_IMAGE_PIXELS (made an error
    # here) and refuses above twice that. The explicit check below repeats it in case the global is changed.
    Image.MAX_IMAGE_PIXELS = max_image_pixels
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
        with image:
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_image_pixels:
                raise _too_many_pixels(width, height, max_image_pixels)
            target = fit_size(width, height, max_work_pixels)
            if kind == "JPEG" and target != (width, height):
                # Let the JPEG decoder skip detail it would throw away anyway (scales by 1/2, 1/4, 1/8).
                image.draft("RGB" if color == "rgb" else "L", target)
            image.load()
            flat = _flatten(image, color)
            if flat.size != target:
                flat = flat.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(exc, max_image_pixels) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = public_message(str(exc))
        raise ImageRejected(
            f"the {kind} file is truncated or corrupt and cannot be decoded ({reason})",
            code="image_corrupt",
            format=kind,
        ) from exc
    array = np.asarray(flat, dtype=np.float32) / 255.0
    pixels = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return DecodedImage(np.ascontiguousarray(pixels), (height, width), kind)


def _data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    # zlib's run-length strategy (3, Z_RLE): maps are encoded on every request. On the default stack's maps of
    # the house it is 3.5× faster than Huffman-only coding and 4× smaller (an edge map is long runs of white);
    # on random-weight maps of the 512×512 photo within 5 % of Huffman-only and faster than plain deflate.
    image.save(buffer, format="PNG", compress_level=1, compress_type=3)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


#: Values scaled per pass of :func:`_palette_indices`: the pass's temporary stays under the app's mmap threshold.
_PALETTE_CHUNK = (MMAP_THRESHOLD_BYTES - 4096) // 8


def _palette_indices(values: np.ndarray, max_abs: float) -> np.ndarray:
    """Palette indices (``uint8``, ``values``' shape) of ``values`` on the two-sided scale ``[−max_abs, max_abs]``.

    A chunk at a time through one small temporary: a temporary of a whole map is above the app's mmap threshold
    (:func:`app.admission.return_freed_memory`) and costs its page faults on every call (on the default stack's
    2 × 288 × 384 maps 0.8–1.1 ms, against 0.3 ms by chunks)."""
    if max_abs <= 0:
        return np.full(values.shape, LEVELS, dtype=np.uint8)
    flat = np.ravel(values)
    index = np.empty(flat.size, dtype=np.uint8)
    scratch = np.empty(min(flat.size, _PALETTE_CHUNK), dtype=np.result_type(values.dtype, np.float32))
    for start in range(0, flat.size, _PALETTE_CHUNK):
        part = scratch[: min(_PALETTE_CHUNK, flat.size - start)]
        np.multiply(flat[start : start + part.size], np.float32(LEVELS / max_abs), out=part)
        # Adding LEVELS + 0.5 and truncating rounds half up into 0..2·LEVELS without a second pass.
        part += np.float32(LEVELS + 0.5)
        np.clip(part, 0, 2 * LEVELS + 0.5, out=part)
        index[start : start + part.size] = part
    return index.reshape(values.shape)


def _palette_png(index: np.ndarray, palette: bytes) -> str:
    image = Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
    image.putpalette(palette)
    return _data_url(image)


def encode_map(values: np.ndarray, max_abs: float) -> str:
    """A 2-D map as a PNG data URL on the two-sided scale ``[−max_abs, max_abs]`` (zero white)."""
    return _palette_png(_palette_indices(values, max_abs), DIVERGING_PALETTE)


def encode_maps(values: np.ndarray, max_abs: float) -> list[str]:
    """Each channel of ``(C, H, W)`` maps as :func:`encode_map` gives it, all on one scale ``[−max_abs, max_abs]``
    (the indices of the whole layer computed in one pass)."""
    return [_palette_png(index, DIVERGING_PALETTE) for index in _palette_indices(values, max_abs)]


def encode_heatmap(values: np.ndarray) -> str:
    """A 2-D map with values in [0, 1] as a PNG data URL, white (0) to red (1)."""
    index = np.rint(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)
    return _palette_png(index, HEAT_PALETTE)


def encode_photo(pixels: np.ndarray) -> str:
    """The decoded input ``(C, H, W)`` in [0, 1] back as a PNG data URL (what the maps were computed from)."""
    array = np.rint(np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8)
    image = Image.fromarray(array[0]) if array.shape[0] == 1 else Image.fromarray(array.transpose(1, 2, 0))
    return _data_url(image)
