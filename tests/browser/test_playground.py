"""The convolution playground at ``/`` in a real Chromium against a real server.

Controls are found by role and accessible name; sizes are checked against torch's real output shapes and
every displayed sum against the API. The ``page`` fixture fails a test on any console error or request that
leaves the app.
"""

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import torch
import torch.nn.functional as F
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


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


def test_each_hyperparameter_changes_the_output_size_as_torch_does(page: Any, live_server: str) -> None:
    open_playground(page, live_server)
    settings = {"h": 5, "w": 5, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1}
    expect_shape(page, torch_shape("conv", 1, 1, 5, 5, kernel_size=3, stride=2, padding=1))
    changes = [
        ("Input height", "h", 11),
        ("Input width", "w", 8),
        ("Kernel size", "kernel_size", 5),
        ("Stride", "stride", 3),
        ("Padding", "padding", 2),
        ("Dilation", "dilation", 2),
        ("Output channels", None, 4),
        ("Input channels", None, 2),
    ]
    c_in, c_out = 1, 1
    for name, key, value in changes:
        set_number(page, name, value)
        if key:
            settings[key] = value
        elif name == "Output channels":
            c_out = value
        else:
            c_in = value
        conv = {k: v for k, v in settings.items() if k not in ("h", "w")}
        expect_shape(page, torch_shape("conv", c_in, c_out, settings["h"], settings["w"], **conv))
        expect(page.locator("#pg-formula-h")).to_have_text(re.compile(f"= {shown_shape(page)[1]}$"))
        expect(page.locator("#pg-formula-w")).to_have_text(re.compile(f"= {shown_shape(page)[2]}$"))
    page.get_by_label("Groups", exact=True).select_option("2")
    expect_shape(page, torch_shape("conv", 2, 4, 11, 8, **conv, groups=2))
    expect(page.locator("#pg-torch")).to_contain_text("groups=2")
    screenshot(page, "playground-hyperparameters")


@pytest.mark.parametrize(
    ("mode", "label", "extra"),
    [
        ("transposed", "Transposed convolution", {"output_padding": 1}),
        ("maxpool", "Max pooling", {}),
        ("avgpool", "Average pooling", {}),
    ],
)
def test_other_modes_match_torch(page: Any, live_server: str, mode: str, label: str, extra: dict[str, int]) -> None:
    open_playground(page, live_server, "h=7&w=6")
    page.get_by_role("radio", name=label).check()
    if mode == "transposed":
        set_number(page, "Output padding", extra["output_padding"])
    kw: dict[str, Any] = {"kernel_size": 3, "stride": 2, "padding": 1, **extra}
    expect_shape(page, torch_shape(mode, 1, 1, 7, 6, **kw))
    expect(page.locator("#pg-formula-h")).to_have_text(re.compile(f"= {shown_shape(page)[1]}$"))
    if mode == "transposed":
        expected = "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, output_padding=1"
        expect(page.locator("#pg-torch")).to_contain_text(expected)
    screenshot(page, f"playground-{mode}")


def test_pooling_padding_is_clamped_to_half_the_kernel_with_the_reason(page: Any, live_server: str) -> None:
    open_playground(page, live_server)
    page.get_by_role("radio", name="Max pooling").check()
    expect(page.get_by_role("slider", name="Padding", exact=True)).to_have_attribute("max", "1")
    set_number(page, "Padding", 3)
    expect(page.get_by_role("spinbutton", name="Padding", exact=True)).to_have_value("1")
    expect(page.locator("#pg-why-ph")).to_contain_text("at most half the kernel")


