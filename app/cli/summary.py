"""``convviz summary``: the per-node table of your own network — a PyTorch factory or an ONNX file.

``convviz summary package.module:factory --input 3x224x224`` imports ``factory`` (a module class, a function
returning a module, or a module instance), builds it on the meta device (no weights are allocated), traces
it with ``torch.fx`` and prints per node: output shape, parameters, MACs, receptive field r/S/P and, where
branches merge, whether they are aligned. ``convviz summary model.onnx`` does the same for an ONNX file
(``--input`` fixes a symbolic input size). ``--json`` prints the ``/api/v1/models/summary`` JSON.
"""

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from app.cli.tables import summary_table
from app.input_shape import parse_shape
from convcore.networks.graph import GraphReport, report_to_dict


def load_factory(spec: str) -> Any:
    """``"package.module:factory"`` → the object ``factory`` in that module (the current directory is importable)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected package.module:factory or a .onnx file, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r}: {exc}") from exc
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ValueError(f"{module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    return target


def build_module(factory: Any) -> Any:
    """An ``nn.Module`` from a module instance, a class or a function, built on the meta device.

    A factory that reads a tensor's values while it builds (RegNet computes its widths so) cannot run on the
    meta device: it is built on the CPU instead.
    """
    import torch
    from torch import nn

    if isinstance(factory, nn.Module):
        return factory
    if not callable(factory):
        raise ValueError(f"{factory!r} is neither an nn.Module nor something that builds one")
    try:
        with torch.device("meta"):
            module = factory()
    except TypeError as exc:
        raise ValueError(f"calling the factory with no arguments failed: {exc}") from exc
    except (NotImplementedError, RuntimeError) as exc:
        if "meta" not in str(exc):
            raise
        module = factory()
    if not isinstance(module, nn.Module):
        raise ValueError(f"the factory returned {type(module).__name__}, not an nn.Module")
    return module


def summarize(source: str, input_text: str | None) -> GraphReport:
    """The table for a ``.onnx`` path or a ``package.module:factory`` spec."""
    shape = parse_shape(input_text, "--input") if input_text else None
    size = (shape.channels, shape.height, shape.width) if shape else None
    if source.lower().endswith(".onnx"):
        from convcore.importers.onnx.summary import summarize_onnx

        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read {source}: {exc.strerror}") from exc
        return summarize_onnx(data, input_shape=size)
    if size is None:
        raise ValueError("--input CxHxW is required for a PyTorch module, e.g. --input 3x224x224")
    from convcore.importers.fx.summary import summarize_module

    return summarize_module(build_module(load_factory(source)), size)


def _run(args: argparse.Namespace) -> int:
    report = summarize(args.model, args.input)
    if args.json:
        print(json.dumps({"source": args.model, **report_to_dict(report)}, ensure_ascii=False, indent=2))
    else:
        print(summary_table(report))
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``convviz summary`` on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "summary",
        help="per-node shapes, parameters, MACs and receptive fields of a PyTorch module or an ONNX file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: convviz summary mypkg.nets:ResNet18 --input 3x224x224   |   convviz summary model.onnx",
    )
    parser.add_argument("model", help="package.module:factory (a module class, function or instance) or a .onnx file")
    parser.add_argument("--input", help="input shape CxHxW, e.g. 3x224x224 (required for PyTorch modules)")
    parser.add_argument("--json", action="store_true", help="print the /api/v1/models/summary JSON instead of a table")
    parser.set_defaults(handler=_run)
