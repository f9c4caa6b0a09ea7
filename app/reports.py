"""convcore's reports as the API and the CLI show them: a stack's table as the ``/shapes`` JSON (and its
parts, which the image lab's answers reuse), the solver's answer as a sentence. The routers and the CLI call
these, so each form exists once."""

from collections.abc import Sequence
from itertools import compress
from operator import attrgetter, not_
from typing import Any

import orjson

from app.encoding import compact, dumps
from convcore.arithmetic import solve
from convcore.arithmetic.shapes import MAX_EXACT
from convcore.networks.graph import field_dict
from convcore.networks.layers import LAYER_TYPES, Layer, Shape
from convcore.networks.table import Field, LayerReport, StackReport, StackWarning


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


def _row_dict(row: LayerReport) -> dict[str, Any]:
    return {
        "index": row.index,
        "type": row.layer.type,
        "name": row.layer.name,
        "output": _shape(row.output),
        "params": row.params,
        "macs": row.macs,
        "receptive_field": field_dict(row.field),
        "unused": list(row.unused) if row.unused is not None else None,
    }


def report_dict(report: StackReport) -> dict[str, Any]:
    """A :class:`convcore.networks.table.StackReport` in the /shapes response form (see :class:`StackResponse`)."""
    return {
        "layers": [_row_dict(row) for row in report.layers],
        "total_params": report.total_params,
        "total_macs": report.total_macs,
        "warnings": warning_dicts(report.warnings),
    }


#: A row of a table with an input size as orjson writes :func:`_row_dict`, in two steps: per layer and field a
#: template with its index, type, name and field written (:func:`_template`), then its numbers; a fifth of the time
#: of a dict through orjson. ``tests/app/test_reports.py`` checks they are the same bytes.
_ROW = (
    b'{"index":%d,"type":%b,"name":%b,"output":{"channels":%%d,"height":%%d,"width":%%d},"params":%%d,"macs":%%d,'
    b'"receptive_field":%b,"unused":[%%d,%%d]}'
)
_FIELD = b'{"size":[%d,%d],"stride":[%d,%d],"padding":[%d,%d],"global":[%b,%b]}'
_JSON_BOOL = {False: b"false", True: b"true"}
_JSON_TYPES = {layer_type: orjson.dumps(layer_type) for layer_type in LAYER_TYPES}

#: The templates of the rows made lately, by their index and their layer's and field's identities (a layer's rows at
#: every input size share one layer and one field object). An entry holds its layer and field, so while it is here
#: no other object can have their ids. At most :data:`MAX_TEMPLATES` (about 2 MB), then emptied.
_TEMPLATES: dict[tuple[int, int, int], tuple[Layer, Field | None, bytes | None]] = {}
MAX_TEMPLATES = 4096


def _template(index: int, layer: Layer, field: Field | None) -> bytes | None:
    """:data:`_ROW` with the row's index, type, name (its ``%`` doubled) and field written, remembered; ``None`` with a
    field number past 2**53 − 1."""
    text: bytes | None = b"null"
    if field is not None:
        h, w = field
        numbers = (h.size, w.size, h.stride, w.stride, h.padding, w.padding)
        whole = (_JSON_BOOL[h.whole], _JSON_BOOL[w.whole])
        text = None if max(numbers) > MAX_EXACT else _FIELD % (*numbers, *whole)
    name = orjson.dumps(layer.name).replace(b"%", b"%%")
    template = None if text is None else _ROW % (index, _JSON_TYPES[layer.type], name, text)
    if len(_TEMPLATES) >= MAX_TEMPLATES:
        _TEMPLATES.clear()
    _TEMPLATES[index, id(layer), id(field)] = (layer, field, template)
    return template


def _formatted(row: LayerReport) -> bytes | None:
    """The row's JSON through :func:`_template`; ``None`` for a row without an input size or with a number past
    2**53 − 1 (which :func:`app.encoding.dumps` refuses, naming it). Every number here is at least 0."""
    output, params, macs, unused = row.output, row.params, row.macs, row.unused
    if output is None or params is None or macs is None or unused is None:
        return None
    found = _TEMPLATES.get((row.index, id(row.layer), id(row.field)))
    template = _template(row.index, row.layer, row.field) if found is None else found[2]
    if template is None or max(output.channels, output.height, output.width, params, macs) > MAX_EXACT:
        return None
    return template % (output.channels, output.height, output.width, params, macs, unused[0], unused[1])


_JSON = attrgetter("json")


def report_json(report: StackReport) -> bytes:
    """``dumps(report_dict(report))``, each row's JSON kept with its row (``LayerReport.json``): a chain gives a row
    again while nothing about its layer changed, and it is not serialised again. A number past 2**53 − 1 is
    refused as :func:`app.encoding.dumps` refuses it, naming the layer."""
    rows = report.layers
    try:
        for row in compress(rows, map(not_, map(_JSON, rows))):  # the rows without their JSON yet
            row.json = _formatted(row) or compact(dumps(_row_dict(row)))
        totals = dumps(
            {
                "total_params": report.total_params,
                "total_macs": report.total_macs,
                "warnings": warning_dicts(report.warnings),
            }
        )
    except ValueError:
        return dumps(report_dict(report))
    return b'{"layers":[' + b",".join(map(_JSON, rows)) + b"]," + totals[1:]


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
