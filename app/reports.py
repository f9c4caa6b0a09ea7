"""convcore's reports as the API and the CLI show them: a stack's table as the ``/shapes`` JSON, the
solver's answer as a sentence. Both front ends call these, so a table and a sentence exist once."""

from typing import Any

from convcore import solve
from convcore.layers import Shape
from convcore.stack import StackReport


def _shape(shape: Shape | None) -> dict[str, int] | None:
    if shape is None:
        return None
    return {"channels": shape.channels, "height": shape.height, "width": shape.width}


def report_dict(report: StackReport) -> dict[str, Any]:
    """A :class:`convcore.stack.StackReport` in the /shapes response form (see :class:`StackResponse`)."""
    rows = []
    for row in report.layers:
        field = None
        if row.field is not None:
            h, w = row.field
            field = {"size": [h.size, w.size], "stride": [h.stride, w.stride], "padding": [h.padding, w.padding]}
        rows.append(
            {
                "index": row.index,
                "type": row.layer.type,
                "name": row.layer.name,
                "output": _shape(row.output),
                "params": row.params,
                "macs": row.macs,
                "receptive_field": field,
                "unused": list(row.unused) if row.unused is not None else None,
            }
        )
    return {
        "layers": rows,
        "total_params": report.total_params,
        "total_macs": report.total_macs,
        "warnings": [
            {"code": w.code, "layer": w.layer, "axis": w.axis, "count": w.count, "message": w.message}
            for w in report.warnings
        ],
    }


def solve_message(op: str, size: int, output_size: int, solution: solve.Solution) -> str:
    """What :func:`convcore.solve.solve` found, in one sentence (the settings follow it as a table)."""
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
