"""``GET /architectures`` and ``GET /architectures/{name}``: the zoo and its per-layer tables."""

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.caching import CachedRoute
from app.dependencies import ArchitectureName
from app.encoding import dumps
from app.reports import report_dict
from app.schemas.architectures import ArchitectureResponse, ArchitectureSummary
from app.schemas.common import ERROR_RESPONSES, MAX_SIZE, NOT_FOUND_RESPONSE
from convcore.networks import zoo

router = APIRouter(tags=["architectures"], route_class=CachedRoute, responses=ERROR_RESPONSES)


@router.get("/architectures")
def list_architectures() -> list[ArchitectureSummary]:
    """Name, title, English and Russian descriptions and default input size of every built-in network."""
    return [ArchitectureSummary(**entry) for entry in zoo.list_architectures()]


@lru_cache(maxsize=64)
def architecture_json(name: str, size: int | None) -> bytes:
    """The serialized answer for one architecture and input size (the zoo is fixed, so it is cached).

    The main path's rows, the shortcuts' tables and the totals all come from one graph-engine run
    (:func:`convcore.networks.zoo.analyze_architecture`), the one ``/models/builtin/{name}`` serializes node by node.
    """
    arch = zoo.get_architecture(name)
    network = zoo.analyze_architecture(name, size)
    table = report_dict(network.main)
    table["total_params"], table["total_macs"] = network.total_params, network.total_macs
    shortcuts = [
        {**shortcut, "table": None if sub is None else report_dict(sub)}
        for shortcut, sub in zip(arch.shortcuts, network.shortcuts, strict=True)
    ]
    input_shape = network.main.input
    assert input_shape is not None
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
