"""The image lab in a real Chromium against a real server: upload, build a stack, click a map pixel."""

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, screenshot

pytestmark = pytest.mark.browser
SAMPLES = ROOT / "static" / "samples"


def wait_for_maps(page, layers: int) -> None:  # type: ignore[no-untyped-def]
    # Locator assertions, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator("#maps .map-card")).to_have_count(layers)
    expect(page.locator("#status")).to_have_text("")


def url_state(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def region(base: str, layers: list[dict], size: tuple[int, int], position: list[int], index: int) -> dict:
    # The API's own layer format has no weights; the geometry does not depend on them.
    plain = [{k: v for k, v in layer.items() if k not in {"kernels", "training", "seed"}} for layer in layers]
    body = {"input": {"channels": 1, "height": size[0], "width": size[1]}, "layers": plain,
            "position": position, "layer_index": index}  # fmt: skip
    response = httpx.post(f"{base}/api/v1/receptive-field/region", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def edges(box: dict | None) -> str:
    return "" if box is None else f"{box['top']},{box['left']},{box['bottom']},{box['right']}"


def test_upload_add_layers_and_click_a_pixel_draws_the_api_box(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/image?lang=en")
    wait_for_maps(page, 3)
    page.get_by_label("Upload a photo").set_input_files(str(SAMPLES / "checkerboard.png"))
    expect(page.locator("#source-note")).to_contain_text("checkerboard.png")
    page.get_by_label("Layer type").select_option("conv2d")
    page.get_by_role("button", name="Add layer").click()
    page.get_by_label("Layer type").select_option("max_pool2d")
    page.get_by_role("button", name="Add layer").click()
    wait_for_maps(page, 5)
    page.get_by_label("Stride").nth(2).fill("2")
    page.get_by_label("Stride").nth(2).press("Enter")
    expect(page).to_have_url(re.compile(r"%22stride%22%3A2%2C%22padding%22%3A1"))
    expect(page.locator("#maps .map-card").nth(4)).to_contain_text("output 1 × 32 × 32")

    target = page.get_by_role("img", name="Layer 4, channel 0: click a pixel to see its receptive field")
    target.click(position={"x": 3, "y": 3})
    state = url_state(page)
    layer, channel, row, col = (int(float(x)) for x in state["sel"].split(","))
    assert (layer, channel) == (4, 0)
    expected = region(live_server, json.loads(state["layers"]), (256, 256), [row, col], layer)
    photo = page.locator("#photo")
    assert photo.get_attribute("data-unclipped") == edges(expected["unclipped"])
    assert photo.get_attribute("data-clipped") == edges(expected["clipped"])
    assert expected["unclipped"]["top"] < 0, "a corner pixel's box should reach into the padding"
    rf = expected["receptive_field"]
    rows = page.locator("#rf-table tbody tr").nth(0).locator("td")
    assert [rows.nth(i).inner_text() for i in range(1, 4)] == [str(rf["size"][0]), str(rf["stride"][0]),
                                                                 str(rf["padding"][0])]  # fmt: skip
    u, c = expected["unclipped"], expected["clipped"]
    assert page.locator("#rf-box").inner_text() == f"[{u['top']}…{u['bottom']}] × [{u['left']}…{u['right']}]"
    assert page.locator("#rf-clipped").inner_text() == f"[{c['top']}…{c['bottom']}] × [{c['left']}…{c['right']}]"

    # Every earlier map carries the unit's box in its own coordinates: the sub-stack's region on that map.
    first = page.locator("canvas.map[data-layer='0']").first
    on_first = region(live_server, json.loads(state["layers"])[1:], (256, 256), [row, col], layer - 1)
    assert first.get_attribute("data-unclipped") == edges(on_first["unclipped"])
    screenshot(page, "image-lab-click")


def test_the_box_is_drawn_in_the_click_handler(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    """Drawn before the handler returns, so it follows the click in the same frame (timings: benchmarks/)."""
    page.goto(f"{live_server}/image?lang=en&sample=checkerboard")
    wait_for_maps(page, 3)
    canvas = page.locator("canvas.map[data-layer='2'][data-channel='1']")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    drawn = page.evaluate(
        """([x, y]) => {
          const target = document.elementFromPoint(x, y);
          target.dispatchEvent(new MouseEvent('click', {clientX: x, clientY: y, bubbles: true}));
          return document.getElementById('photo').dataset.unclipped;
        }""",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert drawn, "the box must be drawn synchronously in the click handler"


def test_erf_and_global_average_pooling_on_two_sizes(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/image?lang=en&sample=house")
    wait_for_maps(page, 3)
    page.get_by_label("Layer type").select_option("global_avg_pool2d")
    page.get_by_role("button", name="Add layer").click()
    wait_for_maps(page, 4)
    page.get_by_role("button", name="Run the same stack on this photo at half size").click()
    page.wait_for_selector("#gap-table")
    rows = page.locator("#gap-table tbody tr")
    assert rows.nth(0).locator("td").nth(1).inner_text() == "1 × 288 × 384"
    assert rows.nth(0).locator("td").nth(2).inner_text() == "1 × 144 × 192"
    assert rows.nth(3).locator("td").nth(1).inner_text() == "2 × 144 × 192"
    assert rows.nth(3).locator("td").nth(2).inner_text() == "2 × 72 × 96"
    assert rows.nth(4).locator("td").nth(1).inner_text() == rows.nth(4).locator("td").nth(2).inner_text() == "2 × 1 × 1"
    assert page.locator("#gap-vector li").count() == 2

    page.get_by_label("Show the effective receptive field").check()
    page.get_by_role("img", name="Layer 1, channel 0: click a pixel to see its receptive field").click(
        position={"x": 120, "y": 60}
    )
    page.wait_for_selector("#erf-figure:not([hidden])")
    assert re.search(r"rows \d+–\d+|zero everywhere", page.locator("#erf-note").inner_text())
    screenshot(page, "image-lab-erf-gap")


def test_a_wrong_file_gets_a_clear_message(browser, live_server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Its own context: the browser logs the expected 415 as a console error, and only that one is allowed.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{live_server}/image?lang=en")
    wait_for_maps(page, 3)
    bad = tmp_path / "notes.png"
    bad.write_text("this is text, not a picture")
    page.get_by_label("Upload a photo").set_input_files(str(bad))
    alert = page.get_by_role("alert")
    # said once, not a page sentence followed by the server's English one
    expect(alert).to_have_text("This file is not a PNG, JPEG or WebP image (judged by its content, not its name)")
    screenshot(page, "image-lab-wrong-file")
    context.close()
    assert errors == ["Failed to load resource: the server responded with a status of 415 (Unsupported Media Type)"]


def test_language_switch_and_url_round_trip(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/image?lang=en&sample=circle&color=rgb")
    wait_for_maps(page, 3)
    page.get_by_role("img", name="Layer 2, channel 1: click a pixel to see its receptive field").click(
        position={"x": 10, "y": 10}
    )
    page.get_by_role("button", name="RU").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Лаборатория изображений"
    assert page.get_by_label("Пример").is_visible()
    unit = page.locator("#rf-unit").inner_text()
    assert unit.startswith("Слой 2 (Max-пулинг), канал 1")
    shared = page.url
    page.goto(shared)
    wait_for_maps(page, 3)
    assert page.locator("#rf-unit").inner_text() == unit
    assert page.get_by_label("RGB (3 канала)").is_checked()
    assert page.locator("#photo-caption").inner_text() == "Вход: 3 × 256 × 256"
    screenshot(page, "image-lab-ru")


def test_works_at_360_px(browser, live_server: str, problems) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="ru-RU")
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.console_errors.append(m.text))
    page.goto(f"{live_server}/image?sel=0,0,5,5")
    wait_for_maps(page, 3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "image-lab-360")
    context.close()
    assert problems.console_errors == []


def test_a_hand_edited_kernel_is_sent_and_drawn(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/image?lang=en&sample=checkerboard")
    wait_for_maps(page, 3)
    page.get_by_label("Kernel of output channel 1").first.select_option("custom")
    # Sobel y's weights are the starting point; make it an identity kernel and watch the map become the photo.
    for r in range(3):
        for c in range(3):
            cell = page.get_by_label(f"Weight row {r}, column {c} of channel 1")
            cell.fill("1" if (r, c) == (1, 1) else "0")
            cell.press("Tab")
    expect(page).to_have_url(re.compile(r"%5B0%2C0%2C0%5D%2C%5B0%2C1%2C0%5D%2C%5B0%2C0%2C0%5D"))
    card = page.locator("#maps .map-card").first
    expect(card).to_contain_text("channel 1 · 256×256: min 0, max 1, mean 0.5")
    layers = json.loads(url_state(page)["layers"])
    assert layers[0]["kernels"] == ["sobel_x", [[0, 0, 0], [0, 1, 0], [0, 0, 0]]]


def test_drop_and_paste_a_photo_and_a_large_one_is_scaled_with_a_note(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/image?lang=en")
    wait_for_maps(page, 3)
    page.evaluate(
        """async () => {
          const blob = await (await fetch('/static/samples/text.png')).blob();
          const data = new DataTransfer();
          data.items.add(new File([blob], 'dropped.png', {type: 'image/png'}));
          const zone = document.getElementById('dropzone');
          zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
        }"""
    )
    expect(page.locator("#source-note")).to_have_text("Your photo: dropped.png")
    expect(page.locator("#photo-caption")).to_have_text("Input: 1 × 240 × 320")
    page.evaluate(
        """async () => {
          const canvas = document.createElement('canvas');
          canvas.width = 1200;
          canvas.height = 900;
          const ctx = canvas.getContext('2d');
          ctx.fillStyle = '#345';
          ctx.fillRect(0, 0, 1200, 900);
          ctx.fillStyle = '#fc0';
          ctx.fillRect(300, 200, 500, 400);
          const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg'));
          const data = new DataTransfer();
          data.items.add(new File([blob], 'big.jpg', {type: 'image/jpeg'}));
          document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        }"""
    )
    expect(page.locator("#source-note")).to_have_text(
        "Your photo: big.jpg The photo was 1200×900 pixels and has been scaled down to 591×443 "
        "to keep the work bounded."
    )
    expect(page.locator("#photo-caption")).to_have_text("Input: 1 × 443 × 591")
    screenshot(page, "image-lab-pasted-large")


def test_a_kernel_change_keeps_the_cards_and_rewrites_their_numbers(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/image?lang=en&sample=checkerboard")
    wait_for_maps(page, 3)
    card = page.locator("#maps .map-card").first
    expect(card).to_contain_text("channel 0 · 256×256: min -4, max 4")
    canvas = page.locator("#maps canvas.map").first.element_handle()
    page.get_by_label("Kernel of output channel 0").first.select_option("identity")
    expect(card).to_contain_text("channel 0 · 256×256: min 0, max 1, mean 0.5")
    # the same canvas, redrawn: the stack's shapes did not change
    assert canvas.evaluate("c => c.isConnected")
    expect(card.locator(".legend .mono").first).to_have_text("−4")
    page.get_by_label("Channels of layer 0").select_option("1")
    expect(card.locator("canvas.map")).to_have_count(1)
    assert not canvas.evaluate("c => c.isConnected")
