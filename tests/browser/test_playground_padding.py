"""The playground's padding in a real Chromium: the padding modes' copied ring, padding="same", ceil_mode's
window past the input, the transposed convolution's two views and a narrow screen, and instructor locks on
the padding controls; the numbers shown against torch."""

import re
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.playground_page import (
    expect_formula,
    expect_shape,
    grid_numbers,
    open_playground,
)

pytestmark = pytest.mark.browser


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
    # the transposed formula is there before the check too: wait for the convolution's frame and its answer
    expect(page.locator("#pg-torch")).to_contain_text("nn.Conv2d(")
    expect_formula(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    screenshot(page, "playground-360")


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
