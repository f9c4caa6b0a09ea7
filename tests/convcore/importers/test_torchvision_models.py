"""One torchvision model per family through torch.fx and through ONNX from both exporters, against torch's counts.

Each summary must give torch's parameter count, MACs within 1 % of ``FlopCounterMode`` ÷ 2 (or fewer, with a
note saying which are not counted), a receptive field at every node, and the whole image at the logits.
``benchmarks/model_sweep.py`` runs all 76 classification models the same way.

What each part costs decides what runs live (``make test``, two workers on two cores):

- The ONNX files are fixtures (``tvm.FAMILIES`` × both exporters, ``tests/fixtures/torchvision/``, ~260 kB
  xz-compressed), because exporting them takes tens of minutes (the dynamo exporter, 10–60 s a model) and
  summarising them seconds. ``scripts/export_torchvision_fixtures.py`` writes them again. Two tests keep them
  honest: the fixtures are exactly the families' exports by the installed torch (a torch upgrade fails until
  they are written again), and ResNet-18 exported live by each exporter is its fixture, but for the stack
  traces the dynamo exporter records (they name the exporting machine's paths): a change of either exporter's
  output (torch's or onnxscript's) shows there.
- torch.fx runs live: the model is built and traced on the meta device; only the operations the summary does
  not know run on small real tensors (Swin's and MaxViT's attention: a few seconds).
- torch's counts run live (on the meta device), once per model: one test per model, a subtest per path.
- torch runs on one thread (``tests/conftest.py``, for every test): the two workers already share the two cores,
  and two threads each made the measured attention of Swin about four times slower.

All of it (and the two dynamo exports of ``onnx/test_exporters.py``) adds about 45 s of CPU time to ``make test``,
measured on the shared two-core machine: some 25 s of wall time with its two workers on an idle one.
"""

from functools import cache
from pathlib import Path

import pytest

from convcore.importers.fx.summary import summarize_module
from convcore.importers.onnx.summary import summarize_onnx
from convcore.networks.graph import GraphReport
from tests import torchvision_models as tvm

PATHS = ("fx", *tvm.EXPORTERS)
# through torch.fx also a second family member whose attention differs (Swin v2: a bias MLP run on a constant table)
FX_ONLY = ("swin_v2_t",)
REGENERATE = "write them again: .venv/bin/python scripts/export_torchvision_fixtures.py"


@cache
def counts(name: str) -> tvm.Counts:
    return tvm.torch_counts(name, tvm.input_size(name))


def summary(name: str, path: str) -> GraphReport:
    if path == "fx":
        size = tvm.input_size(name)
        return summarize_module(tvm.build(name, "meta"), (3, size, size))
    return summarize_onnx(tvm.read_fixture(name, "dynamo" if path == "dynamo" else "torchscript"))


def check(report: GraphReport, name: str) -> None:
    assert tvm.problems(report, counts(name)) == []


@pytest.mark.parametrize("name", tvm.FAMILIES)
def test_summaries_match_torch(name: str, subtests: pytest.Subtests) -> None:
    for path in PATHS:
        with subtests.test(path=path):
            check(summary(name, path), name)


@pytest.mark.parametrize("name", FX_ONLY)
def test_fx_summary_matches_torch(name: str) -> None:
    check(summary(name, "fx"), name)


def test_the_fixtures_are_the_families_exported_by_the_installed_torch() -> None:
    found = {path.name for path in tvm.FIXTURES.iterdir()}
    wanted = {tvm.fixture_path(name, exporter).name for name in tvm.FAMILIES for exporter in tvm.EXPORTERS}
    assert found == wanted, REGENERATE


@pytest.mark.parametrize("exporter", tvm.EXPORTERS)
def test_a_live_export_is_its_fixture(exporter: tvm.Exporter, tmp_path: Path) -> None:
    size = tvm.input_size("resnet18")
    live = tvm.export(tvm.build("resnet18"), size, exporter, tmp_path / "resnet18.onnx")
    fixture = tvm.read_fixture("resnet18", exporter)
    assert summarize_onnx(live) == summarize_onnx(fixture), REGENERATE
    assert tvm.without_stack_traces(live) == tvm.without_stack_traces(fixture), REGENERATE


def test_the_sweep_covers_the_76_classification_models() -> None:
    names = tvm.classification_models()
    assert len(names) == 76
    assert set(tvm.FAMILIES) | set(FX_ONLY) <= set(names)
    assert not tvm.GIANTS & set(names)


def test_torch_counts_read_parameters_used_outside_module_calls() -> None:
    """Attention reads ``out_proj``'s weights without calling it; GoogLeNet's auxiliary heads never run in eval."""
    vit = tvm.build("vit_b_32", "meta")
    assert counts("vit_b_32").params == sum(p.numel() for p in vit.parameters())
    googlenet = tvm.build("googlenet", "meta")
    aux = sum(p.numel() for name, p in googlenet.named_parameters() if name.startswith("aux"))
    assert aux > 0
    assert counts("googlenet").params == sum(p.numel() for p in googlenet.parameters()) - aux
