"""Every torchvision classification model through torch.fx and through ONNX from both exporters: a verdict table.

The 76 models of ``torchvision.models`` but the four giants (vit_h_14, vit_l_16, vit_l_32, regnet_y_128gf),
built with ``weights=None``. Per model and path the verdict is ``ok`` when the summary's parameters equal
torch's count and its MACs are within 1 % of ``FlopCounterMode`` ÷ 2 (or fewer, with a note saying which are
not counted) and every node has a receptive field; otherwise what is wrong, or the error text. Times: the
summary alone (torch.fx: trace, shapes and analysis of a module built on the meta device; ONNX: decode, shape
inference and analysis of the file's bytes), and apart from it the two exports.

Exports take most of the time (the dynamo exporter ~10–30 s a model on 2 cores), so the files (without
weights, a few MB at most) are kept in ``--cache`` and reused while torch's version and the input size are
unchanged: a second run measures only the summaries.

Usage: ``.venv/bin/python benchmarks/model_sweep.py [--size 64] [--models resnet18,swin_b] [--out FILE]``.
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convcore.importers.fx.summary import summarize_module  # noqa: E402
from convcore.importers.onnx.summary import summarize_onnx  # noqa: E402
from convcore.networks.graph import GraphReport  # noqa: E402
from tests import torchvision_models as tvm  # noqa: E402

PATHS = ("fx", *tvm.EXPORTERS)
VERDICT_WIDTH = 48


def run_path(name: str, size: int, path: str, cache: Path) -> tuple[Callable[[], GraphReport], float]:
    """The summary to time for one path, and the export's time (0 for torch.fx or a cached file)."""
    if path == "fx":
        model = tvm.build(name, "meta")
        return lambda: summarize_module(model, (3, size, size)), 0.0
    data, export_s = tvm.cached_export(name, size, path, cache)  # type: ignore[arg-type]
    return lambda: summarize_onnx(data), export_s


def first_line(exc: Exception) -> str:
    """The exception's type and the first line of its message (the TorchScript exporter appends its whole IR)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def sweep_model(name: str, size: int, cache: Path, paths: list[str]) -> tuple[list[str], list[str]]:
    """One table row (model, per path verdict and summary time, export times) and the full texts of failures."""
    counts = tvm.torch_counts(name, size)
    row, details, exports = [name, f"{size}"], [], []
    for path in PATHS:
        if path not in paths:
            row += ["not run", "-"]
            continue
        try:
            summary, export_s = run_path(name, size, path, cache)
        except Exception as exc:
            row += [f"export failed: {first_line(exc)}"[:VERDICT_WIDTH], "-"]
            details.append(f"{name} {path}: export failed: {first_line(exc)}")
            continue
        if path != "fx":
            exports.append(f"{export_s:.0f}" if export_s else "cached")
        start = time.perf_counter()
        try:
            found = tvm.problems(summary(), counts)
        except Exception as exc:
            found = [first_line(exc)]
        elapsed = time.perf_counter() - start
        verdict = "ok" if not found else "; ".join(found)
        row += [verdict[:VERDICT_WIDTH], f"{elapsed * 1000:.0f}"]
        if found:
            details.append(f"{name} {path}: {verdict}")
    return [*row, "/".join(exports)], details


def table(rows: list[list[str]]) -> str:
    header = ["model", "size", "torch.fx", "ms", "ONNX torchscript", "ms", "ONNX dynamo", "ms", "export s ts/dyn"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in [header, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=int, default=64, help="input height and width where the model allows (ViT, MaxViT, VGG: 224)"
    )
    parser.add_argument("--models", help="comma-separated model names (default: all 76)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "convviz-sweep")
    parser.add_argument("--out", type=Path, help="also write the table and the failures to this file")
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated, of {', '.join(PATHS)}")
    args = parser.parse_args()
    names = args.models.split(",") if args.models else tvm.classification_models()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows, details = [], []
    start = time.perf_counter()
    for name in names:
        row, failures = sweep_model(name, tvm.input_size(name, args.size), args.cache, args.paths.split(","))
        rows.append(row)
        details += failures
        print(" | ".join(row), flush=True)
    ok = [sum(row[2 + 2 * i] == "ok" for row in rows) for i in range(len(PATHS))]
    totals = ", ".join(f"{label} {n}/{len(rows)}" for label, n in zip(("torch.fx", *tvm.EXPORTERS), ok, strict=True))
    text = "\n".join(
        [
            table(rows),
            "",
            f"ok: {totals}; torch {torch.__version__}, {time.perf_counter() - start:.0f} s in all",
            *(["", "what is wrong:", *details] if details else []),
        ]
    )
    print("\n" + text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
