"""The playground's interaction in a real Chromium: pinning and hovering cells (SVG and canvas grids), the
keyboard, playing, editing a cell, reduced motion, and the URL and language that restore a view."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.playground_page import (
    expect_formula,
    expect_shape,
    open_playground,
    set_number,
    shown_shape,
)

pytestmark = pytest.mark.browser


def test_pinning_an_output_cell_highlights_its_window(page: Any, live_server: str) -> None:
    open_playground(page, live_server)
    output = page.get_by_role("application", name=re.compile("^Output channel 0"))
    # Output (row 1, column 2), 0-based, of 5×5 / k=3 / s=2 / p=1 reads padded rows 2…4 and columns 4…6.
    output.locator("g[data-i='5']").click()
    expect(page.locator("#pg-step-where")).to_have_text("output channel 0, row 1, column 2")
    expect(page.locator("#pg-step-window")).to_have_text(
        "Window on the input: rows 1–3, columns 3–5; outside rows 0–4 and columns 0–4 lies padding."
    )
    expect(page.locator("#pg-input svg g.m-win")).to_have_count(9)
    padded_width = 7
    marked = page.locator("#pg-input svg g.m-win").evaluate_all("els => els.map(e => Number(e.dataset.i))")
    cells = sorted((i // padded_width, i % padded_width) for i in marked)
    assert cells == [(r, c) for r in (2, 3, 4) for c in (4, 5, 6)]
    pads = page.locator("#pg-input svg g.m-win.pad").count()
    assert pads == 3
    screenshot(page, "playground-pinned")


def test_hovering_an_input_cell_marks_every_output_it_feeds(page: Any, live_server: str) -> None:
    open_playground(page, live_server)
    page.locator("#pg-input svg g[data-i='24']").hover()
    expect(page.locator("#pg-output svg g.m-feeds")).to_have_count(1)
    # Input (2, 2) 0-based is padded (3, 3); with k=3, s=2, p=1 it feeds outputs (1…1)×(1…1) only…
    fed = page.locator("#pg-output svg g.m-feeds").evaluate_all("els => els.map(e => Number(e.dataset.i))")
    assert sorted(fed) == [4]
    # …and padded (2, 2), input (1, 1), feeds outputs rows 0…1 × columns 0…1.
    page.locator("#pg-input svg g[data-i='16']").hover()
    expect(page.locator("#pg-output svg g.m-feeds")).to_have_count(4)
    fed = page.locator("#pg-output svg g.m-feeds").evaluate_all("els => els.map(e => Number(e.dataset.i))")
    assert sorted(fed) == [0, 1, 3, 4]


def test_the_url_restores_the_whole_state(page: Any, live_server: str) -> None:
    open_playground(page, live_server)
    page.get_by_role("checkbox", name="Height and width separately").check()
    set_number(page, "Kernel size (width)", 2)
    set_number(page, "Stride (height)", 1)
    page.get_by_role("checkbox", name="True convolution (flip the kernel)").check()
    page.get_by_role("button", name="Step forward").click()
    page.get_by_role("button", name="Step forward").click()
    page.locator("#pg-input svg g[data-i='8']").click()
    editor = page.get_by_role("spinbutton", name="Value at row 0, column 0")
    editor.fill("7.5")
    editor.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]x=.*7\.5"))
    # the address is written on a timer that can fire before the edit's frame is drawn: wait for that frame
    expect(page.locator("#pg-input svg g[data-i='8'] text")).to_have_text("7.5")
    url = page.url
    before = {
        "shape": shown_shape(page),
        "step": page.locator("#pg-step-title").text_content(),
        "sum": page.locator("#pg-step-sum").text_content(),
        "torch": page.locator("#pg-torch").text_content(),
    }
    page.goto(url)
    expect_formula(page)
    after = {
        "shape": shown_shape(page),
        "step": page.locator("#pg-step-title").text_content(),
        "sum": page.locator("#pg-step-sum").text_content(),
        "torch": page.locator("#pg-torch").text_content(),
    }
    assert after == before
    assert "kernel_size=(3, 2), stride=(1, 2)" in after["torch"]
    assert page.locator("#pg-input svg g[data-i='8'] text").text_content() == "7.5"
    assert page.get_by_role("checkbox", name="True convolution (flip the kernel)").is_checked()


def test_language_switch_translates_the_page_and_is_remembered(page: Any, live_server: str) -> None:
    open_playground(page, live_server)
    page.get_by_role("button", name="RU").click()
    page.get_by_role("heading", name="Песочница свёрток").wait_for()
    expect(page.get_by_role("slider", name="Размер ядра", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Шаг вперёд")).to_be_visible()
    expect(page.locator("#pg-step-title")).to_have_text("Шаг 1 из 9")
    expect(page.locator("#pg-output-shape")).to_have_text("Выход: 1 × 3 × 3")
    page.goto(f"{live_server}/")
    page.get_by_role("heading", name="Песочница свёрток").wait_for()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#pg-formula-h")).to_have_text("floor((5 + 2·1 − 1·(3−1) − 1)/2) + 1 = 3")
    expect(page.locator("#pg-params")).to_have_text("Обучаемых параметров: 9")
    screenshot(page, "playground-ru")


def test_play_pause_and_keyboard(page: Any, live_server: str) -> None:
    open_playground(page, live_server, "speed=4")
    title = page.locator("#pg-step-title")
    page.get_by_role("button", name="Play").click()
    expect(title).to_have_text(re.compile(r"^Step [3-9] of 9$"))
    page.get_by_role("button", name="Pause").click()
    stopped = title.text_content()
    page.wait_for_timeout(600)
    assert title.text_content() == stopped
    n = int(re.findall(r"\d+", stopped)[0])
    page.locator("h1").click()
    page.keyboard.press("ArrowLeft")
    expect(title).to_have_text(f"Step {n - 1} of 9")
    page.get_by_role("button", name="Step back").click()
    expect(title).to_have_text(f"Step {n - 2} of 9")
    page.locator("h1").click()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    # The keyboard cursor starts on the output cell being written; ArrowDown + Enter pins the one below.
    row = (int(re.findall(r"\d+", title.text_content())[0]) - 1) // 3
    output = page.get_by_role("application", name=re.compile("^Output channel 0"))
    output.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#pg-step-where")).to_contain_text(f"output channel 0, row {min(row + 1, 2)}")
    assert page.get_by_role("slider", name="Speed").get_attribute("aria-valuetext") == "4 steps/s"


def test_cells_are_edited_from_the_keyboard(page: Any, live_server: str) -> None:
    open_playground(page, live_server)
    grid = page.get_by_role("application", name=re.compile("^Input channel 0"))
    grid.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    editor = page.get_by_role("spinbutton", name="Value at row 0, column 0")
    editor.fill("9")
    editor.press("Enter")
    expect(page.locator("#pg-input svg g[data-i='8'] text")).to_have_text("9")
    expect(page).to_have_url(re.compile(r"[?&]x=9(%2C|,)"))
    expect(grid).to_be_focused()


def test_reduced_motion_turns_off_the_output_flash(page: Any, live_server: str) -> None:
    page.emulate_media(reduced_motion="reduce")
    open_playground(page, live_server)
    current = page.locator("#pg-output svg g.m-cur rect")
    expect(current).to_have_count(1)
    assert current.evaluate("e => getComputedStyle(e).animationName") == "none"
    page.emulate_media(reduced_motion="no-preference")
    assert current.evaluate("e => getComputedStyle(e).animationName") == "pg-light"


def test_a_32x32_layer_pins_and_hovers_on_its_canvas_grids(page: Any, live_server: str) -> None:
    open_playground(page, live_server, "h=32&w=32&sh=1&sw=1&ph=0&pw=0")
    expect_shape(page, (1, 30, 30))
    output = page.get_by_role("application", name=re.compile("^Output channel 0"))
    canvas = output.locator("canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    size = (box["width"] - 2) / 30
    canvas.click(position={"x": 1 + 10.5 * size, "y": 1 + 3.5 * size})
    expect(page.locator("#pg-step-where")).to_have_text("output channel 0, row 3, column 10")
    expect(page.locator("#pg-step-title")).to_have_text("Step 101 of 900")
    expect(page.locator("#pg-step-server")).to_contain_text("✓")
    screenshot(page, "playground-32x32")
