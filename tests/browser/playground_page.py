"""What the playground's browser tests share: opening the page at ``/``, reading the output shape, the
formulas and the numbers of a grid, and torch's output shape for the same layer."""

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import torch
import torch.nn.functional as F
from playwright.sync_api import expect


def open_playground(page: Any, base: str, query: str = "") -> None:
    page.goto(f"{base}/?lang=en{'&' + query if query else ''}")
    page.get_by_role("heading", name="Convolution playground").wait_for()
    expect_formula(page)


def expect_formula(page: Any) -> None:
    expect(page.locator("#pg-formula-h")).not_to_contain_text("…")
    expect(page.locator("#pg-formula-h")).not_to_be_empty()


def set_number(page: Any, name: str, value: int) -> None:
    field = page.get_by_role("spinbutton", name=name, exact=True)
    field.fill(str(value))
    field.press("Enter")


def expect_shape(page: Any, shape: tuple[int, int, int]) -> None:
    expect(page.locator("#pg-output-shape")).to_have_text("Output: {} × {} × {}".format(*shape))


def number_pattern(value: float) -> str:
    """A regular expression for ``value`` as the page writes a number (a real minus sign, trailing zeros or not),
    equal to it to nine decimals: a shown number that parses to within 1e-9 of ``value``."""
    digits = f"{abs(value):.9f}".rstrip("0").rstrip(".")
    whole, _, fraction = digits.partition(".")
    sign = "−?" if digits == "0" else "−" if value < 0 else ""
    return sign + whole + (rf"\.{fraction}0*" if fraction else r"(\.0*)?")


def shown_shape(page: Any) -> tuple[int, int, int]:
    text = page.locator("#pg-output-shape").text_content()
    c, h, w = (int(v) for v in re.findall(r"\d+", text))
    return c, h, w


def torch_shape(mode: str, c_in: int, c_out: int, h: int, w: int, **kw: Any) -> tuple[int, int, int]:
    x = torch.zeros(1, c_in, h, w, dtype=torch.float64)
    if mode in ("conv", "transposed"):
        k = kw.pop("kernel_size")
        shape = (c_out, c_in // kw.get("groups", 1)) if mode == "conv" else (c_in, c_out // kw.get("groups", 1))
        weight = torch.zeros(*shape, k, k, dtype=torch.float64)
        y = (F.conv2d if mode == "conv" else F.conv_transpose2d)(x, weight, **kw)
    elif mode == "maxpool":
        y = F.max_pool2d(x, **kw)
    else:
        y = F.avg_pool2d(x, **kw)
    return tuple(y.shape[1:])  # type: ignore[return-value]


def state_from_url(page: Any) -> dict[str, list[str]]:
    expect(page).to_have_url(re.compile(r"[?&]x="))
    return parse_qs(urlparse(page.url).query)


def grid_numbers(page: Any, host: str, rows: int, cols: int) -> list[list[float | None]]:
    """The numbers an SVG grid shows, row by row (None for an empty cell)."""
    texts = page.locator(f"{host} svg g[data-i]").evaluate_all(
        "gs => gs.map(g => [Number(g.dataset.i), g.querySelector('text')?.textContent ?? ''])"
    )
    cells: list[list[float | None]] = [[None] * cols for _ in range(rows)]
    for n, text in texts:
        cells[n // cols][n % cols] = float(text.replace("−", "-")) if text.strip() else None
    return cells
