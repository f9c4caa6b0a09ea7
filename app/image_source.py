"""The image of an image request: a built-in sample or an upload, sized from its header before decoding.

The image lab and the lecture's opening experiments take the same form fields (``file`` *or* ``sample``);
:func:`load_image` turns them into a :class:`Source` that knows its working size and the price of decoding
it, and decodes only when asked (inside the request's admission).
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from app import imaging
from app.settings import Settings
from convcore.errors import InputError
from convcore.networks import cost
from convcore.networks.layers import Shape

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "static" / "samples"
#: name → (Russian title, English title); the files are drawn by scripts/make_samples.py.
SAMPLES: dict[str, tuple[str, str]] = {
    "house": ("Домик", "House"),
    "checkerboard": ("Шахматная доска", "Checkerboard"),
    "circle": ("Круг с градиентом", "Circle gradient"),
    "text": ("Текст издали", "Text from afar"),
    "landscape": ("Пейзаж 512×512", "Landscape 512×512"),
}

Color = Literal["gray", "rgb"]


@lru_cache(maxsize=32)
def sample_image(name: str, color: Color, max_work_pixels: int) -> imaging.DecodedImage:
    data = (SAMPLE_DIR / f"{name}.png").read_bytes()
    decoded = imaging.decode_image(
        data, color=color, max_bytes=len(data), max_image_pixels=2**31, max_work_pixels=max_work_pixels
    )
    decoded.pixels.flags.writeable = False
    return decoded


@lru_cache(maxsize=32)
def sample_photo(name: str, color: Color, max_work_pixels: int) -> str:
    """The decoded sample as the response's PNG data URL: the same for every request on it."""
    return imaging.encode_photo(sample_image(name, color, max_work_pixels).pixels)


@dataclass(frozen=True)
class Source:
    """The image of a request before it is decoded: a built-in sample (already decoded) or an upload's bytes,
    with the size its header declares and the working shape it will be scaled to."""

    label: str
    original: tuple[int, int]
    work: Shape
    color: Color
    data: bytes = b""
    transparent: bool = False
    sample: imaging.DecodedImage | None = None
    sample_photo: str = ""

    def decode(self, settings: Settings) -> imaging.DecodedImage:
        if self.sample is not None:
            return self.sample
        return imaging.decode_image(
            self.data,
            color=self.color,
            max_bytes=settings.max_upload_bytes,
            max_image_pixels=settings.max_image_pixels,
            max_work_pixels=settings.max_work_pixels,
        )

    def decode_bytes(self) -> int:
        if self.sample is not None:
            return 0
        return cost.decode_bytes(self.original, self.work, transparent=self.transparent)

    def photo(self, decoded: imaging.DecodedImage) -> str:
        """The decoded image as a PNG data URL (a sample's is encoded once per process)."""
        return self.sample_photo or imaging.encode_photo(decoded.pixels)


def upload_source(data: bytes, color: Color, settings: Settings) -> Source:
    width, height, transparent = imaging.image_size(
        data, max_bytes=settings.max_upload_bytes, max_image_pixels=settings.max_image_pixels
    )
    fit_w, fit_h = imaging.fit_size(width, height, settings.max_work_pixels)
    shape = Shape(1 if color == "gray" else 3, fit_h, fit_w)
    return Source("upload", (height, width), shape, color, data=data, transparent=transparent)


async def upload_bytes(file: UploadFile | None, sample: str | None) -> bytes | None:
    """The upload's bytes (``None`` for a sample), after checking that exactly one of the two was sent."""
    if file is not None and sample is not None:
        raise ValueError("send either file (an uploaded image) or sample (a built-in sample name), not both")
    if sample is not None:
        return None
    if file is None:
        raise ValueError("send an image: file (an uploaded PNG, JPEG or WebP) or sample (a built-in sample name)")
    # The body-size middleware has bounded the request, and multipart parts are kept in memory.
    return await file.read()


def source(data: bytes | None, sample: str | None, color: Color, settings: Settings) -> Source:
    """The request's image, read in the worker thread that does its work (one hop off the event loop)."""
    if data is not None:
        return upload_source(data, color, settings)
    if sample not in SAMPLES:
        # A form field naming nothing: a 422 (the URL exists), coded like any value outside its choices.
        raise InputError(
            f"sample must be one of {', '.join(SAMPLES)}, got {sample!r}",
            code="not_one_of_value",
            field="sample",
            choices=list(SAMPLES),
            value=sample,
        )
    decoded = sample_image(sample, color, settings.max_work_pixels)
    photo = sample_photo(sample, color, settings.max_work_pixels)
    shape = Shape(*decoded.pixels.shape)
    return Source(f"sample:{sample}", decoded.original_size, shape, color, sample=decoded, sample_photo=photo)


async def load_image(file: UploadFile | None, sample: str | None, color: Color, settings: Settings) -> Source:
    """The request's image for an endpoint that prices and decodes it in one step (the intro experiments)."""
    data = await upload_bytes(file, sample)
    return await run_in_threadpool(source, data, sample, color, settings)


#: an image request's form fields, for :func:`source` in the worker thread
ImageArgs = tuple[bytes | None, str | None, Color]


FileField = Annotated[UploadFile | None, File(description="a PNG, JPEG or WebP image")]
SampleField = Annotated[str | None, Form(description="a built-in sample name (GET /images/samples)")]
