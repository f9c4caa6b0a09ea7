"""``GET /architectures`` and ``GET /architectures/{name}``: the zoo and its per-layer tables."""

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.caching import CachedRoute
from app.dependencies import ArchitectureName
from app.encoding import dumps
from app.reports import report_dict
from app.schemas.architectures import ArchitectureResponse, ArchitectureSummary
from app.schemas.common import ERROR_RESPONSES, MAX_SIZE, NOT_FOUND_RESPONSE
from convcore import zoo
from convcore.layers import Shape, parse_layers
from convcore.stack import analyze

router = APIRouter(tags=["architectures"], route_class=CachedRoute, responses=ERROR_RESPONSES)


@router.get("/architectures")
def list_architectures() -> list[ArchitectureSummary]:
    """Name, title, English and Russian descriptions and default input size of every built-in network."""
    return [ArchitectureSummary(**entry) for entry in zoo.list_architectures()]


def _shortcut_rows(arch: zoo.Architecture, outputs: list[Shape], input_shape: Shape) -> list[dict[str, Any]]:
    """Each shortcut with the table of its projection layers, run on the output of the layer it leaves."""
    rows = []
    for shortcut in arch.shortcuts:
        source = input_shape if shortcut["from"] < 0 else outputs[shortcut["from"]]
        table = report_dict(analyze(parse_layers(shortcut["layers"]), source)) if shortcut["layers"] else None
        rows.append({**shortcut, "table": table})
    return rows


@lru_cache(maxsize=64)
def architecture_json(name: str, size: int | None) -> bytes:
    """The serialized answer for one architecture and input size (the zoo is fixed, so it is cached)."""
    arch = zoo.get_architecture(name)
    input_shape = Shape(arch.input_channels, size or arch.input_size, size or arch.input_size)
    report = analyze(parse_layers(arch.layers), input_shape)
    table = report_dict(report)
    shortcuts = _shortcut_rows(arch, [row.output for row in report.layers if row.output is not None], input_shape)
    for shortcut in shortcuts:
        if shortcut["table"] is not None:
            table["total_params"] += shortcut["table"]["total_params"]
            table["total_macs"] += shortcut["table"]["total_macs"]
    return dumps(
        {
            "name": arch.name,
            "title": arch.title,
            "description": arch.description,
            "description_ru": arch.description_ru,
            "source": arch.source,
            "input": {"channels": input_shape.channels, "height": input_shape.height, "width": input_shape.width},
            "stack": arch.layers,
            "shortcuts": shortcuts,
            **table,
        }
    )


@router.get(
    "/architectures/{name}",
    response_model=ArchitectureResponse,
    responses=NOT_FOUND_RESPONSE,
)
def get_architecture(
    name: ArchitectureName,
    size: Annotated[int | None, Query(ge=1, le=MAX_SIZE, description="input height and width")] = None,
) -> Response:
    """The per-layer table of ``/shapes`` for a built-in network, plus its metadata and its layer list.

    ``stack`` is the main path in the shared layer format (POST it to ``/shapes`` as ``layers``); each
    shortcut adds its projection's table. Totals include the shortcuts, so they match torchvision.
    """
    return Response(architecture_json(name, size), media_type="application/json")
