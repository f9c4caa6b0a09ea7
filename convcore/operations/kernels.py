"""Preset 2-D kernels for the playground: blurs, sharpening, edge detectors.

Every kernel is a float64 array meant to be applied the way torch's ``conv2d`` applies a weight, i.e. as
cross-correlation (no flip). That fixes the sign conventions below: ``sobel_x`` responds positively where
brightness increases to the right (+x, increasing column index) and ``sobel_y`` where it increases
downwards (+y, increasing row index).
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Kernel", "get_kernel", "list_kernels"]


@dataclass(frozen=True)
class Kernel:
    """A named kernel with a short description in Russian and English."""

    name: str
    weights: np.ndarray
    description_ru: str
    description_en: str


_BINOMIAL_3 = np.array([1.0, 2.0, 1.0])
_BINOMIAL_5 = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
_CENTRAL_DIFFERENCE = np.array([-1.0, 0.0, 1.0])

# (weights, description_ru, description_en); insertion order is the order list_kernels() reports.
_PRESETS: dict[str, tuple[list[list[float]] | np.ndarray, str, str]] = {
    "identity": (
        [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "Тождественное ядро: копирует вход без изменений.",
        "Identity: copies the input unchanged.",
    ),
    "box_blur_3": (
        np.full((3, 3), 1.0 / 9.0),
        "Размытие средним 3×3: каждый пиксель заменяется средним по окну.",
        "Box blur 3×3: every pixel becomes the mean of its window.",
    ),
    "box_blur_5": (
        np.full((5, 5), 1.0 / 25.0),
        "Размытие средним 5×5: сильнее, чем 3×3.",
        "Box blur 5×5: stronger than 3×3.",
    ),
    "gaussian_blur_3": (
        np.outer(_BINOMIAL_3, _BINOMIAL_3) / 16.0,
        "Гауссово размытие 3×3 (биномиальные веса 1-2-1): центр весит больше краёв.",
        "Gaussian blur 3×3 (binomial 1-2-1 weights): the centre weighs more than the border.",
    ),
    "gaussian_blur_5": (
        np.outer(_BINOMIAL_5, _BINOMIAL_5) / 256.0,
        "Гауссово размытие 5×5 (биномиальные веса 1-4-6-4-1).",
        "Gaussian blur 5×5 (binomial 1-4-6-4-1 weights).",
    ),
    "sharpen": (
        [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "Повышение резкости: пиксель минус лапласиан, сумма весов 1.",
        "Sharpen: the pixel minus the Laplacian; weights sum to 1.",
    ),
    "laplacian_4": (
        [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "Лапласиан по 4 соседям: вторая производная, выделяет края; сумма весов 0.",
        "Laplacian, 4 neighbours: second derivative, highlights edges; weights sum to 0.",
    ),
    "laplacian_8": (
        [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
        "Лапласиан по 8 соседям (включая диагонали); сумма весов 0.",
        "Laplacian, 8 neighbours (diagonals included); weights sum to 0.",
    ),
    "sobel_x": (
        np.outer(_BINOMIAL_3, _CENTRAL_DIFFERENCE),
        "Собель по x: производная слева направо со сглаживанием по вертикали; вертикальные края.",
        "Sobel x: left-to-right derivative smoothed vertically; finds vertical edges.",
    ),
    "sobel_y": (
        np.outer(_CENTRAL_DIFFERENCE, _BINOMIAL_3),
        "Собель по y: производная сверху вниз со сглаживанием по горизонтали; горизонтальные края.",
        "Sobel y: top-to-bottom derivative smoothed horizontally; finds horizontal edges.",
    ),
    "prewitt_x": (
        np.outer(np.ones(3), _CENTRAL_DIFFERENCE),
        "Прюитт по x: как Собель, но с равными весами строк.",
        "Prewitt x: like Sobel x with equal row weights.",
    ),
    "prewitt_y": (
        np.outer(_CENTRAL_DIFFERENCE, np.ones(3)),
        "Прюитт по y: как Собель, но с равными весами столбцов.",
        "Prewitt y: like Sobel y with equal column weights.",
    ),
    "emboss": (
        [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
        "Тиснение: разность вдоль диагонали плюс исходный пиксель — эффект рельефа.",
        "Emboss: a diagonal difference plus the pixel itself — a relief effect.",
    ),
    "outline": (
        [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
        "Контур: минус лапласиан по 8 соседям; плоские области становятся нулём.",
        "Outline: minus the 8-neighbour Laplacian; flat regions become zero.",
    ),
}


def list_kernels() -> list[Kernel]:
    """All preset kernels, in a fixed teaching order (identity, blurs, sharpen, edges, emboss)."""
    return [get_kernel(name) for name in _PRESETS]


def get_kernel(name: str) -> Kernel:
    """The preset kernel called ``name``; its weights are a fresh float64 (kH, kW) array.

    Raises ``ValueError`` listing the valid names when ``name`` is unknown.
    """
    if name not in _PRESETS:
        valid = ", ".join(_PRESETS)
        raise ValueError(f"unknown kernel {name!r}; choose one of: {valid}")
    weights, description_ru, description_en = _PRESETS[name]
    return Kernel(
        name=name,
        weights=np.array(weights, dtype=np.float64),
        description_ru=description_ru,
        description_en=description_en,
    )
