"""``/ops/dropout``: seeded dropout of a vector of units (:mod:`convcore.operations.dropout`)."""

from fastapi import APIRouter, Response

from app.dependencies import SettingsDep
from app.encoding import respond
from app.json_body import JSONBodyRoute
from app.schemas.common import ERROR_RESPONSES
from app.schemas.ops import DropoutRequest, DropoutResponse
from app.tensors import as_array
from convcore.operations import dropout as dropout_ops

router = APIRouter(prefix="/ops", tags=["ops"], route_class=JSONBodyRoute, responses=ERROR_RESPONSES)


@router.post("/dropout", response_model=DropoutResponse)
def dropout(body: DropoutRequest, settings: SettingsDep) -> Response:
    """Seeded dropout, standard or inverted, training or inference; the mask and the scale are returned."""
    x = as_array(body.x, "x", settings, ndim=1)
    result = dropout_ops.dropout(x, p=body.p, training=body.training, inverted=body.inverted, seed=body.seed)
    expected = dropout_ops.expected_activation(x, p=body.p, inverted=body.inverted, training=body.training)
    return respond(
        {
            "output": result.output,
            "mask": result.mask,
            "scale": result.scale,
            "expected": expected,
            "p": body.p,
            "training": body.training,
            "inverted": body.inverted,
            "seed": body.seed,
        }
    )
