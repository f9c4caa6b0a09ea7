"""``POST /shapes``: a layer stack's per-layer shapes, parameters, MACs, receptive fields and warnings."""

from functools import lru_cache
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from app.schemas.common import InputShape
from app.schemas.layers import layer_dicts
from app.schemas.shapes import StackRequest, StackResponse
from convcore.layers import Layer, Shape, parse_layers
from convcore.stack import StackReport, analyze

router = APIRouter(tags=["shapes"])


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


@lru_cache(maxsize=256)
def stack_json(layers: tuple[Layer, ...], input_shape: Shape | None) -> bytes:
    """The serialized report, cached: layers and shapes are frozen dataclasses, and the zoo is asked often."""
    return orjson.dumps(report_dict(analyze(layers, input_shape)))


def to_shape(shape: InputShape | None) -> Shape | None:
    return None if shape is None else Shape(shape.channels, shape.height, shape.width)


@router.post("/shapes", response_model=StackResponse)
def stack_shapes(body: StackRequest) -> Response:
    """Per layer: output ``{channels, height, width}``, params, MACs, receptive field ``{size, stride, padding}``.

    Without ``input`` only the receptive fields are computed (as far as layers allow) and sizes are null.
    """
    layers = tuple(parse_layers(layer_dicts(body.layers)))
    return Response(stack_json(layers, to_shape(body.input)), media_type="application/json")
