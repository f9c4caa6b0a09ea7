"""``convviz shape``, ``rf`` and ``solve``: a layer stack's table, a network's receptive fields, the solver."""

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.tables import format_table, shape_table
from app.input_shape import parse_shape
from app.reports import report_dict, solve_message
from convcore.arithmetic import solve
from convcore.networks import zoo
from convcore.networks.layers import Shape, parse_layers
from convcore.networks.stack import analyze
from convcore.networks.table import StackReport

#: Largest --file read: the largest stack /shapes accepts is well under a megabyte.
MAX_FILE_BYTES = 8 * 2**20


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


def _print_report(report: StackReport, as_json: bool) -> int:
    """The /shapes JSON (``--json``) or its table."""
    print(json.dumps(report_dict(report), ensure_ascii=False, indent=2) if as_json else shape_table(report))
    return 0


def shape(args: argparse.Namespace) -> int:
    """A stack's table, from --layer flags and/or a --file."""
    input_shape, layers = _read_stack(args.file) if args.file else (None, [])
    layers = layers + [parse_layer_flag(text) for text in args.layer or []]
    if args.input:
        input_shape = parse_shape(args.input, "--input")
    if not layers:
        raise ValueError("no layers: give --layer TYPE:key=value,... (repeatable) or --file stack.json")
    return _print_report(analyze(parse_layers(layers), input_shape), args.json)


def rf(args: argparse.Namespace) -> int:
    """Receptive fields of a built-in architecture or of a stack in a JSON file."""
    if args.network in zoo.NAMES:
        # the main path's rows of the engine run /architectures/{name} answers with (shortcuts merged in)
        return _print_report(zoo.analyze_architecture(args.network, args.size).main, args.json)
    if Path(args.network).suffix == ".json" or Path(args.network).exists():
        input_shape, layers = _read_stack(args.network)
        if args.size:
            input_shape = Shape(input_shape.channels if input_shape else 3, args.size, args.size)
        return _print_report(analyze(parse_layers(layers), input_shape), args.json)
    raise ValueError(f"{args.network!r} is neither a built-in architecture ({', '.join(zoo.NAMES)}) nor a JSON file")


def solve_sizes(args: argparse.Namespace) -> int:
    """The settings that turn --size into --output (the solver's sentence, then a table)."""
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
    print(solve_message(args.op, args.size, args.output, solution))
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
