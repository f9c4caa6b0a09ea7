"""torchvision's classification models and torch's own counts of them, for the summary tests and the sweep.

Why the shim: the torchvision wheel on the package index (0.28.0, the release that pairs with torch 2.13.0)
is built against the CUDA build of torch; its C extension (``torchvision/_C.so``) links ``libtorch_cuda``,
which the pinned CPU torch does not ship, so the extension cannot load and ``import torchvision`` fails in
``torchvision._meta_registrations``, which registers fake kernels for ``torchvision::nms`` and the other C
ops. The model definitions are pure Python and never call those ops, so :func:`models` puts an empty module
in ``sys.modules["torchvision._meta_registrations"]`` before the import. Only detection ops (``nms``,
``roi_align``…) are lost, which no classification model uses; the runtime pin of torch is untouched.

The reference counts are torch's: the parameters that the forward pass reads (GoogLeNet's and Inception v3's
auxiliary heads are not run in eval mode; attention reads its projections' weights without calling their
modules) and MACs as ``torch.utils.flop_counter.FlopCounterMode`` counts them, halved. Both run on the meta
device: no weights are allocated and no arithmetic runs.

The ONNX files of :data:`FAMILIES` are test fixtures (:func:`read_fixture`): exporting them takes tens of minutes
(the dynamo exporter), summarising them seconds. ``scripts/export_torchvision_fixtures.py`` writes them again.
"""

import importlib
import lzma
import sys
import time
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import onnx
import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from convcore.networks.graph import GraphReport

Exporter = Literal["torchscript", "dynamo"]
EXPORTERS: tuple[Exporter, ...] = ("torchscript", "dynamo")
# the four giants the issue leaves out of the sweep (each is 300M–650M parameters)
GIANTS = frozenset({"vit_h_14", "vit_l_16", "vit_l_32", "regnet_y_128gf"})
# inputs smaller than 224 where the model allows one: ViT and MaxViT are built for 224 and refuse others;
# AlexNet's and VGG's adaptive pooling to 6×6 and 7×7 would upsample a smaller map, which the TorchScript
# exporter refuses; Inception v3 needs 75 pixels at least
SMALL_SIZES = {"inception_v3": 96}
FIXED_224 = ("vit_", "maxvit_", "alexnet", "vgg")
# one model per family, the smallest of each: the models that CI summarises through every path. Not here: the
# files the exporters write with less than the model (VGG with batch norm through TorchScript: the norm folded
# into the conv; Swin v2 through dynamo: its bias MLP run on a constant table, folded away)
FAMILIES = (
    "resnet18",
    "vgg11",
    "densenet121",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "efficientnet_b0",
    "convnext_tiny",
    "shufflenet_v2_x0_5",
    "mnasnet0_5",
    "regnet_y_400mf",
    "squeezenet1_1",
    "googlenet",
    "inception_v3",
    "swin_t",
    "vit_b_32",
    "maxvit_t",
)
# the exported files of FAMILIES at input_size, xz-compressed
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "torchvision"


def models() -> ModuleType:
    """``torchvision.models``, imported without the C ops' fake-kernel registrations (see the module docstring)."""
    if "torchvision" not in sys.modules:
        sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    return importlib.import_module("torchvision.models")


def classification_models() -> list[str]:
    """The 76 classification models of the sweep: every one in ``torchvision.models`` but the four giants."""
    tv = models()
    return [name for name in tv.list_models(module=tv) if name not in GIANTS]


def input_size(name: str, small: int = 64) -> int:
    """Height and width for ``name``: ``small`` where the model accepts it, else what the model needs."""
    if name.startswith(FIXED_224):
        return 224
    return max(small, SMALL_SIZES.get(name, small))


def build(name: str, device: str = "cpu") -> nn.Module:
    """``torchvision.models.get_model(name, weights=None)`` in eval mode, built on ``device``.

    RegNet computes its widths with tensors and reads them back, which the meta device cannot do: it is
    built on the CPU and then moved.
    """
    if name.startswith("regnet_") and device == "meta":
        return build(name).to("meta")
    with torch.device(device):
        return models().get_model(name, weights=None).eval()


