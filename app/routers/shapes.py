"""``POST /shapes``: a layer stack's per-layer shapes, parameters, MACs, receptive fields and warnings."""

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app import pricing
from app.dependencies import SettingsDep
from app.reports import report_json
from app.schemas.common import ERROR_RESPONSES, InputShape
from app.schemas.shapes import StackRequest, StackResponse
from app.shapes_memo import StackRoute
from convcore.networks.layers import Shape
from convcore.networks.stack import analyze

router = APIRouter(tags=["shapes"], route_class=StackRoute, responses=ERROR_RESPONSES)

#: Stacks up to this many layers are analysed on the event loop (about 1 ms for 150 layers seen for the first time,
#: 0.2 ms at a new size once remembered: benchmarks/api.py): the request already holds its CPU lane (app.json_body),
#: and a trip to the thread pool would cost it more.
#: Longer stacks go to the thread pool, so the loop never waits long for one.
INLINE_LAYERS = 200


def to_shape(shape: InputShape | None) -> Shape | None:
    return None if shape is None else Shape(shape.channels, shape.height, shape.width)


def _table(body: StackRequest) -> Response:
    report = analyze(body.convcore_chain(), to_shape(body.input))
    return Response(report_json(report), media_type="application/json")


@router.post("/shapes", response_model=StackResponse)
async def stack_shapes(body: StackRequest, settings: SettingsDep) -> Response:
    """Per layer: output ``{channels, height, width}``, params, MACs, receptive field ``{size, stride, padding}``.

    Without ``input`` only the receptive fields are computed (as far as layers allow) and sizes are null.
    """
    layers = len(body.layers)
    pricing.check_stack(layers, settings, "this stack", "send fewer layers")
    if layers <= INLINE_LAYERS:
        return _table(body)
    return await run_in_threadpool(_table, body)
