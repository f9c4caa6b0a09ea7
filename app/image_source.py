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
from convcore import cost
from convcore.errors import InputError
from convcore.layers import Shape

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


def upload_source(data: bytes, color: Color, settings: Settings) -> Source:
    width, height, transparent = imaging.image_size(
        data, max_bytes=settings.max_upload_bytes, max_image_pixels=settings.max_image_pixels
    )
    fit_w, fit_h = imaging.fit_size(width, height, settings.max_work_pixels)
    shape = Shape(1 if color == "gray" else 3, fit_h, fit_w)
    return Source("upload", (height, width), shape, color, data=data, transparent=transparent)


async def load_image(file: UploadFile | None, sample: str | None, color: Color, settings: Settings) -> Source:
    if file is not None and sample is not None:
        raise ValueError("send either file (an uploaded image) or sample (a built-in sample name), not both")
    if sample is not None:
        if sample not in SAMPLES:
            # A form field naming nothing: a 422 (the URL exists), coded like any value outside its choices.
            raise InputError(
                f"sample must be one of {', '.join(SAMPLES)}, got {sample!r}",
                code="not_one_of_value",
                field="sample",
                choices=list(SAMPLES),
                value=sample,
            )
        decoded = await run_in_threadpool(sample_image, sample, color, settings.max_work_pixels)
        return Source(f"sample:{sample}", decoded.original_size, Shape(*decoded.pixels.shape), color, sample=decoded)
    if file is None:
        raise ValueError("send an image: file (an uploaded PNG, JPEG or WebP) or sample (a built-in sample name)")
    # The body-size middleware has bounded the request, and multipart parts are kept in memory.
    data = await file.read()
    return await run_in_threadpool(upload_source, data, color, settings)


FileField = Annotated[UploadFile | None, File(description="a PNG, JPEG or WebP image")]
SampleField = Annotated[str | None, Form(description="a built-in sample name (GET /images/samples)")]