class _ParametersRead(TorchFunctionMode):
    """Records every parameter passed to a torch function (reading an attribute such as ``.shape`` is no use)."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: dict[int, int] = {}

    def __torch_function__(
        self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        if getattr(func, "__name__", "") != "__get__":
            for leaf in tree_leaves((args, kwargs)):
                if isinstance(leaf, nn.Parameter):
                    self.sizes[id(leaf)] = leaf.numel()
        return func(*args, **kwargs)


@dataclass(frozen=True)
class Counts:
    params: int
    macs: int


def torch_counts(name: str, size: int) -> Counts:
    """The parameters the forward pass reads and FlopCounterMode's FLOPs ÷ 2, on a 3×size×size input."""
    model = build(name, "meta")
    read = _ParametersRead()
    with FlopCounterMode(display=False) as counter, read, torch.no_grad():
        model(torch.zeros(1, 3, size, size, device="meta"))
    return Counts(sum(read.sizes.values()), counter.get_total_flops() // 2)


def export(model: nn.Module, size: int, exporter: Exporter, path: Path) -> bytes:
    """``model`` exported to ``path`` without weights, the way the /model page tells a user to export it.

    TorchScript: ``dynamo=False, export_params=False, opset_version=17``. Dynamo (torch's default): the default
    options with ``export_params=False`` and ``external_data=False`` (one file, no weights).
    """
    x = torch.zeros(1, 3, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "torchscript":
            torch.onnx.export(model, (x,), path, dynamo=False, export_params=False, opset_version=17)
        else:
            torch.onnx.export(model, (x,), path, export_params=False, external_data=False, verbose=False)
    return path.read_bytes()


def without_stack_traces(data: bytes) -> bytes:
    """An ONNX file without the stack traces the dynamo exporter records (they name the exporting machine's
    paths and line numbers): what stays is what the export says about the model."""
    model = onnx.load_from_string(data)
    for node in model.graph.node:
        kept = [p for p in node.metadata_props if p.key != "pkg.torch.onnx.stack_trace"]
        del node.metadata_props[:]
        node.metadata_props.extend(kept)
    return model.SerializeToString()


def export_name(name: str, size: int, exporter: Exporter) -> str:
    """The file name of an export: the model, the input size, the exporter and the torch version that ran it."""
    return f"{name}-{size}-{exporter}-torch{torch.__version__}.onnx"


def fixture_path(name: str, exporter: Exporter) -> Path:
    """Where the test fixture of ``name`` exported by ``exporter`` at :func:`input_size` is (xz-compressed)."""
    return FIXTURES / f"{export_name(name, input_size(name), exporter)}.xz"


def read_fixture(name: str, exporter: Exporter) -> bytes:
    """The ONNX file of the fixture :func:`fixture_path` names, decompressed."""
    return lzma.decompress(fixture_path(name, exporter).read_bytes())


def cached_export(name: str, size: int, exporter: Exporter, cache: Path) -> tuple[bytes, float]:
    """:func:`export` of ``build(name)`` kept in the folder ``cache`` (per torch version and input size).

    Returns the file's bytes and the export's time in seconds (0 when the file was already there).
    """
    path = cache / export_name(name, size, exporter)
    if path.exists():
        return path.read_bytes(), 0.0
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    start = time.perf_counter()
    export(build(name), size, exporter, partial)
    elapsed = time.perf_counter() - start
    partial.rename(path)
    return path.read_bytes(), elapsed


def problems(report: GraphReport, counts: Counts) -> list[str]:
    """What keeps ``report`` from the issue's standard; empty when it meets it.

    Parameters equal torch's; MACs within 1 % of FlopCounterMode's — or fewer, with a note on some node
    saying which MACs are not counted; every node has a receptive field (local or the whole input), and the
    logits see the whole image.
    """
    found = []
    if report.total_params != counts.params:
        found.append(f"params {report.total_params:,} ≠ torch's {counts.params:,}")
    macs, want = report.total_macs, counts.macs
    noted = any("MACs not counted" in n.note or "0 MACs" in n.note for n in report.nodes)
    if abs(macs - want) > want / 100 and not (noted and macs < want):
        found.append(f"MACs {macs:,} vs torch's {want:,} ({(macs - want) / want:+.1%})")
    blind = [n for n in report.nodes if n.field is None]
    if blind:
        found.append(f"{len(blind)} nodes without a receptive field, first {blind[0].node.name}: {blind[0].note}")
    if report.nodes[-1].kind != "global":
        found.append(f"the logits ({report.nodes[-1].node.name}) do not see the whole image")
    return found
