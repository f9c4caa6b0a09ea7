"""Every JSON fixture of tests/js/ must be exactly what its script in tests/js/fixtures/ renders today (from
convcore, torch and the server's texts), so the JS tests check the front end against the real numbers."""

import importlib.util
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCRIPTS = [
    "make_fixtures.py",
    "make_rf_fixtures.py",
    "make_text_fixtures.py",
    "make_lessons_fixtures.py",
    "make_limits_fixtures.py",
]


def test_every_fixture_script_is_checked() -> None:
    assert sorted(path.name for path in FIXTURES.glob("make_*.py")) == sorted(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_fixture_is_up_to_date(script: str) -> None:
    spec = importlib.util.spec_from_file_location(script.removesuffix(".py"), FIXTURES / script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.FIXTURE.read_text() == module.render(), f"run: .venv/bin/python tests/js/fixtures/{script}"
