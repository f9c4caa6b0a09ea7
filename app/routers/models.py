"""``POST /models/summary``: an uploaded ONNX file's per-node table; ``GET /models/builtin/{name}``: a zoo
network's table through the same graph analysis.

The ONNX file is decoded and shape-inferred by ``convcore.importers.onnx.summary`` — nothing in it runs. Its size and
node count are bounded by ``Settings.model_max_bytes`` and ``model_max_nodes``.
"""

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from app import pricing
from app.admission import priced
from app.dependencies import ArchitectureName, SettingsDep
from app.encoding import dumps
from app.errors import TooLarge
from app.input_shape import parse_shape
from app.schemas.common import MAX_SIZE, NOT_FOUND_RESPONSE
from convcore.importers.onnx.summary import summarize_onnx
from convcore.networks import zoo
from convcore.networks.cost import Cost, onnx_bytes
from convcore.networks.graph import report_to_dict

router = APIRouter(tags=["models"])


ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "the file is larger than the limit"},
    422: {"description": "not a usable ONNX model; the detail says what is wrong"},
}


@router.post("/models/summary", responses={200: {"content": {"application/json": {}}}, **ERRORS})
def model_summary(
    file: Annotated[UploadFile, File(description="an .onnx model (weights optional: export_params=False works)")],
    settings: SettingsDep,
    input: Annotated[
        str | None, Query(max_length=32, description="CxHxW to fix a symbolic input size, e.g. 3x224x224")
    ] = None,
) -> Response:
    """Per node: op, module path, output shape, params, MACs, receptive field (r, S, P per axis), and at each
    merge whether the branches are aligned; plus totals and the network's main path."""
    limit = settings.model_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(
            f"the file is larger than {limit} bytes: export with export_params=False "
            f"(the summary needs no weights) or a smaller model",
            code="model_too_large",
            limit=limit,
        )
    shape = None if input is None or not input.strip() else parse_shape(input)
    input_shape = None if shape is None else (shape.channels, shape.height, shape.width)
    max_nodes = settings.model_max_nodes
    price = Cost(onnx_bytes(len(data)), max_nodes)
    with priced(price, settings, "this model", "export it with export_params=False or send a smaller model"):
        report = summarize_onnx(data, max_bytes=limit, max_nodes=max_nodes, input_shape=input_shape)
    body = dumps({"source": file.filename or "model.onnx", **report_to_dict(report)})
    return Response(body, media_type="application/json")


@lru_cache(maxsize=32)
def builtin_json(name: str, size: int) -> bytes:
    """A zoo network's node table: the engine run ``/architectures/{name}`` shows layer by layer (cached)."""
    report = zoo.analyze_architecture(name, size).graph
    return dumps({"source": zoo.get_architecture(name).title, **report_to_dict(report)})


@router.get("/models/builtin/{name}", responses={**NOT_FOUND_RESPONSE, 422: ERRORS[422]})
def builtin_summary(
    settings: SettingsDep,
    name: ArchitectureName,
    size: Annotated[int, Query(ge=8, le=MAX_SIZE, description="input height and width")] = 224,
) -> Response:
    """The same table as ``/models/summary`` for a built-in network (no upload needed)."""
    layers = len(zoo.get_architecture(name).layers)
    pricing.check_stack(layers, settings, f"the table of {name}", "choose a smaller network")
    return Response(builtin_json(name, size), media_type="application/json")
