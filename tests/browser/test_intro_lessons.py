"""/why-conv and /equivariance in a real Chromium: sliders driven by keyboard, the numbers shown equal torch's
and convcore's, the equivariance error is 0 at stride 1 and not at stride 2 for a shift by 1, both languages,
1280 and 360 px wide with no horizontal scroll. Screenshots land in tests/browser/screenshots/.
"""

import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect
from torch import nn

from app.image_source import sample_image
from convcore.operations import dense
from convcore.operations import equivariance as eq
from convcore.operations.kernels import get_kernel
from tests.browser.conftest import screenshot
from tests.browser.test_lessons import number

pytestmark = pytest.mark.browser


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def formula_result(page, layer: str, nth: int) -> int:  # type: ignore[no-untyped-def]
    """The number after '=' in a layer card's formula (0: parameters, 1: MACs)."""
    text = page.locator(f'.layer-card[data-layer="{layer}"] .formula').nth(nth).text_content()
    return int(text.rsplit("=", 1)[1])


def no_horizontal_overflow(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_why_conv_counts_equal_torch_and_follow_the_slider(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/why-conv?lang=en&c=3&h=20&w=24&cout=8&k=3")
    page.locator('.layer-card[data-layer="conv"]').wait_for()
    for k in (3, 5):
        page.wait_for_function(
            f"() => document.querySelector('.layer-card[data-layer=conv] .mono').textContent.includes('={k},')"
        )
        assert formula_result(page, "conv", 0) == n_params(nn.Conv2d(3, 8, k, padding=k // 2))
        assert formula_result(page, "dense", 0) == n_params(nn.Linear(3 * 20 * 24, 8 * 20 * 24))
        assert formula_result(page, "locally_connected", 0) == dense.locally_connected_cost(3, 20, 24, 8, k).params
        assert (
            formula_result(page, "conv", 1) == formula_result(page, "locally_connected", 1) == 8 * 3 * k * k * 20 * 24
        )
        slider = page.get_by_label("Window k×k")
        slider.focus()
        slider.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('k=7')")
    # the address is written when the request is sent, and k = 5's savings and plot read the same: wait for the
    # answer for k = 7, drawn with them, and for them
    expect(page.locator('.layer-card[data-layer="conv"] .mono')).to_contain_text("=7,")
    expect(page.locator("#why-savings li").nth(1)).to_contain_text("exactly H·W = 480")
    expect(page.locator("#why-plot path.plot-line")).to_have_count(3)


def test_why_conv_big_counts_are_exact_with_a_superscript_exponent(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/why-conv?lang=ru&c=3&h=224&w=224&cout=64&k=3")
    params = page.locator('.layer-card[data-layer="dense"] .count.params')
    params.wait_for()
    expected = n_params(nn.Linear(3 * 224 * 224, 1))  # one output's weights and bias …
    expected = (expected - 1) * 64 * 224 * 224 + 64 * 224 * 224  # … for all 64·224·224 outputs
    text = params.text_content()
    assert "^" not in text
    exact, _, approx = text.removeprefix("Параметров: ").partition(" ≈ ")
    assert int(exact.replace("\u00a0", "")) == expected == formula_result(page, "dense", 0)
    assert approx == "4.83·10¹¹"
    assert page.title() == "Зачем свёртка — convviz"
    assert page.locator(".index-note").is_visible()
    assert "^" not in page.locator("#why-savings").text_content()


def test_why_conv_permutation_and_questions(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/why-conv?lang=en&side=24&seed=4")
    page.locator('#perm-figures figure[data-map="conv_unscrambled"] img').wait_for()
    pixels = sample_image("house", "gray", 24 * 24).pixels.astype(np.float64)[0]
    result = dense.permutation_experiment(pixels, get_kernel("sobel_x").weights, units=64, seed=4)
    conv_stat = page.locator("#perm-conv-stat").text_content()
    shown = float(re.search(r"= ([\d.]+)", conv_stat).group(1))  # type: ignore[union-attr]
    assert shown == pytest.approx(result.conv_relative_difference, abs=0.01)
    assert shown > 0.5
    dense_stat = page.locator("#perm-dense-stat").text_content()
    assert "equal up to the order of the additions" in dense_stat
    difference = re.search(r"\| = (\S+) —", dense_stat).group(1)  # type: ignore[union-attr]
    assert number(difference) < 1e-12

    card = page.locator(".question-card").filter(has_text="224×224×3 image to 1000 units")
    card.get_by_label("Your answer").fill("150528000")
    card.get_by_role("button", name="Check").click()
    card.get_by_text("Correct!").wait_for()
    card = page.locator(".question-card").filter(has_text="3×3 convolution with 64 filters")
    card.get_by_label("Your answer").fill("1728")  # the weights without the biases: a hint, not the answer
    card.get_by_role("button", name="Check").click()
    card.locator(".hint").get_by_text("each filter has one bias").wait_for()
    assert card.locator(".answer").count() == 0
    card.get_by_label("Your answer").fill(str(n_params(nn.Conv2d(3, 64, 3))))
    card.get_by_role("button", name="Check").click()
    card.get_by_text("Correct!").wait_for()


def verdict_error(page) -> float:  # type: ignore[no-untyped-def]
    return float(page.locator("#eq-verdict").get_attribute("data-error"))


def test_equivariance_zero_at_stride_1_nonzero_at_stride_2(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/equivariance?lang=en&dx=0&dy=0")
    page.locator('#eq-maps figure[data-map="difference"] .region').wait_for()
    shift = page.get_by_label("Shift right dx")
    shift.focus()
    shift.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#eq-maps figcaption').textContent.includes('(0, 1)')")
    assert verdict_error(page) == 0.0
    assert "the largest error there is 0" in page.locator("#eq-verdict").text_content()
    for _ in range(3):
        shift.press("ArrowRight")  # 2, 3, 4: still exact inside the region
    page.wait_for_function("() => document.querySelector('#eq-maps figcaption').textContent.includes('(0, 4)')")
    assert verdict_error(page) == 0.0

    stride = page.get_by_label("Stride of the first layer")
    stride.focus()
    stride.press("ArrowRight")
    # dx = 4 is a multiple of the stride: the maps move by 2 and the copy is still exact
    page.wait_for_function("() => document.querySelector('#eq-maps').textContent.includes('shift(conv(x)) by (0, 2)')")
    assert verdict_error(page) == 0.0
    shift.focus()
    for _ in range(3):
        shift.press("ArrowLeft")
    page.wait_for_function("() => document.querySelector('#eq-maps figcaption').textContent.includes('(0, 1)')")
    page.wait_for_function("() => Number(document.querySelector('#eq-verdict').dataset.error) > 0")
    pixels = sample_image("landscape", "gray", 256 * 256).pixels.astype(np.float64)
    net = eq.make_net(layers=3, channels=4, kernel_size=3, stride=2, blur=1, seed=0)
    expected, _ = eq.compare_shift(net, pixels, 0, 1)
    assert verdict_error(page) == pytest.approx(expected.max_error_inside, rel=1e-6)
    assert "Not a shifted copy" in page.locator("#eq-verdict").text_content()

    page.get_by_label("3×3 [1 2 1]").check()
    page.wait_for_function("() => location.search.includes('blur=3')")
    page.wait_for_function(
        f"() => Number(document.querySelector('#eq-verdict').dataset.error) < {expected.max_error_inside}"
    )
    blurred, _ = eq.compare_shift(
        eq.make_net(layers=3, channels=4, kernel_size=3, stride=2, blur=3, seed=0), pixels, 0, 1
    )
    assert verdict_error(page) == pytest.approx(blurred.max_error_inside, rel=1e-6)


def test_equivariance_summary_and_the_lecture_answer(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/equivariance?lang=en&sample=house&layers=2")
    page.locator("#eq-transforms tbody tr").first.wait_for()
    assert page.locator("#eq-alias-plot path.plot-line").count() == 2
    assert page.locator("#eq-pool-plot path.plot-line").count() == 3
    page.get_by_text("The lecture's question").click()
    rows = page.locator("#eq-answer tbody tr")
    assert rows.count() == 6
    # the table says "—" until both answers are drawn, and the summary's (the table waited for) may come first
    measured = page.locator("#eq-answer tbody tr > :nth-child(3)")
    expect(measured.filter(has_text=re.compile("^—$"))).to_have_count(0)
    expect(measured.first).to_have_text("largest error inside, shift by 1: 0")
    card = page.locator(".question-card").filter(has_text="By how many pixels does the output move")
    card.get_by_label("Your answer").fill("2")
    card.get_by_role("button", name="Check").click()
    card.get_by_text("Correct!").wait_for()


@pytest.mark.parametrize(
    ("path", "ready", "english", "russian"),
    [
        ("why-conv", "#perm-figures img", "Why not dense layers?", "Почему не полносвязные слои?"),
        ("equivariance", "#eq-transforms tbody tr", "Equivariance and invariance", "Эквивариантность и инвариантность"),
    ],
)
def test_languages_and_widths(page, live_server: str, path: str, ready: str, english: str, russian: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/{path}?lang=en")
    page.locator(ready).first.wait_for()
    assert page.get_by_role("heading", level=1).text_content() == english
    assert page.locator(".site-header nav a").first.get_attribute("href") in {"/why-conv", "/equivariance"}
    assert no_horizontal_overflow(page)
    screenshot(page, f"intro-{path}-en-1280")
    page.get_by_role("button", name="RU").click()
    assert page.get_by_role("heading", level=1).text_content() == russian
    assert page.get_by_role("heading", name="Вопросы из лекции").is_visible()
    page.set_viewport_size({"width": 360, "height": 800})
    page.wait_for_timeout(300)
    assert no_horizontal_overflow(page)
    screenshot(page, f"intro-{path}-ru-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(300)
    assert no_horizontal_overflow(page)
    screenshot(page, f"intro-{path}-ru-1280")
    page.get_by_role("button", name="EN").click()
    page.set_viewport_size({"width": 360, "height": 800})
    page.wait_for_timeout(300)
    assert no_horizontal_overflow(page)
    screenshot(page, f"intro-{path}-en-360")


def test_equivariance_on_an_uploaded_photo(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    photo = (rng.random((40, 48)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    page.goto(f"{live_server}/equivariance?lang=en&dx=2&dy=-1&stride=2")
    page.locator("#eq-maps img").first.wait_for()
    page.locator("#eq-upload").set_input_files(
        files=[{"name": "noise.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    page.wait_for_function("() => document.querySelector('#eq-net-text').textContent.includes('Gray image 40×48')")
    assert page.locator("#eq-sample").input_value() == ""
    net = eq.make_net(layers=3, channels=4, kernel_size=3, stride=2, blur=1, seed=0)
    expected, _ = eq.compare_shift(net, photo[None].astype(np.float64) / 255.0, -1, 2)
    assert verdict_error(page) == pytest.approx(expected.max_error_inside, rel=1e-6)
    assert verdict_error(page) > 0  # dy = −1 is not a multiple of the stride


def test_equivariance_refusal_is_said_in_the_page_language(page, live_server: str, problems) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/equivariance?lang=ru&layers=3&channels=8&k=7")
    error = page.locator("#eq-error")
    error.get_by_text("Этому опыту нужно").wait_for()
    assert "million" not in error.text_content()
    assert "уменьшите число слоёв или фильтров" in error.text_content()
    assert page.title() == "Эквивариантность и инвариантность — convviz"
    assert page.locator(".index-note").text_content().startswith("Строки, столбцы, каналы")
    page.get_by_role("button", name="EN").click()
    error.get_by_text("This experiment needs").wait_for()
    assert page.title() == "Equivariance and invariance — convviz"
    # Chromium logs every 4xx response as a console error: the shift and the summary are both refused, as
    # expected, and nothing else may be
    expected = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert problems.console_errors == [expected, expected]
    problems.console_errors.clear()


def test_equivariance_quiz_gives_a_hint_before_the_answer(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/equivariance?lang=ru&stride=2")
    page.locator("#eq-transforms tbody tr").first.wait_for()
    card = page.locator(".question-card").filter(has_text="вход сдвигается вправо на 4 пикселя")
    card.get_by_label("Ваш ответ").fill("4")
    card.get_by_role("button", name="Проверить").click()
    card.locator(".hint").get_by_text("разделите сдвиг входа на страйд").wait_for()
    assert card.locator(".answer").count() == 0
    card.get_by_label("Ваш ответ").fill("2")
    card.get_by_role("button", name="Проверить").click()
    card.locator(".answer").wait_for()
