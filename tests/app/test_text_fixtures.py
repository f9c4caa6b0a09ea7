"""The Russian server texts that tests/js/i18n.test.js checks against the glossary must be today's."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "make_text_fixtures.py"


def test_server_text_fixtures_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("make_text_fixtures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.FIXTURE.read_text() == module.render(), (
        "run: .venv/bin/python tests/js/fixtures/make_text_fixtures.py"
    )
