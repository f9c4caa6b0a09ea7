"""``POST /shapes``: a layer stack's per-layer shapes, parameters, MACs, receptive fields and warnings."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app import pricing
from app.encoding import dumps
from app.routers.caching import CachedRoute
from app.schemas.common import ERROR_RESPONSES, InputShape
from app.schemas.layers import to_layers
from app.schemas.shapes import StackRequest, StackResponse
from app.settings import Settings, get_settings
from convcore.cost import Cost, stack_bytes
from convcore.graph import field_dict
from convcore.layers import Shape
from convcore.stack import StackReport, analyze

router = APIRouter(tags=["shapes"], route_class=CachedRoute, responses=ERROR_RESPONSES)
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _shape(shape: Shape | None) -> dict[str, int] | None:
    if shape is None:
        return None
    return {"channels": shape.channels, "height": shape.height, "width": shape.width}


def report_dict(report: StackReport) -> dict[str, Any]:
    """A :class:`convcore.stack.StackReport` in the /shapes response form (see :class:`StackResponse`)."""
    rows = []
    for row in report.layers:
        rows.append(
            {
                "index": row.index,
                "type": row.layer.type,
                "name": row.layer.name,
                "output": _shape(row.output),
                "params": row.params,
                "macs": row.macs,
                "receptive_field": field_dict(row.field),
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


def to_shape(shape: InputShape | None) -> Shape | None:
    return None if shape is None else Shape(shape.channels, shape.height, shape.width)


@router.post("/shapes", response_model=StackResponse)
def stack_shapes(body: StackRequest, settings: SettingsDep) -> Response:
    """Per layer: output ``{channels, height, width}``, params, MACs, receptive field ``{size, stride, padding}``.

    Without ``input`` only the receptive fields are computed (as far as layers allow) and sizes are null.
    """
    layers = len(body.layers)
    pricing.check(Cost(stack_bytes(layers), layers), settings, "this stack", "send fewer layers")
    report = analyze(to_layers(body.layers), to_shape(body.input))
    return Response(dumps(report_dict(report)), media_type="application/json")
