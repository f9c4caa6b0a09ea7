"""The receptive-field explorer in a real Chromium against a real server."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def open_explorer(page, base: str, query: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/receptive-field?{query}")
    expect(page.locator("#rf-table tbody tr").first).to_be_visible()


def test_vgg16_pool5_has_r_212_and_s_32(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    open_explorer(page, live_server, "lang=en&arch=alexnet")
    page.get_by_label("Architecture").select_option(label="VGG-16")
    pool5 = page.locator("#rf-table tbody tr[data-name='features.30']")
    expect(pool5.locator("td.r")).to_have_text("212")
    expect(pool5.locator("td.s")).to_have_text("32")
    assert pool5.locator("td").nth(2).inner_text() == "max_pool2d"
    assert pool5.locator("td").nth(3).inner_text() == "512×7×7"
    # The same numbers as /api/v1/architectures (itself /api/v1/shapes' table).
    api = httpx.get(f"{live_server}/api/v1/architectures/vgg16", params={"size": 224}).json()
    rows = page.locator("#rf-table tbody tr")
    assert rows.count() == len(api["layers"])
    for i in (0, 4, 16, 30):
        cells = rows.nth(i).locator("td")
        rf = api["layers"][i]["receptive_field"]
        assert [cells.nth(k).inner_text() for k in (6, 7, 8)] == [str(rf["size"][0]), str(rf["stride"][0]),
                                                                  str(rf["padding"][0])]  # fmt: skip
    # pool5 is the default chosen layer: the last one with a spatial map.
    expect(page.get_by_label("Chosen layer", exact=True)).to_have_value("30")
    expect(page.locator("#cone-summary")).to_contain_text("(r = 212)")
    # the classifier's layers see the whole input: their r (224, over pool5's 212) is drawn apart from the r line
    fields = [layer["receptive_field"] for layer in api["layers"] if layer["receptive_field"]]
    whole = sum(1 for rf in fields if rf["global"][0])
    assert whole == 7
    expect(page.locator("#plot .series.r circle")).to_have_count(len(fields) - whole)
    expect(page.locator("#plot .series.whole circle")).to_have_count(whole)
    screenshot(page, "rf-explorer-vgg16")


def test_hovering_the_cone_moves_the_output_and_the_photo_box_sweeps(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    open_explorer(page, live_server, "lang=en&arch=resnet18&size=160")
    page.get_by_label("Chosen layer", exact=True).select_option(label="4. layer1.0.conv1")
    expect(page.locator("#cone-summary")).to_contain_text("layer 4")
    cone = page.locator("#cone")
    cone.scroll_into_view_if_needed()
    box = cone.bounding_box()
    page.mouse.move(box["x"] + 8, box["y"] + 12)
    expect(page.locator("#cone-summary")).to_contain_text("Output 0 of layer 4")
    page.mouse.move(box["x"] + box["width"] - 8, box["y"] + 12)
    expect(page.locator("#cone-summary")).to_contain_text("Output 39 of layer 4")
    # layer1.0.conv1 of ResNet-18: r = 7 + 2·2 + 2·4 = 19, S = 4, P = 3 + 1·2 + 1·4 = 9 (from the table).
    expect(page.locator("#cone-summary")).to_contain_text("sees input rows 147…165 (r = 19)")

    page.get_by_label("Output row").fill("0")
    page.get_by_label("Output column").fill("39")
    expect(page.locator("#overlay-box")).to_have_text(
        "Unit (0, 39) sees rows -9…9, columns 147…165; inside the image: 0…9 × 147…159."
    )
    overlay = page.locator("#overlay")
    assert overlay.get_attribute("data-unclipped") == "-9,147,9,165"
    assert overlay.get_attribute("data-clipped") == "0,147,9,159"
    screenshot(page, "rf-explorer-resnet18")


def test_custom_stack_and_the_dilated_comparison(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    open_explorer(page, live_server, "lang=en&dl=3")
    # 3 × (16·16·9 + 16) = 6 960 parameters in both stacks (digits grouped with a narrow no-break space).
    expect(page.locator("#dil-summary")).to_have_text(
        "Parameters in each stack: 6\u202f960; r = 7 vs 15 after 3 layers."
    )
    page.get_by_label("Architecture").select_option(label="My own stack")
    page.get_by_label("Layers (JSON list, the API's layer format)").fill(
        '[{"type": "conv2d", "out_channels": 4, "kernel_size": 5, "stride": 4},'
        ' {"type": "max_pool2d", "kernel_size": 2}]'
    )
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#rf-table tbody tr")).to_have_count(2)
    last = page.locator("#rf-table tbody tr").nth(1).locator("td")
    expect(last.nth(6)).to_have_text("9")
    expect(last.nth(7)).to_have_text("8")
    expect(page.locator("#rf-table tbody tr").nth(0).locator("td.warn")).to_contain_text("rows unread at the end: 3")
    assert "arch=custom" in page.url
    # conv 3×3 with dilation 2 on top: r = 9 + (5 − 1)·8 = 41, S = 8.
    page.get_by_role("button", name="conv 3×3, d=2").click()
    expect(page.locator("#rf-table tbody tr")).to_have_count(3)
    expect(page.locator("#rf-table tbody tr").nth(2).locator("td.r")).to_have_text("41")
    page.get_by_role("button", name="Remove the last layer").click()
    expect(page.locator("#rf-table tbody tr")).to_have_count(2)


def test_language_switch_and_url_round_trip(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    open_explorer(page, live_server, "lang=en&arch=mobilenet_v1&size=192&layer=9&log=1")
    page.get_by_role("button", name="RU").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Рецептивное поле"
    expect(page.get_by_label("Архитектура")).to_have_value("mobilenet_v1")
    summary = page.locator("#cone-summary").inner_text()
    assert summary.startswith("Выход ")
    assert re.search(r"lang=ru", page.url)
    page.goto(page.url)
    expect(page.locator("#rf-table tbody tr").first).to_be_visible()
    expect(page.get_by_label("Размер входа (высота = ширина)")).to_have_value("192")
    expect(page.get_by_label("Выбранный слой", exact=True)).to_have_value("9")
    expect(page.get_by_label("Логарифмическая ось y")).to_be_checked()
    expect(page.locator("#cone-summary")).to_have_text(summary)
    screenshot(page, "rf-explorer-ru")


def test_works_at_360_px(browser, live_server: str, problems) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="ru-RU")
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.console_errors.append(m.text))
    page.on("pageerror", lambda e: problems.console_errors.append(str(e)))
    open_explorer(page, live_server, "arch=alexnet")
    expect(page.locator("#dil-summary")).not_to_be_empty()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "rf-explorer-360")
    context.close()
    assert problems.console_errors == []