def test_every_sum_of_the_5x5_3x3_s2_p1_animation_equals_the_api(page: Any, live_server: str) -> None:
    open_playground(page, live_server, "bias=1")
    page.get_by_role("button", name="Random input").click()
    page.get_by_role("button", name="Random kernel").click()
    page.get_by_role("application", name=re.compile("^Bias of output channel 0")).click()
    editor = page.get_by_role("spinbutton", name=re.compile("^Bias of output channel 0"))
    editor.fill("0.5")
    editor.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]b=0.5"))
    query = state_from_url(page)
    x = [float(v) for v in query["x"][0].split(",")]
    weight = [float(v) for v in query["wt"][0].split(",")]
    body = {
        "x": [[x[r * 5 : r * 5 + 5] for r in range(5)]],
        "weight": [[[weight[r * 3 : r * 3 + 3] for r in range(3)]]],
        "bias": [0.5],
        "stride": 2,
        "padding": 1,
        "trace": True,
    }
    trace = httpx.post(f"{live_server}/api/v1/ops/conv2d", json=body).json()["trace"]
    assert len(trace) == 9
    forward = page.get_by_role("button", name="Step forward")
    for n, step in enumerate(trace):
        expect(page.locator("#pg-step-title")).to_have_text(f"Step {n + 1} of 9")
        line = page.locator("#pg-step-sum").text_content()
        shown = float(line.rsplit("=", 1)[1].replace("−", "-"))
        assert shown == pytest.approx(step["result"], abs=1e-9), line
        expect(page.locator("#pg-step-server")).to_contain_text("✓")
        if n < 8:
            forward.click()
    expect(forward).to_be_disabled()
    screenshot(page, "playground-last-step")


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


