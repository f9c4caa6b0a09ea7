"""The ``convviz`` command line: ``serve`` starts the web application; ``shape``, ``rf`` and ``solve`` print
the REST API's answers (``/shapes``, ``/architectures``, ``/solve``) as aligned tables, or as JSON with ``--json``.
"""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.cli_summary import add_parser as add_summary_parser
from app.settings import get_settings
from convcore import zoo
from convcore.layers import Shape, parse_layers
from convcore.stack import StackReport, analyze

EXIT_BAD_INPUT = 2
#: Largest --file read: the largest stack /shapes accepts is well under a megabyte.
MAX_FILE_BYTES = 8 * 2**20


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers)
    return 0


def parse_shape(text: str) -> Shape:
    """``"3x224x224"`` → ``Shape(3, 224, 224)`` (channels × height × width)."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"--input must be CxHxW, e.g. 3x224x224, got {text!r}")
    return Shape(*(int(p) for p in parts))


def _value(text: str) -> Any:
    """A flag value: ``3``, ``3x5`` (an [h, w] pair), ``0.5``, ``true``/``false``, or a word such as ``same``."""
    if text.lower() in {"true", "false"}:
        return text.lower() == "true"
    pair = text.lower().split("x")
    if len(pair) == 2 and all(p.isdigit() for p in pair):
        return [int(pair[0]), int(pair[1])]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_layer_flag(text: str) -> dict[str, Any]:
    """``"conv2d:out_channels=64,kernel_size=7,stride=2,padding=3"`` → the shared layer dict."""
    layer_type, _, rest = text.partition(":")
    layer: dict[str, Any] = {"type": layer_type.strip()}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--layer {text!r}: expected key=value pairs after the type, got {item!r}")
        layer[key.strip()] = _value(value.strip())
    return layer


def _read_json(path: str) -> Any:
    """The JSON in a file of at most :data:`MAX_FILE_BYTES`; every failure is a ``ValueError`` naming the file."""
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB: a layer stack is a small JSON file")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ValueError(f"{path} is nested too deeply to be a layer stack") from exc


def _read_stack(path: str) -> tuple[Shape | None, list[dict[str, Any]]]:
    """A JSON file holding the /shapes body ``{"input": {...}, "layers": [...]}`` or just the layer list."""
    data = _read_json(path)
    if isinstance(data, list):
        return None, data
    if isinstance(data, dict) and isinstance(data.get("layers"), list):
        raw = data.get("input")
        if raw is None:
            return None, data["layers"]
        keys = ("channels", "height", "width")
        if not isinstance(raw, dict) or not all(type(raw.get(k)) is int for k in keys):
            raise ValueError(f'{path}: "input" must be {{"channels": C, "height": H, "width": W}} with integers')
        return Shape(raw["channels"], raw["height"], raw["width"]), data["layers"]
    raise ValueError(f'{path} must hold a list of layers or an object {{"input": ..., "layers": [...]}}')


def _pair(values: Sequence[int]) -> str:
    return str(values[0]) if values[0] == values[1] else f"{values[0]}×{values[1]}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned, text left-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for cell, width in zip(cells, widths, strict=True):
            numeric = cell.replace(",", "").replace("×", "").replace("−", "").isdigit()
            out.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def shape_table(report: StackReport) -> str:
    """The /shapes table as text: one row per layer, totals and warnings below."""
    header = ["#", "name", "type", "output", "params", "MACs", "RF size", "RF stride", "RF padding"]
    rows = []
    for row in report.layers:
        out = f"{row.output.channels}×{row.output.height}×{row.output.width}" if row.output else "-"
        field = row.field
        rows.append(
            [
                str(row.index),
                row.layer.name or "-",
                row.layer.type,
                out,
                f"{row.params:,}" if row.params is not None else "-",
                f"{row.macs:,}" if row.macs is not None else "-",
                _pair([f.size for f in field]) + (" (whole)" if any(f.whole for f in field) else "") if field else "-",
                _pair([f.stride for f in field]) if field else "-",
                _pair([f.padding for f in field]) if field else "-",
            ]
        )
    lines = [format_table(header, rows)]
    if report.total_params is not None and report.total_macs is not None:
        lines.append(f"total: {report.total_params:,} parameters, {report.total_macs:,} MACs")
    lines += [f"warning [{w.code}]: {w.message}" for w in report.warnings]
    return "\n".join(lines)


def _report_json(report: StackReport) -> str:
    from app.routers.shapes import report_dict

    return json.dumps(report_dict(report), ensure_ascii=False, indent=2)


def _shape(args: argparse.Namespace) -> int:
    input_shape, layers = _read_stack(args.file) if args.file else (None, [])
    layers = layers + [parse_layer_flag(text) for text in args.layer or []]
    if args.input:
        input_shape = parse_shape(args.input)
    if not layers:
        raise ValueError("no layers: give --layer TYPE:key=value,... (repeatable) or --file stack.json")
    report = analyze(parse_layers(layers), input_shape)
    print(_report_json(report) if args.json else shape_table(report))
    return 0


def _rf(args: argparse.Namespace) -> int:
    """Receptive fields of a built-in architecture or of a stack in a JSON file."""
    if args.network in zoo.NAMES:
        # the main path's rows of the engine run /architectures/{name} answers with (shortcuts merged in)
        report = zoo.analyze_architecture(args.network, args.size).main
    elif Path(args.network).suffix == ".json" or Path(args.network).exists():
        input_shape, layers = _read_stack(args.network)
        if args.size:
            input_shape = Shape(input_shape.channels if input_shape else 3, args.size, args.size)
        report = analyze(parse_layers(layers), input_shape)
    else:
        names = ", ".join(zoo.NAMES)
        raise ValueError(f"{args.network!r} is neither a built-in architecture ({names}) nor a JSON file")
    print(_report_json(report) if args.json else shape_table(report))
    return 0


def _solve(args: argparse.Namespace) -> int:
    from convcore import solve

    solution = solve.solve(
        args.size,
        args.output,
        op=args.op,
        kernel_size=args.kernel_size,
        stride=args.stride,
        padding=args.padding,
        dilation=args.dilation,
    )
    if args.json:
        print(json.dumps({"exact": solution.exact, "settings": [vars(s) for s in solution.settings]}, indent=2))
        return 0
    if solution.exact:
        print(f"{len(solution.settings)} setting(s) turn {args.size} into {args.output}, simplest first:")
    else:
        print(f"none exists: no {args.op} with these fixed values turns {args.size} into {args.output}; nearest:")
    header = ["kernel_size", "stride", "padding", "dilation", "output_padding", "output", "unread rows"]
    rows = [
        [
            str(v)
            for v in (s.kernel_size, s.stride, s.padding, s.dilation, s.output_padding, s.output_size, s.unused_rows)
        ]
        for s in solution.settings
    ]
    print(format_table(header, rows))
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="convviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the web application and the REST API")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument("--workers", type=int, default=settings.workers)
    serve.set_defaults(handler=_serve)

    shape = commands.add_parser(
        "shape",
        help="per-layer output shapes, parameters, MACs and receptive fields of a layer stack (as POST /shapes)",
        epilog="example: convviz shape --input 3x224x224 "
        "--layer conv2d:out_channels=64,kernel_size=7,stride=2,padding=3 --layer max_pool2d:kernel_size=3,stride=2,"
        "padding=1  (pairs as HxW, e.g. kernel_size=1x7)",
    )
    shape.add_argument("--input", help="input shape CxHxW, e.g. 3x224x224 (omit for receptive fields only)")
    shape.add_argument("--layer", action="append", metavar="TYPE:key=value,...", help="one layer; repeat in order")
    shape.add_argument("--file", help='JSON file: {"input": {...}, "layers": [...]} or a list of layers')
    shape.add_argument("--json", action="store_true", help="print the /shapes JSON instead of a table")
    shape.set_defaults(handler=_shape)

    rf = commands.add_parser("rf", help="receptive field of every layer of a built-in architecture or a JSON stack")
    rf.add_argument("network", help="an architecture name (alexnet, vgg16, resnet18, resnet50, mobilenet_v1) or a file")
    rf.add_argument("--size", type=int, help="input height and width (default: the architecture's, e.g. 224)")
    rf.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rf.set_defaults(handler=_rf)

    solve = commands.add_parser("solve", help="which kernel/stride/padding/dilation turn one size into another")
    solve.add_argument("--size", type=int, required=True, help="input size along one axis")
    solve.add_argument("--output", type=int, required=True, help="wanted output size")
    solve.add_argument("--op", choices=["conv", "pool", "conv_transpose"], default="conv")
    for name in ("kernel-size", "stride", "padding", "dilation"):
        solve.add_argument(f"--{name}", type=int, help=f"fix the {name.replace('-', '_')} (searched when omitted)")
    solve.add_argument("--json", action="store_true", help="print JSON instead of a table")
    solve.set_defaults(handler=_solve)
    add_summary_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ValueError as exc:
        print(f"convviz {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader (`| head`) closed the pipe: stop quietly, and keep Python's exit-time flush from failing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
