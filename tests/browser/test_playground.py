"""The convolution playground at ``/`` in a real Chromium against a real server: output sizes against
torch's real output shapes for every hyper-parameter and mode, and every displayed sum against the API.
Interaction (pointer, keyboard, URL, language): test_playground_interaction.py; padding and the transposed
views: test_playground_padding.py.

Controls are found by role and accessible name. The ``page`` fixture fails a test on any console error or
request that leaves the app.
"""

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.playground_page import (
    expect_formula,
    expect_shape,
    number_pattern,
    open_playground,
    set_number,
    shown_shape,
    state_from_url,
    torch_shape,
)

pytestmark = pytest.mark.browser


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
        # step 1's title is there before the bias edit, whose address can be written before its frame is drawn:
        # wait for the sum the API gives, not read the line once
        expect(page.locator("#pg-step-sum")).to_have_text(re.compile(rf"=\s*{number_pattern(step['result'])}\s*$"))
        expect(page.locator("#pg-step-server")).to_contain_text("✓")
        if n < 8:
            forward.click()
    expect(forward).to_be_disabled()
    screenshot(page, "playground-last-step")


def test_depthwise_in_one_click(page: Any, live_server: str) -> None:
    open_playground(page, live_server, "cin=3&cout=2")
    page.get_by_role("button", name="Depthwise").click()
    expect_formula(page)
    # the formula is there before the click too: wait for the click's render, not read the code once
    expect(page.locator("#pg-torch")).to_contain_text(
        "nn.Conv2d(3, 3, kernel_size=3, stride=2, padding=1, dilation=1, groups=3"
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