def test_transposed_views_matrix_view_and_narrow_screen(page: Any, live_server: str) -> None:
    open_playground(page, live_server, "mode=transposed&h=3&w=3&oph=1&opw=1&ph=0&pw=0&cout=2&matrix=1&step=4")
    expect(page.locator("#pg-output svg g.oppad")).to_have_count(2 * (8 + 8 - 1))
    expect(page.locator("#pg-output svg g.m-win")).to_have_count(2 * 9)
    expect(page.locator("#pg-matrix-caption")).to_contain_text("Mᵀ")
    expect(page.locator("#pg-step-server")).to_contain_text("✓")
    screenshot(page, "playground-transposed-scatter")
    page.get_by_role("radio", name="Zero insertion + ordinary convolution").check()
    expect(page.locator("#pg-input svg g.ins")).to_have_count(5 * 5 - 9)
    expect(page.locator("#pg-step-server")).to_contain_text("✓")
    screenshot(page, "playground-transposed-zeros")
    page.set_viewport_size({"width": 360, "height": 780})
    page.get_by_role("radio", name="Convolution", exact=True).check()
    expect_formula(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    screenshot(page, "playground-360")


def test_depthwise_in_one_click(page: Any, live_server: str) -> None:
    open_playground(page, live_server, "cin=3&cout=2")
    page.get_by_role("button", name="Depthwise").click()
    expect_formula(page)
    assert (
        "nn.Conv2d(3, 3, kernel_size=3, stride=2, padding=1, dilation=1, groups=3"
        in page.locator("#pg-torch").text_content()
    )
    expect(page.get_by_role("button", name="Depthwise")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#pg-params")).to_contain_text("27")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#pg-copy-status")).to_have_text(re.compile("^(Copied|Select the line and copy it by hand)$"))
    screenshot(page, "playground-depthwise")


def test_a_preset_kernel_from_the_api_fills_the_kernel(page: Any, live_server: str) -> None:
    open_playground(page, live_server)
    page.get_by_label("Preset kernel").select_option(label="Sobel x")
    expect(page.locator("#pg-preset-note")).to_contain_text("left-to-right derivative")
    kernel = page.locator("#pg-kernel svg g[data-i] text")
    expect(kernel).to_have_text(["−1", "0", "1", "−2", "0", "2", "−1", "0", "1"])
    expect(page.locator("#pg-step-server")).to_contain_text("✓")
    page.get_by_role("checkbox", name="True convolution (flip the kernel)").check()
    expect(kernel).to_have_text(["1", "0", "−1", "2", "0", "−2", "1", "0", "−1"])
    expect(page.locator("#pg-step-server")).to_contain_text("✓")


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


def test_transposed_scatter_draws_the_input_without_padding(page: Any, live_server: str) -> None:
    # padding crops a transposed convolution's output; the input it scatters from has no padding ring
    open_playground(page, live_server, "mode=transposed&h=4&w=4&oph=1&opw=1&ph=1&pw=1&cin=1&cout=1")
    expect(page.locator("#pg-step-where")).to_contain_text("input channel 0, row 0, column 0")
    expect(page.locator("#pg-input svg g[data-i]")).to_have_count(16)
    expect(page.locator("#pg-input svg g.pad")).to_have_count(0)
    expect(page.locator("#pg-input svg g.m-win")).to_have_count(1)
    assert page.locator("#pg-input svg g.m-win").get_attribute("data-i") == "0"
    page.get_by_role("radio", name="Zero insertion + ordinary convolution").check()
    # zero insertion: 7×7 with padding d·(k − 1) − p = 1 before and 1 + output_padding after: 10×10
    expect(page.locator("#pg-input svg g[data-i]")).to_have_count(100)


def grid_numbers(page: Any, host: str, rows: int, cols: int) -> list[list[float | None]]:
    """The numbers an SVG grid shows, row by row (None for an empty cell)."""
    texts = page.locator(f"{host} svg g[data-i]").evaluate_all(
        "gs => gs.map(g => [Number(g.dataset.i), g.querySelector('text')?.textContent ?? ''])"
    )
    cells: list[list[float | None]] = [[None] * cols for _ in range(rows)]
    for n, text in texts:
        cells[n // cols][n % cols] = float(text.replace("−", "-")) if text.strip() else None
    return cells


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padded_cells_hold_what_the_padding_mode_copies_and_the_output_is_torchs(
    page: Any, live_server: str, mode: str
) -> None:
    open_playground(page, live_server, "h=4&w=5&sh=1&sw=1&ph=2&pw=2&bias=1")
    page.get_by_role("combobox", name="Padding mode (padding_mode)").select_option(mode)
    expect(page).to_have_url(re.compile(f"[?&]pmode={mode}"))
    expect(page.locator("#pg-torch")).to_contain_text(f'padding_mode="{mode}"')
    padded = grid_numbers(page, "#pg-input", 8, 9)
    x = torch.tensor([row[2:7] for row in padded[2:6]], dtype=torch.float64)
    expected_ring = F.pad(x[None, None], (2, 2, 2, 2), mode=mode)[0, 0]
    assert torch.equal(torch.tensor(padded, dtype=torch.float64), expected_ring)
    assert page.locator("#pg-input svg g.copy").count() == 8 * 9 - 4 * 5
    weight = torch.tensor(grid_numbers(page, "#pg-kernel", 3, 3), dtype=torch.float64)
    bias = float(page.locator("#pg-kernel + .pg-grid-group svg text").text_content().replace("−", "-"))
    conv = torch.nn.Conv2d(1, 1, 3, padding=2, padding_mode=mode, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(weight[None, None])
        conv.bias.fill_(bias)
        y = conv(x[None, None])[0, 0]
    shown = torch.tensor(grid_numbers(page, "#pg-output", 6, 7), dtype=torch.float64)
    torch.testing.assert_close(shown, y, atol=0.006, rtol=0)
    expect(page.locator("#pg-step-sum")).to_contain_text("=")
    expect(page.locator("#pg-step-server")).to_contain_text("✓")
    expect(page.locator("table.pg-products td.copy").first).to_contain_text("copy (")
    screenshot(page, f"playground-{mode}")


def test_padding_same_with_an_even_kernel_pads_the_odd_one_after(page: Any, live_server: str) -> None:
    open_playground(page, live_server, "h=6&w=6&kh=4&kw=4&sh=2&sw=2")
    page.get_by_role("checkbox", name=re.compile('^padding="same"')).check()
    expect(page).to_have_url(re.compile(r"[?&]same=1"))
    # stride 1 is forced, the padding slider gives way to the split torch uses: 1 before, 2 after
    expect(page.get_by_role("slider", name="Stride", exact=True)).to_have_value("1")
    expect(page.get_by_role("slider", name="Padding", exact=True)).to_be_hidden()
    expect(page.locator("#pg-same-note")).to_contain_text("Padding 1 + 2 (top + bottom)")
    expect_shape(page, (1, 6, 6))
    expect(page.locator("#pg-formula-h")).to_have_text("floor((6 + 1 + 2 − 1·(4−1) − 1)/1) + 1 = 6")
    expect(page.locator("#pg-torch")).to_contain_text('padding="same"')
    pad_rows = page.locator("#pg-input svg g.pad").evaluate_all("gs => gs.map(g => Math.floor(g.dataset.i / 9))")
    assert sorted(set(pad_rows)) == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    full_rows = [r for r in range(9) if pad_rows.count(r) == 9]
    assert full_rows == [0, 7, 8]
    x = torch.tensor([row[1:7] for row in grid_numbers(page, "#pg-input", 9, 9)[1:7]], dtype=torch.float64)
    weight = torch.tensor(grid_numbers(page, "#pg-kernel", 4, 4), dtype=torch.float64)
    y = F.conv2d(x[None, None], weight[None, None], padding="same")[0, 0]
    shown = torch.tensor(grid_numbers(page, "#pg-output", 6, 6), dtype=torch.float64)
    torch.testing.assert_close(shown, y, atol=0.006, rtol=0)
    expect(page.locator("#pg-step-server")).to_contain_text("✓")
    screenshot(page, "playground-same")


@pytest.mark.parametrize(("mode", "label"), [("maxpool", "Max pooling"), ("avgpool", "Average pooling")])
def test_ceil_mode_draws_the_window_past_the_input_and_pools_as_torch(
    page: Any, live_server: str, mode: str, label: str
) -> None:
    open_playground(page, live_server, f"mode={mode}&h=7&w=7&kh=2&kw=2&sh=3&sw=3&ph=0&pw=0")
    expect_shape(page, (1, 2, 2))
    page.get_by_role("checkbox", name="Round up (ceil_mode=True)").check()
    expect_shape(page, (1, 3, 3))
    expect(page.locator("#pg-formula-h")).to_have_text("ceil((7 + 2·0 − 1·(2−1) − 1)/3) + 1 = 3")
    expect(page.locator("#pg-torch")).to_contain_text("ceil_mode=True")
    # the last window starts at 6 and hangs one cell past the 7×7 input: an 8×8 grid with an empty border
    expect(page.locator("#pg-input svg g[data-i]")).to_have_count(64)
    expect(page.locator("#pg-input svg g.past")).to_have_count(15)
    x = torch.tensor([row[:7] for row in grid_numbers(page, "#pg-input", 8, 8)[:7]], dtype=torch.float64)
    pool = F.max_pool2d if mode == "maxpool" else F.avg_pool2d
    y = pool(x[None, None], 2, 3, ceil_mode=True)[0, 0]
    shown = torch.tensor(grid_numbers(page, "#pg-output", 3, 3), dtype=torch.float64)
    torch.testing.assert_close(shown, y, atol=0.006, rtol=0)
    output = page.get_by_role("application", name=re.compile("^Output channel 0")).locator("svg")
    size = (output.bounding_box()["width"] - 2) / 3
    output.click(position={"x": 1 + 2.5 * size, "y": 1 + 0.5 * size})
    expect(page.locator("#pg-step-where")).to_have_text("output channel 0, row 0, column 2")
    expect(page.locator("table.pg-products td.past")).to_have_count(2)
    expect(page.locator("#pg-step-window")).to_contain_text("The window hangs past the padded input (ceil_mode)")
    expect(page.locator("#pg-step-server")).to_contain_text("✓")
    screenshot(page, f"playground-ceil-{mode}")


def test_the_new_padding_controls_follow_instructor_locks(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/?lang=en&pmode=circular&same=1&lock=pmode,same")
    expect_formula(page)
    expect(page.get_by_role("combobox", name="Padding mode (padding_mode)")).to_be_disabled()
    expect(page.get_by_role("combobox", name="Padding mode (padding_mode)")).to_have_value("circular")
    expect(page.get_by_role("checkbox", name=re.compile('^padding="same"'))).to_be_disabled()
    page.goto(f"{live_server}/?lang=en&mode=avgpool&hide=ceil")
    expect_formula(page)
    expect(page.get_by_role("checkbox", name="Round up (ceil_mode=True)")).to_be_hidden()
    page.goto(f"{live_server}/?lang=en&same=1&hide=same")
    expect_formula(page)
    expect(page.locator("#pg-same")).to_be_hidden()
    expect(page.locator("#pg-same-note")).to_be_hidden()
