"""The "Your model" page in a real Chromium: a built-in network, an uploaded ONNX file, a bad file, 360 px."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def url_state(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def misaligned_model(path: Path) -> Path:
    """x (3×32×32) → 2×2 max pooling ⊕ 3×3/2 conv (pad 1): the classic misaligned pair."""
    w = numpy_helper.from_array(np.zeros((3, 3, 3, 3), dtype=np.float32), "w")
    graph = helper.make_graph(
        [
            helper.make_node("MaxPool", ["x"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
            helper.make_node("Conv", ["x", "w"], ["c"], name="/down/Conv", strides=[2, 2], pads=[1, 1, 1, 1]),
            helper.make_node("Add", ["p", "c"], ["y"], name="/Add"),
        ],
        "pair",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[w],
    )
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    return path


def test_builtin_network_table_plot_path_and_overlay(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/model?lang=en&model=resnet18&size=64")
    api = httpx.get(f"{live_server}/api/v1/models/builtin/resnet18", params={"size": 64}).json()
    table = page.locator("#model-table")
    expect(table.locator("tbody tr")).to_have_count(len(api["nodes"]))
    expect(page.locator("#totals")).to_contain_text("11\u202f689\u202f512 parameters")
    expect(page.locator("#totals")).to_contain_text("8 merges, 0 of them misaligned")

    row = table.locator('tr[data-name="layer2.0.conv1"]')
    node = next(n for n in api["nodes"] if n["name"] == "layer2.0.conv1")
    rf = node["receptive_field"]
    expect(row.locator("td.r")).to_have_text(str(rf["size"][0]))
    expect(row.locator("td.s")).to_have_text(str(rf["stride"][0]))
    expect(row.locator("td.p")).to_have_text(str(rf["padding"][0]))
    index = api["nodes"].index(node)
    page.get_by_role("button", name=f"Show node {index} on the photo").click()
    expect(row).to_have_class(re.compile("chosen"))
    assert url_state(page)["node"] == "layer2.0.conv1"

    # the centre unit of the 8×8 map, drawn with the API's r, S, P: [u·S − P, u·S − P + r − 1]
    u = (node["output"][1] - 1) // 2
    start = u * rf["stride"][0] - rf["padding"][0]
    end = start + rf["size"][0] - 1
    canvas = page.get_by_role("img", name="Photo with the receptive field of the chosen output")
    expect(canvas).to_have_attribute("data-unclipped", f"{start},{start},{end},{end}")
    expect(page.locator("#overlay-box")).to_contain_text(f"layer2.0.conv1, output ({u}, {u})")

    page.get_by_label("Output row").fill("0")
    expect(canvas).to_have_attribute(
        "data-unclipped", f"{-rf['padding'][0]},{start},{rf['size'][0] - rf['padding'][0] - 1},{end}"
    )
    assert url_state(page)["row"] == "0"

    path = page.locator("#path")
    expect(path.get_by_role("button", name="⊕ add_layer1.0.bn2: r = 27")).to_be_visible()
    expect(path.get_by_role("button", name=f"layer2.0.conv1: r = {rf['size'][0]}")).to_have_attribute(
        "aria-pressed", "true"
    )
    # avgpool and fc see the whole input: their r (64, under layer4's 435) is drawn apart from the r line
    steps = [next(x for x in api["nodes"] if x["name"] == n) for n in api["main_path"]]
    steps = [x for x in steps if x["role"] != "pass"]
    whole = [x for x in steps if x["receptive_field"]["global"][0]]
    assert [x["name"] for x in whole] == ["avgpool", "fc"]
    expect(page.locator("#plot .series.r circle")).to_have_count(len(steps) - len(whole))
    expect(page.locator("#plot .series.whole circle")).to_have_count(len(whole))
    expect(path.get_by_role("button", name="avgpool: r = whole (64)")).to_be_visible()
    expect(page.locator("#plot circle.chosen")).to_have_count(2)
    screenshot(page, "model-builtin")

    page.get_by_role("button", name="RU").click()
    expect(page.get_by_role("heading", name="Узел за узлом")).to_be_visible()
    expect(page.locator("#totals")).to_contain_text("8 слияний, из них не выровнено: 0")


def test_upload_an_onnx_file_shows_the_misaligned_merge(page, live_server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/model?lang=en")
    page.get_by_label("Built-in network").select_option("upload")
    page.get_by_label("ONNX file").set_input_files(str(misaligned_model(tmp_path / "pair.onnx")))
    page.get_by_role("button", name="Summarize").click()
    table = page.locator("#model-table")
    expect(table.locator("tbody tr")).to_have_count(4)
    add = table.locator('tr[data-name="/Add"]')
    expect(add.locator("td.bad")).to_have_text("NO")
    expect(add.locator("td.bad")).to_have_attribute("title", "centre offsets of the branches: 0.5, 0")
    expect(add.locator("td.r")).to_have_text("3")
    expect(page.locator("#totals")).to_contain_text("pair.onnx: input 3×32×32; 4 nodes")
    expect(page.locator("#totals")).to_contain_text("1 merge, 1 of them misaligned")
    expect(page.locator("#path").get_by_role("button", name="⊕ /Add: r = 3")).to_have_class(re.compile("misaligned"))
    assert url_state(page)["model"] == "upload"
    screenshot(page, "model-upload")


def test_a_file_that_is_not_onnx_gets_the_servers_message(page, live_server: str, tmp_path: Path, problems) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "photo.onnx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    page.goto(f"{live_server}/model?lang=en&model=upload")
    page.get_by_role("button", name="Summarize").click()
    expect(page.locator("#model-status")).to_have_text("Choose an .onnx file first.")
    page.get_by_label("ONNX file").set_input_files(str(bad))
    page.get_by_role("button", name="Summarize").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("not a valid ONNX model")
    expect(page.locator("#results")).to_be_hidden()
    # Chromium logs every 4xx response as a console error; this one is the expected answer, nothing else may be
    expected = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert problems.console_errors == [expected]
    problems.console_errors.clear()


def test_fits_a_360_px_screen(browser, live_server: str, problems) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="ru-RU")
    page = context.new_page()
    page.on("pageerror", lambda e: problems.console_errors.append(str(e)))
    page.goto(f"{live_server}/model?model=mobilenet_v1&size=96")
    expect(page.locator("#model-table tbody tr").first).to_be_visible()
    expect(page.get_by_role("heading", name="Ваша модель")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "model-360")
    context.close()
    assert problems.console_errors == []
