"""``POST /models/summary``: an uploaded ONNX file's per-node table; ``GET /models/builtin/{name}``: a zoo
network's table through the same graph analysis.

The ONNX file is decoded and shape-inferred by ``convcore.onnx_summary`` — nothing in it runs. Its size and
node count are bounded by :class:`ModelLimits` (environment prefix ``CONVVIZ_MODEL_``).
"""

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import pricing
from app.admission import admitted
from app.encoding import dumps
from app.schemas.common import MAX_SIZE
from app.settings import Settings, get_settings
from convcore import zoo
from convcore.cost import Cost, onnx_bytes, stack_bytes
from convcore.graph import report_to_dict
from convcore.onnx_summary import summarize_onnx

router = APIRouter(tags=["models"])


class ModelLimits(BaseSettings):
    """Bounds on an uploaded model: file size (413 above it) and node count (422 above it)."""

    model_config = SettingsConfigDict(env_prefix="CONVVIZ_MODEL_")

    max_bytes: int = 5 * 1024 * 1024
    max_nodes: int = 20000


@lru_cache
def get_model_limits() -> ModelLimits:
    return ModelLimits()


Limits = Annotated[ModelLimits, Depends(get_model_limits)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "the file is larger than the limit"},
    422: {"description": "not a usable ONNX model; the detail says what is wrong"},
}


def parse_input_shape(text: str | None) -> tuple[int, int, int] | None:
    """``"3x224x224"`` → ``(3, 224, 224)``; ``None`` keeps the file's own input size."""
    if text is None or not text.strip():
        return None
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"input must be CxHxW, e.g. 3x224x224, got {text!r}")
    c, h, w = (int(p) for p in parts)
    if not (1 <= c <= 4096 and 1 <= h <= MAX_SIZE and 1 <= w <= MAX_SIZE):
        raise ValueError(f"input {text!r}: channels must be 1..4096 and height/width 1..{MAX_SIZE}")
    return (c, h, w)


@router.post("/models/summary", responses={200: {"content": {"application/json": {}}}, **ERRORS})
def model_summary(
    file: Annotated[UploadFile, File(description="an .onnx model (weights optional: export_params=False works)")],
    limits: Limits,
    settings: SettingsDep,
    input: Annotated[
        str | None, Query(max_length=32, description="CxHxW to fix a symbolic input size, e.g. 3x224x224")
    ] = None,
) -> Response:
    """Per node: op, module path, output shape, params, MACs, receptive field (r, S, P per axis), and at each
    merge whether the branches are aligned; plus totals and the network's main path."""
    data = file.file.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise HTTPException(
            status_code=413,
            detail=f"the file is larger than {limits.max_bytes} bytes: export with export_params=False "
            f"(the summary needs no weights) or a smaller model",
        )
    input_shape = parse_input_shape(input)
    price = Cost(onnx_bytes(len(data)), limits.max_nodes)
    pricing.check(price, settings, "this model", "export it with export_params=False or send a smaller model")
    with admitted(settings, price.bytes):
        report = summarize_onnx(data, max_bytes=limits.max_bytes, max_nodes=limits.max_nodes, input_shape=input_shape)
    body = dumps({"source": file.filename or "model.onnx", **report_to_dict(report)})
    return Response(body, media_type="application/json")


@lru_cache(maxsize=32)
def builtin_json(name: str, size: int) -> bytes:
    """A zoo network's node table: the engine run ``/architectures/{name}`` shows layer by layer (cached)."""
    report = zoo.analyze_architecture(name, size).graph
    return dumps({"source": zoo.get_architecture(name).title, **report_to_dict(report)})


@router.get("/models/builtin/{name}", responses={404: {"description": "unknown architecture"}, 422: ERRORS[422]})
def builtin_summary(
    settings: SettingsDep,
    name: Annotated[str, Path(max_length=64)],
    size: Annotated[int, Query(ge=8, le=MAX_SIZE, description="input height and width")] = 224,
) -> Response:
    """The same table as ``/models/summary`` for a built-in network (no upload needed)."""
    if name not in zoo.NAMES:
        raise HTTPException(
            status_code=404, detail=f"unknown architecture {name!r}; choose one of: {', '.join(zoo.NAMES)}"
        )
    layers = len(zoo.get_architecture(name).layers)
    pricing.check(Cost(stack_bytes(layers), layers), settings, f"the table of {name}", "choose a smaller network")
    return Response(builtin_json(name, size), media_type="application/json")
