"""tests/js/fixtures/rfgeometry.json must be exactly what convcore produces today."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "make_rf_fixtures.py"


def test_rf_geometry_fixtures_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("make_rf_fixtures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = module.FIXTURE.read_text()
    assert committed == module.render(), "run: .venv/bin/python tests/js/fixtures/make_rf_fixtures.py"
