"""The page on computing a convolution: its direct loop and its FFT route, both computed in the browser, against
torch's conv2d (float64) on the same input and kernel, read from the grids' data-values."""

import json
from typing import Any

import pytest
import torch
import torch.nn.functional as F

pytestmark = pytest.mark.browser


def _grid(page: Any, selector: str) -> torch.Tensor:
    return torch.tensor(json.loads(page.locator(selector).get_attribute("data-values")), dtype=torch.float64)


def _open(page: Any, live_server: str, query: str = "") -> None:
    page.goto(f"{live_server}/compute?lang=en{query}")
    page.locator("#fft-verdict[data-max-diff]").wait_for(state="attached")


def test_the_direct_and_fft_results_equal_torchs_conv2d(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server)
    x = _grid(page, "#fft-input")
    kernel = _grid(page, "#fft-kernel")
    assert x.shape == (8, 8)
    assert kernel.shape == (3, 3)
    want = F.conv2d(x[None, None], kernel[None, None], padding=1)[0, 0]
    direct = _grid(page, "#fft-direct")
    fft = _grid(page, "#fft-result")
    assert direct.shape == fft.shape == want.shape == (8, 8)
    torch.testing.assert_close(direct, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(fft, want, rtol=0, atol=1e-12)
    assert float(page.locator("#fft-verdict").get_attribute("data-max-diff")) < 1e-12
    assert "float64" in page.locator("#fft-verdict").text_content()


def test_without_zero_padding_the_fft_computes_torchs_circular_padding(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server, "&n=16&k=5&p=2&kernel=random&seed=4")
    page.get_by_label("without zero padding").check()
    page.locator("#fft-wrap:not([hidden])").wait_for()
    x = _grid(page, "#fft-input")
    kernel = _grid(page, "#fft-kernel")
    circular = F.conv2d(F.pad(x[None, None], (2, 2, 2, 2), mode="circular"), kernel[None, None])[0, 0]
    torch.testing.assert_close(_grid(page, "#fft-result"), circular, rtol=0, atol=1e-12)
    zero_padded = F.conv2d(x[None, None], kernel[None, None], padding=2)[0, 0]
    torch.testing.assert_close(_grid(page, "#fft-direct"), zero_padded, rtol=0, atol=1e-12)
    wrong = float(page.locator("#fft-verdict").get_attribute("data-max-diff"))
    assert wrong == pytest.approx(float((circular - zero_padded).abs().max()), rel=1e-9)
    assert wrong > 0.1
    assert "circular convolution" in page.locator("#fft-wrap").text_content()


def test_without_the_flip_the_fft_computes_the_true_convolution(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server, "&noflip=1")
    x = _grid(page, "#fft-input")
    kernel = _grid(page, "#fft-kernel")
    flipped = torch.flip(kernel, dims=(0, 1))
    want = F.conv2d(x[None, None], flipped[None, None], padding=1)[0, 0]
    torch.testing.assert_close(_grid(page, "#fft-result"), want, rtol=0, atol=1e-12)
    assert (
        page.locator("#fft-wrap").text_content()
        == "Without the flip the result is the true convolution, not torch's conv2d."
    )


def test_the_lectures_question_and_the_plot_count_what_the_server_counts(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server)
    card = page.locator(".question-card").filter(has_text="3×3 convolution on a 32×32 map")
    card.get_by_label("Your answer").fill("2 359 296")
    card.get_by_role("button", name="Check").click()
    card.get_by_text("Answer: 2359296").wait_for()
    assert card.get_by_text("Correct!").is_visible()
    assert page.locator("#cost-plot").get_attribute("data-direct3") == "2359296"
    assert page.locator("#cost-crossover").text_content() == "FFT needs fewer multiplications from k = 12 on (N = 64)."
    assert page.get_by_role("link", name="open the matrix view").get_attribute("href") == "/?matrix=1"


def test_the_russian_page_and_its_url_state(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server, "&k=5")
    assert page.get_by_role("heading", level=1).text_content() == "Computing a convolution: loop, im2col, FFT"
    page.get_by_role("button", name="RU").click()
    assert page.get_by_role("heading", level=1).text_content() == "Свёртка на практике: цикл, im2col, БПФ"
    page.get_by_label("Паддинг p").fill("2")
    page.get_by_label("Паддинг p").press("Enter")
    page.wait_for_function("new URLSearchParams(location.search).get('p') === '2'")
    page.goto(page.url)
    page.locator("#fft-verdict[data-max-diff]").wait_for(state="attached")
    assert page.get_by_label("Размер ядра k").input_value() == "5"
    assert len(json.loads(page.locator("#fft-result").get_attribute("data-values"))) == 8
    assert page.get_by_role("heading", name="Вопросы из лекции").is_visible()
