"""The argument parser of ``convviz`` and :func:`main`, which runs a command and turns bad input into exit code 2."""

import argparse
import os
import sys
from collections.abc import Sequence

from app.cli import commands, summary
from app.settings import get_settings

EXIT_BAD_INPUT = 2
DESCRIPTION = (
    "The convviz command line: serve starts the web application; shape, rf, solve and summary print the REST "
    "API's answers (/shapes, /architectures, /solve, /models/summary) as aligned tables, or as JSON with --json."
)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers)
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="convviz", description=DESCRIPTION)
    subcommands = parser.add_subparsers(dest="command", required=True)
    serve = subcommands.add_parser("serve", help="serve the web application and the REST API")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument("--workers", type=int, default=settings.workers)
    serve.set_defaults(handler=_serve)

    shape = subcommands.add_parser(
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
    shape.set_defaults(handler=commands.shape)

    rf = subcommands.add_parser("rf", help="receptive field of every layer of a built-in architecture or a JSON stack")
    rf.add_argument("network", help="an architecture name (alexnet, vgg16, resnet18, resnet50, mobilenet_v1) or a file")
    rf.add_argument("--size", type=int, help="input height and width (default: the architecture's, e.g. 224)")
    rf.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rf.set_defaults(handler=commands.rf)

    solve = subcommands.add_parser("solve", help="which kernel/stride/padding/dilation turn one size into another")
    solve.add_argument("--size", type=int, required=True, help="input size along one axis")
    solve.add_argument("--output", type=int, required=True, help="wanted output size")
    solve.add_argument("--op", choices=["conv", "pool", "conv_transpose"], default="conv")
    for name in ("kernel-size", "stride", "padding", "dilation"):
        solve.add_argument(f"--{name}", type=int, help=f"fix the {name.replace('-', '_')} (searched when omitted)")
    solve.add_argument("--json", action="store_true", help="print JSON instead of a table")
    solve.set_defaults(handler=commands.solve_sizes)
    summary.add_parser(subcommands)
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
