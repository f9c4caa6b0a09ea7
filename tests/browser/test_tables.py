"""Every data table built by static/js/common/table.js, at phone width: scrolled all the way to the right, its
first column and its key column (the row's name) are still in view.
"""

from typing import Any

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

# (page, table id, a table wider than a phone there: the scroll has something to prove)
TABLES = [
    ("/receptive-field?arch=resnet50", "rf-table", True),
    ("/model", "model-table", True),
    ("/normalization", "bn-stats", True),
    ("/dropout", "do-table", True),
    ("/equivariance", "eq-transforms", False),
]

# Scrolls the table's box to its right end; the boxes of the wrap and of row 1's first and key cells.
MEASURE = """(id) => {
  const table = document.getElementById(id);
  const wrap = table.closest('.table-wrap');
  wrap.scrollLeft = wrap.scrollWidth;
  const box = (node) => node && node.getBoundingClientRect().toJSON();
  const row = table.tBodies[0].rows[0];
  return {
    overflows: wrap.scrollWidth > wrap.clientWidth + 1,
    scrolled: wrap.scrollLeft,
    wrap: box(wrap),
    first: box(row.cells[0]),
    key: box(row.querySelector('.key')),
    headKey: box(table.tHead.querySelector('.key')),
  };
}"""


@pytest.mark.parametrize(("path", "table", "wide"), TABLES)
def test_a_scrolled_table_keeps_its_first_and_key_columns_in_view_at_360_px(
    page: Any, live_server: str, path: str, table: str, wide: bool
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}{path}")
    page.locator(f"#{table} tbody tr").first.wait_for()
    m = page.evaluate(MEASURE, table)
    screenshot(page, f"table-{table}-360")
    if wide:
        assert m["overflows"] and m["scrolled"] > 0, f"#{table} fits a phone: nothing to check"
    wrap = m["wrap"]
    for name in ("first", "key", "headKey"):
        cell = m[name]
        if cell is None:
            continue
        assert cell["left"] >= wrap["left"] - 1 and cell["right"] <= wrap["right"] + 1, (
            f"#{table} {name}: {cell} vs {wrap}"
        )
    if table in ("rf-table", "model-table"):
        assert m["key"] is not None and m["headKey"] is not None, f"#{table} has no key column"
