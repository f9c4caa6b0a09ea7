"""convcore's reports as the API and the CLI show them: a stack's table as the ``/shapes`` JSON (and its
parts, which the image lab's answers reuse), the solver's answer as a sentence. The routers and the CLI call
these, so each form exists once."""

from collections.abc import Sequence
from typing import Any

from convcore.arithmetic import solve
from convcore.networks.graph import Field, field_dict
from convcore.networks.layers import Shape
from convcore.networks.stack import StackReport, StackWarning


def _shape(shape: Shape | None) -> dict[str, int] | None:
    if shape is None:
        return None
    return {"channels": shape.channels, "height": shape.height, "width": shape.width}


def box_dict(rows: tuple[int, int], cols: tuple[int, int]) -> dict[str, int]:
    """An input box as inclusive pixel indices, the form of ``POST /receptive-field/region``."""
    return {"top": rows[0], "left": cols[0], "bottom": rows[1], "right": cols[1]}


def warning_dicts(warnings: Sequence[StackWarning]) -> list[dict[str, Any]]:
    """A stack's warnings (unread rows and the like) with their codes."""
    return [
        {"code": w.code, "layer": w.layer, "axis": w.axis, "count": w.count, "message": w.message} for w in warnings
    ]


def report_dict(report: StackReport) -> dict[str, Any]:
    """A :class:`convcore.networks.stack.StackReport` in the /shapes response form (see :class:`StackResponse`).

    Each row's dict is kept with its row (``LayerReport.json``): a chain gives a row again while nothing about its
    layer changed, and its dict is not made again. A layer that keeps its input's shape and field (normalisation,
    activations) shares them with the row before, as objects, so its row shares their dicts too: read the rows,
    do not change them in place.
    """
    rows: list[dict[str, Any]] = []
    output: Shape | None = None
    field: Field | None = None
    output_json: dict[str, int] | None = None
    field_json: dict[str, list[int] | list[bool]] | None = None
    for row in report.layers:
        found = row.json
        if found is None:
            found = row.json = {
                "index": row.index,
                "type": row.layer.type,
                "name": row.layer.name,
                "output": output_json if row.output is output else _shape(row.output),
                "params": row.params,
                "macs": row.macs,
                "receptive_field": field_json if row.field is field else field_dict(row.field),
                "unused": list(row.unused) if row.unused is not None else None,
            }
        output, output_json = row.output, found["output"]
        field, field_json = row.field, found["receptive_field"]
        rows.append(found)
    return {
        "layers": rows,
        "total_params": report.total_params,
        "total_macs": report.total_macs,
        "warnings": warning_dicts(report.warnings),
    }


def solve_message(op: str, size: int, output_size: int, solution: solve.Solution) -> str:
    """What :func:`convcore.arithmetic.solve.solve` found, in one sentence (the settings follow it as a table)."""
    if solution.exact:
        return (
            f"{len(solution.settings)} setting(s) turn {size} into {output_size}, simplest first "
            "(nothing left unread, no padding wider than the kernel, no dilation, then small numbers)"
        )
    if not solution.settings:
        return f"none exists: no {op} with these fixed values can run on an input of {size}"
    nearest = sorted({s.output_size for s in solution.settings}, key=lambda o: (abs(o - output_size), o))
    return (
        f"none exists: no {op} with these fixed values turns {size} into {output_size}; "
        f"nearest: output size {', '.join(map(str, nearest))} (settings below)"
    )
