"""Draw the built-in sample images of the image lab (static/samples/*.png) procedurally.

Every sample is made here from numpy and Pillow primitives with a fixed seed, so the files are ours (no
third-party rights) and can be re-created byte for byte: ``.venv/bin/python scripts/make_samples.py``.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "samples"


def checkerboard(size: int = 256, cell: int = 32) -> Image.Image:
    """Black and white squares: every edge is perfectly vertical or horizontal (Sobel x vs y)."""
    index = np.arange(size) // cell
    board = (index[:, None] + index[None, :]) % 2
    return Image.fromarray((board * 255).astype(np.uint8), "L").convert("RGB")


def house(width: int = 384, height: int = 288) -> Image.Image:
    """A flat-colour house scene: sky, grass, walls, a roof at an angle, windows, a door and a sun."""
    image = Image.new("RGB", (width, height), (150, 200, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, width, height), fill=(70, 150, 60))
    draw.ellipse((300, 24, 356, 80), fill=(250, 210, 60))
    draw.rectangle((90, 120, 250, 230), fill=(205, 160, 110))
    draw.polygon([(75, 122), (170, 50), (265, 122)], fill=(150, 50, 40))
    draw.rectangle((110, 140, 150, 180), fill=(240, 240, 250), outline=(60, 60, 60), width=3)
    draw.line((130, 140, 130, 180), fill=(60, 60, 60), width=2)
    draw.line((110, 160, 150, 160), fill=(60, 60, 60), width=2)
    draw.rectangle((185, 160, 220, 230), fill=(100, 60, 30))
    draw.rectangle((280, 150, 292, 215), fill=(110, 70, 40))
    draw.ellipse((258, 100, 314, 160), fill=(40, 110, 40))
    return image


def circle_gradient(size: int = 256) -> Image.Image:
    """A radial gradient inside a sharp-edged disc: smooth change in the middle, one strong circular edge."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    r = np.hypot(y - size / 2 + 0.5, x - size / 2 + 0.5) / (size * 0.42)
    value = np.where(r <= 1.0, 1.0 - 0.8 * r, 0.08)
    rgb = np.stack([value, value * 0.85, 0.3 + 0.5 * value], axis=-1)
    return Image.fromarray(np.rint(rgb * 255).astype(np.uint8), "RGB")


def text_pattern(width: int = 320, height: int = 240, seed: int = 1) -> Image.Image:
    """Lines of 'words' made of thin strokes, like a page of print seen from afar: many small edges."""
    rng = np.random.default_rng(seed)
    image = Image.new("L", (width, height), 245)
    draw = ImageDraw.Draw(image)
    for top in range(16, height - 16, 22):
        x = 14
        while x < width - 30:
            for _ in range(int(rng.integers(2, 7))):
                glyph = int(rng.integers(0, 4))
                h = 12 if glyph != 3 else 16
                if glyph == 0:
                    draw.line((x, top, x, top + h), fill=20, width=2)
                elif glyph == 1:
                    draw.ellipse((x, top + 4, x + 7, top + h), outline=20, width=2)
                elif glyph == 2:
                    draw.line((x, top + h, x + 6, top + 4), fill=20, width=2)
                else:
                    draw.line((x, top - 4, x, top + h - 4), fill=20, width=2)
                x += 9
            x += 10
    return image.convert("RGB")


def landscape(size: int = 512, seed: int = 7) -> Image.Image:
    """A 512×512 'photo': sky gradient, sun, layered hills, a lake, trees and sensor-like noise (benchmarks)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    sky = np.stack([0.45 + 0.4 * y, 0.65 + 0.25 * y, 0.95 - 0.1 * y], axis=-1)
    image = sky.copy()
    sun = np.hypot(x - 0.75, y - 0.2) < 0.07
    image[sun] = (1.0, 0.9, 0.5)
    for level, amp, freq, colour in ((0.45, 0.06, 9, (0.35, 0.45, 0.55)), (0.58, 0.05, 5, (0.2, 0.45, 0.25))):
        ridge = level + amp * np.sin(freq * x * np.pi + level * 10) + 0.02 * np.sin(31 * x)
        image[y > ridge] = colour
    lake = (y > 0.72) & (np.abs(x - 0.35) < 0.25 * (1 - (y - 0.86) ** 2 * 30).clip(0))
    image[lake] = (0.25, 0.45, 0.7)
    for cx in rng.uniform(0.6, 0.95, 6):
        trunk = (np.abs(x - cx) < 0.006) & (y > 0.62) & (y < 0.72)
        crown = np.abs(x - cx) < (y - 0.5) * 0.35
        image[crown & (y < 0.66) & (y > 0.5)] = (0.1, 0.3, 0.12)
        image[trunk] = (0.35, 0.22, 0.1)
    image += rng.normal(0.0, 0.02, image.shape)
    return Image.fromarray(np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8), "RGB")


SAMPLES = {
    "checkerboard": checkerboard,
    "house": house,
    "circle": circle_gradient,
    "text": text_pattern,
    "landscape": landscape,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw in SAMPLES.items():
        draw().save(OUT / f"{name}.png", optimize=True)
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
