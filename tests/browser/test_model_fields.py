"""The /model page's export commands, global fields and a Swin-B-sized upload, in a real Chromium."""

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def global_model(path: Path) -> Path:
    """x (3×32×32) → conv 3×3 (pad 1) → global average pool → flatten → linear: a local field, then the whole."""
    w = numpy_helper.from_array(np.zeros((4, 3, 3, 3), dtype=np.float32), "w")
    fc = numpy_helper.from_array(np.zeros((2, 4), dtype=np.float32), "fc")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w"], ["c"], name="/stem/Conv", pads=[1, 1, 1, 1]),
            helper.make_node("GlobalAveragePool", ["c"], ["g"], name="/pool/GlobalAveragePool"),
            helper.make_node("Flatten", ["g"], ["f"], name="/Flatten"),
            helper.make_node("Gemm", ["f", "fc"], ["y"], name="/head/Gemm", transB=1),
        ],
        "global",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[w, fc],
    )
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    return path


def swin_sized_model(path: Path, nodes: int = 14_000) -> Path:
    """A conv and then ``nodes`` activations named like Swin-B's module paths: 14,000 nodes (Swin-B has 13,017
    from the TorchScript exporter, 13,920 in the issue) and ~2.5 MB, its file's size without weights."""
    w = numpy_helper.from_array(np.zeros((4, 3, 3, 3), dtype=np.float32), "w")
    prefix = "/features/features.5/features.5.17/attn/ShiftedWindowAttention/"
    made = [helper.make_node("Conv", ["x", "w"], ["t0"], name="/stem/Conv", pads=[1, 1, 1, 1])]
    for i in range(1, nodes):
        made.append(helper.make_node("Relu", [f"t{i - 1}"], [f"t{i}"], name=f"{prefix}{'x' * 80}/Relu_{i}"))
    graph = helper.make_graph(
        made,
        "swin_sized",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info(f"t{nodes - 1}", TensorProto.FLOAT, None)],
        initializer=[w],
    )
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    return path


def upload(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("ONNX file").set_input_files(str(path))
    page.get_by_role("button", name="Summarize").click()


def test_export_commands_copy_and_a_global_field(page, live_server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/model?lang=en&model=upload")
    dynamo = page.locator("#cmd-dynamo")
    expect(dynamo).to_contain_text("export_params=False, external_data=False")
    expect(page.locator("#cmd-script")).to_contain_text("dynamo=False, export_params=False, opset_version=17")
    page.get_by_role("button", name="Copy the command for the default exporter").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == dynamo.text_content()

    upload(page, global_model(tmp_path / "global.onnx"))
    table = page.locator("#model-table")
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.locator('tr[data-name="/stem/Conv"] td.r')).to_have_text("3")
    head = table.locator('tr[data-name="/head/Gemm"]')
    expect(head).to_have_class("main global")
    expect(head.locator("td.r")).to_have_text("whole")
    whole = "every output of this node sees the whole input along this axis"
    expect(head.locator("td.r")).to_have_attribute("title", whole)
    expect(page.locator("#field-summary")).to_have_text(
        "Nodes that see the whole image: 3 (the first is pool). Measured operations: 0. Nodes with notes: 0."
    )
    page.get_by_role("button", name="Show node 4 on the photo").click()
    canvas = page.get_by_role("img", name="Photo with the receptive field of the chosen output")
    expect(canvas).to_have_attribute("data-unclipped", "0,0,31,31")
    expect(page.locator("#overlay-box")).to_have_text(
        "head, output (0, 0): sees the input's whole height and width (r = whole), as every output of this node does."
    )
    screenshot(page, "model-global-en-1280")
    page.get_by_role("button", name="RU", exact=True).click()
    expect(head.locator("td.r")).to_have_text("всё")
    expect(page.get_by_role("heading", name="Экспортируйте модель без весов")).to_be_visible()
    screenshot(page, "model-global-ru-1280")


def test_a_swin_b_sized_file_fits_the_limits_and_renders(page, live_server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = swin_sized_model(tmp_path / "swin_sized.onnx")
    assert 2_000_000 < path.stat().st_size < 5 * 1024 * 1024
    page.goto(f"{live_server}/model?lang=en&model=upload")
    upload(page, path)
    expect(page.locator("#model-table tbody tr")).to_have_count(14_001, timeout=60_000)
    expect(page.locator("#totals")).to_contain_text("swin_sized.onnx: input 3×16×16")


def test_export_box_at_360_px_in_russian(browser, live_server: str, tmp_path: Path, problems) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="ru-RU")
    page = context.new_page()
    page.on("pageerror", lambda e: problems.console_errors.append(str(e)))
    page.goto(f"{live_server}/model?model=upload")
    expect(page.get_by_role("button", name="Скопировать команду для экспортёра по умолчанию")).to_be_visible()
    page.get_by_label("Файл ONNX").set_input_files(str(global_model(tmp_path / "global.onnx")))
    page.get_by_role("button", name="Посчитать").click()
    expect(page.locator('#model-table tr[data-name="/head/Gemm"] td.r')).to_have_text("всё")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "model-global-ru-360")
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Export your model without its weights")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "model-global-en-360")
    context.close()
    assert problems.console_errors == []
