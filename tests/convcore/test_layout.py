"""convcore's layers as the README describes them: which subpackage may import which, and where torch and onnx load.

``arithmetic`` is integers only; ``operations`` works on arrays; ``networks`` builds on both; ``importers`` (torch.fx,
ONNX) build on everything and nothing builds on them. The arithmetic and the graph engine must load without torch
or onnx, so that the API's layer-list routes never pay for them.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "convcore"

#: For each subpackage, the subpackages its modules must not import.
FORBIDDEN = {
    "arithmetic": {"operations", "networks", "importers"},
    "operations": {"networks", "importers"},
    "networks": {"importers"},
}

LIGHT = (
    "convcore.arithmetic.shapes",
    "convcore.arithmetic.formulas",
    "convcore.arithmetic.solve",
    "convcore.arithmetic.receptive_field",
    "convcore.networks.layers",
    "convcore.networks.graph",
    "convcore.networks.stack",
    "convcore.networks.zoo",
    "convcore.networks.cost",
)


def _imported_subpackages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found |= {name.split(".")[1] for name in names if name.startswith("convcore.")}
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_subpackage_imports_a_later_one(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_subpackages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_every_module_lives_in_a_subpackage() -> None:
    assert sorted(path.name for path in ROOT.glob("*.py")) == ["__init__.py", "errors.py"]


def test_arithmetic_and_the_graph_engine_load_without_torch_or_onnx() -> None:
    code = f"import sys\nimport {', '.join(LIGHT)}\nprint(sorted({{'torch', 'onnx'}} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"
