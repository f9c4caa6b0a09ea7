"""The lesson pages in a real Chromium: the numbers they show equal convcore's (and torch's), the language
switch, the URL round trip, no overflow at 360 px. Screenshots land in tests/browser/screenshots/.
"""

import re

import numpy as np
import pytest
import torch
from playwright.sync_api import expect

from convcore.arithmetic import formulas
from convcore.networks import residual
from convcore.operations import dropout as dropout_ops
from convcore.operations import norm, pooling
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def number(text: str) -> float:
    """A number as the lessons write it: a real minus sign, 1.2·10⁻⁴ for scientific notation."""
    mantissa, _, exponent = text.strip().replace("−", "-").partition("·10")
    return float(mantissa) * 10 ** int(exponent.translate(SUPERSCRIPT) or 0)


def grid(table) -> list[list[float | None]]:  # type: ignore[no-untyped-def]
    """A tensor-grid table as rows of numbers, None for an empty (padding or not yet computed) cell."""
    rows = table.evaluate("t => [...t.rows].map(r => [...r.cells].map(c => c.textContent))")
    return [[number(cell) if cell else None for cell in row] for row in rows]


def batch_from(page, container: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The N×C×H×W batch drawn in a normalization container (one block per sample, one table per channel)."""
    blocks = page.locator(f"{container} .sample-block")
    return np.array(
        [
            [grid(blocks.nth(n).locator("table").nth(c)) for c in range(blocks.nth(n).locator("table").count())]
            for n in range(blocks.count())
        ],
        dtype=float,
    )


def stats_column(page, column: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    cells = page.locator("#bn-stats tbody tr").evaluate_all(f"rows => rows.map(r => r.cells[{column}].textContent)")
    return np.array([number(c) for c in cells])


def no_horizontal_overflow(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


# ---------------------------------------------------------------- pooling


@pytest.mark.parametrize(
    ("query", "mode", "count_include_pad"),
    [
        ("h=5&w=7&k=3&s=2&p=1&ceil=1", "max", True),
        ("h=5&w=7&k=3&s=2&p=1&ceil=1&mode=avg&cip=0", "avg", False),
        ("h=7&w=6&k=3&s=2&mode=avg", "avg", True),
    ],
)
def test_pooling_numbers_equal_convcore(page, live_server: str, query: str, mode: str, count_include_pad: bool) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/pooling?lang=en&{query}")
    params = dict(item.split("=") for item in query.split("&"))
    k, s, p, ceil = int(params["k"]), int(params["s"]), int(params.get("p", 0)), params.get("ceil") == "1"
    h, w = int(params["h"]), int(params["w"])
    padded = grid(page.locator("#pool-input table"))
    plane = np.array([row[p : p + w] for row in padded[p : p + h]], dtype=float)
    assert plane.shape == (h, w)

    last = page.get_by_label("Output position")
    last.evaluate("el => { el.value = el.max; el.dispatchEvent(new Event('input')); }")
    shown = np.array(grid(page.locator("#pool-output table")), dtype=float)
    common = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil}
    if mode == "max":
        expected = pooling.max_pool2d(plane[None, None], **common)
    else:
        expected = pooling.avg_pool2d(plane[None, None], **common, count_include_pad=count_include_pad)
    assert shown.shape == expected.shape[2:]
    np.testing.assert_allclose(shown, expected[0, 0], atol=0.005)  # the page rounds averages to 2 decimals

    formula = formulas.pool_formula(h, kernel_size=k, stride=s, padding=p, ceil_mode=ceil)
    page.get_by_text(f"H_out = {formula}").wait_for()
    assert page.locator("#pool-formula-w").text_content() == "W_out = " + formulas.pool_formula(
        w, kernel_size=k, stride=s, padding=p, ceil_mode=ceil
    )


def test_pooling_steps_show_the_winner_and_the_ceil_window(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/pooling?lang=en")
    page.get_by_role("button", name="ceil_mode: an extra window").click()
    # the preset is drawn when the server's answer comes (debounced); the default 6×6 setup also starts at
    # "Output (0, 0)" and also has 9 windows: wait for the note that only a window past the edge shows
    expect(page.locator("#pool-edge")).to_be_visible()
    explain = page.locator("#pool-explain")
    expect(explain).to_have_text(re.compile(r"^Output \(0, 0\): window values"))
    page.get_by_role("button", name="Step forward").click()
    expect(explain).to_have_text(re.compile(r"^Output \(0, 1\)"))
    page.get_by_role("button", name="Step back").click()
    page.get_by_role("button", name="Step back").click()
    expect(explain).to_have_text(re.compile(r"^Output \(2, 2\)"))
    # the last window of a 5×5 input with k=2, s=2, ceil_mode reads one real cell; the rest hangs over the edge
    expect(page.locator("#pool-input td.beyond.in-window")).to_have_count(3)
    expect(page.locator("#pool-input td.winner")).to_have_count(1)
    expect(page.locator("#pool-edge")).to_be_visible()
    screenshot(page, "lessons-pooling-ceil")


def test_pooling_gap_vector_equals_convcore(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/pooling?lang=en&gc=2&gh=3&gw=5")
    maps = page.locator("#gap-maps table")
    maps.first.wait_for()
    volume = np.array([grid(maps.nth(c)) for c in range(maps.count())], dtype=float)
    assert volume.shape == (2, 3, 5)
    expected = pooling.global_avg_pool2d(volume[None])[0, :, 0, 0]
    text = page.locator("#gap-vector").text_content()
    shown = [number(v) for v in re.search(r"\[(.*)\]", text).group(1).split(",")]  # type: ignore[union-attr]
    np.testing.assert_allclose(shown, expected, atol=5e-4)


def test_pooling_question_reveals_the_parameter_count(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/pooling?lang=en")
    card = page.locator(".question-card").filter(has_text="Conv2d(3, 16, kernel_size=3)")
    card.get_by_label("Your answer").fill("448")
    card.get_by_role("button", name="Check").click()
    card.get_by_text("Answer: 448").wait_for()
    assert card.get_by_text("Correct!").is_visible()
    assert card.get_by_text("16·3·3·3 + 16 = 448").is_visible()
    pool_card = page.locator(".question-card").filter(has_text="pooling layer on this page")
    pool_card.get_by_role("button", name="Show the answer").click()
    pool_card.get_by_text("Answer: 0").wait_for()


def test_a_question_gives_hints_and_retries_before_the_answer(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/pooling?lang=en")
    card = page.locator(".question-card").filter(has_text="Conv2d(3, 16, kernel_size=3)")
    answer = card.get_by_label("Your answer")
    answer.fill("abc")
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".verdict")).to_have_text("Enter a number, e.g. 12 or 0.5 (a comma works too).")
    answer.fill("432")
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".verdict")).to_have_text("Not quite. Try again (2 tries left), or look at the hint:")
    expect(card.locator(".hint")).to_contain_text("and one bias")
    expect(card.locator(".answer")).to_have_count(0)
    answer.fill("430")
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".verdict")).to_have_text("Not quite. Try once more (1 try left), or look at the hint:")
    answer.fill("448")
    card.get_by_role("button", name="Check").click()
    expect(card.locator(".answer")).to_have_text("Answer: 448")
    expect(card.locator(".verdict")).to_have_text("Correct!")


def test_a_russian_question_counts_tries_in_russian(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/pooling?lang=ru")
    card = page.locator(".question-card").filter(has_text="Conv2d(3, 16, kernel_size=3)")
    card.get_by_label("Ваш ответ").fill("1")
    card.get_by_role("button", name="Проверить").click()
    expect(card.locator(".verdict")).to_have_text(
        "Не совсем. Попробуйте ещё раз (осталось 2 попытки) или посмотрите подсказку:"
    )


def test_pooling_url_round_trip(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/pooling?lang=en")
    page.get_by_label("Kernel size", exact=True).fill("3")
    page.get_by_label("Kernel size", exact=True).press("Enter")
    page.get_by_label("Stride", exact=True).fill("1")
    page.get_by_label("Stride", exact=True).press("Enter")
    page.get_by_role("radio", name="average").check()
    page.get_by_label("ceil_mode", exact=True).check()
    url = page.url
    assert "k=3" in url and "s=1" in url and "mode=avg" in url and "ceil=1" in url
    page.goto(url)
    assert page.get_by_label("Kernel size", exact=True).input_value() == "3"
    assert page.get_by_label("Stride", exact=True).input_value() == "1"
    assert page.get_by_role("radio", name="average").is_checked()
    assert page.get_by_label("ceil_mode", exact=True).is_checked()


# ---------------------------------------------------------------- normalization


def test_batch_norm_numbers_and_running_stats_equal_torch(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/normalization?lang=en&momentum=0.2")
    page.locator("#bn-stats tbody tr").first.wait_for()
    layer = torch.nn.BatchNorm2d(4, momentum=0.2, dtype=torch.float64)
    for step in range(3):
        if step:
            page.get_by_role("button", name="Next batch").click()
            page.get_by_text(f"Batch {step + 1} (running").wait_for()
        x = batch_from(page, "#bn-x")
        assert x.shape == (3, 4, 2, 2)
        expected_out = layer(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(stats_column(page, 1), x.mean(axis=(0, 2, 3)), atol=5e-4)
        np.testing.assert_allclose(stats_column(page, 2), x.var(axis=(0, 2, 3)), atol=5e-4)
        np.testing.assert_allclose(stats_column(page, 3), layer.running_mean.numpy(), atol=5e-4)
        np.testing.assert_allclose(stats_column(page, 4), layer.running_var.numpy(), atol=5e-4)
        np.testing.assert_allclose(batch_from(page, "#bn-y"), expected_out, atol=5e-3)
    screenshot(page, "lessons-normalization-train")

    page.get_by_role("radio", name="inference").check()
    page.get_by_text("Inference: x̂ uses the running statistics").wait_for()
    layer.eval()
    x = batch_from(page, "#bn-x")
    expected = layer(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(batch_from(page, "#bn-y"), expected, atol=5e-3)


def test_batch_norm_inference_ignores_batch_mates(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/normalization?lang=en&steps=5")
    rows = page.locator("#bn-mates-table tbody tr")
    rows.first.wait_for()
    page.get_by_role("button", name="Change the batch-mates").click()
    page.get_by_text("batch-mates drawn with seed 2").wait_for()
    train = rows.filter(has_text="training").locator("td")
    infer = rows.filter(has_text="inference").locator("td")
    assert number(train.nth(2).text_content()) > 0.01
    assert infer.nth(2).text_content() == "0.0000"
    assert infer.nth(0).text_content() == infer.nth(1).text_content()
    card = page.locator(".question-card").filter(has_text="What happens to BN at inference?")
    card.get_by_role("button", name="Show the answer").click()
    card.get_by_text("Answer: 0").wait_for()


def test_norm_family_means_equal_convcore(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/normalization?lang=en&g=2")
    page.locator(".cube-figure").nth(3).wait_for()
    x = batch_from(page, "#bn-x")
    expected = {
        "batch": x.mean(axis=(0, 2, 3)),
        "layer": norm.layer_norm(x).mean,
        "instance": norm.instance_norm(x).mean.ravel(),
        "group": norm.group_norm(x, 2).mean.ravel(),
    }
    for kind, means in expected.items():
        text = page.locator(f'.cube-figure[data-kind="{kind}"] .stat').text_content()
        count, values = re.match(r"(\d+) means: (.*)", text).groups()  # type: ignore[union-attr]
        assert int(count) == means.size
        shown = [number(v) for v in values.replace(", …", "").split(", ")]
        np.testing.assert_allclose(shown, means[: len(shown)], atol=5e-3)
    assert page.locator('.cube-figure[data-kind="batch"] polygon.shared').count() == 3 * 4 + 3 + 4


def test_normalization_url_round_trip(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/normalization?lang=en")
    page.locator("#bn-stats tbody tr").first.wait_for()
    page.get_by_label("Channels C").fill("3")
    page.get_by_label("Channels C").press("Enter")
    # inference first: a request still answering for training mode (Channels C's, debounced) would be drawn with
    # the inference note and training's numbers, and no text tells the two apart. Every request the two clicks send
    # is for inference; the page draws only the newest one's answer.
    page.get_by_role("radio", name="inference").check()
    page.get_by_role("button", name="Next batch").click()
    page.get_by_role("button", name="Next batch").click()
    page.get_by_text("Batch 3 (running").wait_for()
    page.get_by_text("Inference: x̂ uses the running statistics").wait_for()
    running = stats_column(page, 3)
    output = batch_from(page, "#bn-y")
    url = page.url
    assert "c=3" in url and "steps=3" in url and "mode=eval" in url
    page.goto(url)
    page.get_by_text("Batch 3 (running").wait_for()
    assert page.get_by_role("radio", name="inference").is_checked()
    np.testing.assert_array_equal(stats_column(page, 3), running)
    np.testing.assert_array_equal(batch_from(page, "#bn-y"), output)


def test_batch_norm_parameter_question(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/normalization?lang=en&c=3")
    card = page.locator(".question-card").filter(has_text="BatchNorm2d(3)")
    card.get_by_label("Your answer").fill("6")
    card.get_by_role("button", name="Check").click()
    card.get_by_text("Answer: 6").wait_for()
    assert card.get_by_text("Correct!").is_visible()


# ---------------------------------------------------------------- dropout


def test_dropout_numbers_equal_convcore(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/dropout?lang=en&p=0.25&n=6&step=3&masks=100")
    units = page.locator("#do-units .unit")
    units.nth(5).wait_for()
    x = np.array([number(t) for t in units.locator(".unit-in").all_text_contents()])
    shown = np.array([float(v) for v in units.evaluate_all("us => us.map(u => u.dataset.output)")])
    expected = dropout_ops.dropout(x, p=0.25, inverted=True, training=True, seed=3)
    np.testing.assert_array_equal(shown, expected.output)
    assert page.locator("#do-scale").text_content().startswith("scale = 1/(1−p) = 1.333")
    page.locator("#do-table tbody tr").nth(5).wait_for()
    measured = page.locator("#do-table tbody tr").evaluate_all("rows => rows.map(r => r.cells[3].textContent)")
    np.testing.assert_allclose(
        [number(m) for m in measured],
        dropout_ops.measure_mean_activation(x, p=0.25, inverted=True, n_masks=100, seed=3),
        atol=5e-4,
    )
    assert page.locator("#do-ens-count").text_content() == "6 units → 2^6 = 64 distinct masks (sub-networks)"
    screenshot(page, "lessons-dropout")


def test_dropout_standard_inference_scales_by_one_minus_p(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/dropout?lang=en&p=0.3&kind=standard&mode=eval")
    page.locator("#do-units .unit").first.wait_for()
    assert page.locator("#do-scale").text_content().startswith("scale = 1−p = 0.700; kept 8 of 8 units")
    card = page.locator(".question-card").filter(has_text="Standard dropout with p = 0.30")
    card.get_by_label("Your answer").fill("0.7")
    card.get_by_role("button", name="Check").click()
    card.get_by_text("Answer: 0.7").wait_for()
    assert card.get_by_text("Correct!").is_visible()


def test_dropout_new_mask_moves_the_url(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/dropout?lang=en")
    page.get_by_role("button", name="New mask").click()
    page.get_by_role("button", name="New mask").click()
    page.wait_for_function("() => location.search.includes('step=2')")
    page.goto(page.url)
    assert page.locator("#do-step").text_content() == "Mask seed 2"


# ---------------------------------------------------------------- residual


def test_residual_table_equals_convcore(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/residual?lang=en&depth=12&width=16&samples=8&networks=4&seed=2&k=12")
    row = page.locator('#res-table tr[data-variant="residual"]')
    row.wait_for()
    result = residual.run_residual_experiment(depth=12, width=16, samples=8, networks=4, seed=2)
    for variant in residual.VARIANTS:
        cells = page.locator(f'#res-table tr[data-variant="{variant}"] td').all_text_contents()
        assert number(cells[0]) == pytest.approx(result.variances[variant][12], rel=1e-3)
        assert number(cells[2]) == pytest.approx(result.ratio_per_block[variant], abs=1e-3)
    assert "Seed 2; 4 networks × 8 samples × width 16; float32" in page.locator("#res-meta").text_content()
    card = page.locator(".question-card").filter(has_text="after 12 residual blocks")
    card.get_by_label("Your answer").fill("4096")
    card.get_by_role("button", name="Check").click()
    card.get_by_text("Answer: 4096").wait_for()
    assert card.get_by_text("Correct!").is_visible()


def test_residual_url_round_trip(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/residual?lang=en&depth=8&width=16&samples=8&networks=4")
    page.locator('#res-table tr[data-variant="scaled"]').wait_for()
    page.get_by_label("Seed").fill("5")
    page.get_by_label("Seed").press("Enter")
    page.get_by_label("Logarithmic y axis").uncheck()
    page.wait_for_function("() => location.search.includes('seed=5') && location.search.includes('log=0')")
    page.get_by_text("Seed 5;").wait_for()
    page.goto(page.url)
    page.get_by_text("Seed 5; 4 networks × 8 samples × width 16").wait_for()
    assert page.get_by_label("Seed").input_value() == "5"
    assert not page.get_by_label("Logarithmic y axis").is_checked()


# ---------------------------------------------------------------- every page


PAGES = {
    "pooling": ("Pooling", "Пулинг"),
    "normalization": ("Batch normalization and its relatives", "Батч-нормализация и её родственники"),
    "dropout": ("Dropout", "Дропаут"),
    "residual": ("Residual connections", "Остаточные связи (residual connections)"),
}
READY = {
    "pooling": "#pool-output table",
    "normalization": ".cube-figure svg polygon",
    "dropout": "#do-table tbody tr",
    "residual": "#res-table tbody tr",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_language_switch_and_small_screen(page, live_server: str, name: str) -> None:  # type: ignore[no-untyped-def]
    english, russian = PAGES[name]
    page.goto(f"{live_server}/{name}?lang=en")
    page.locator(READY[name]).first.wait_for()
    assert page.get_by_role("heading", level=1).text_content() == english
    screenshot(page, f"lessons-{name}-en")
    page.get_by_role("button", name="RU").click()
    assert page.get_by_role("heading", level=1).text_content() == russian
    assert page.get_by_role("heading", name="Вопросы из лекции").is_visible()
    assert "lang=ru" in page.url
    page.goto(page.url)
    page.locator(READY[name]).first.wait_for()
    assert page.get_by_role("heading", level=1).text_content() == russian
    page.set_viewport_size({"width": 360, "height": 800})
    page.wait_for_timeout(200)
    assert no_horizontal_overflow(page)
    screenshot(page, f"lessons-{name}-ru-360")
