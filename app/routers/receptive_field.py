"""``POST /receptive-field/region``: the input box one output position of a layer sees."""

from fastapi import APIRouter

from app.caching import CachedRoute
from app.encoding import check_exact
from app.schemas.common import ERROR_RESPONSES
from app.schemas.layers import to_layers
from app.schemas.shapes import Box, ReceptiveFieldOut, RegionRequest, RegionResponse
from convcore.networks.graph import field_dict
from convcore.networks.layers import Shape
from convcore.networks.stack import region

router = APIRouter(tags=["receptive field"], route_class=CachedRoute, responses=ERROR_RESPONSES)


def _box(rows: tuple[int, int], cols: tuple[int, int]) -> Box:
    return Box(top=rows[0], left=cols[0], bottom=rows[1], right=cols[1])


@router.post("/receptive-field/region")
def receptive_field_region(body: RegionRequest) -> RegionResponse:
    """Per axis the interval ``[u·S − P, u·S − P + r − 1]`` (Araujo et al.), unclipped and clipped to the image.

    Boxes are inclusive pixel indices (see :class:`Box`); ``layer_index`` defaults to the last layer.
    """
    shape = Shape(body.input.channels, body.input.height, body.input.width)
    found = region(to_layers(body.layers), shape, body.position, body.layer_index)
    answer = RegionResponse(
        unclipped=_box(*found.unclipped),
        clipped=None if found.clipped is None else _box(*found.clipped),
        center=found.center,
        receptive_field=ReceptiveFieldOut.model_validate(field_dict(found.field)),
    )
    index = len(body.layers) - 1 if body.layer_index is None else body.layer_index
    check_exact(answer.model_dump(), where=f"layer {index} ({body.layers[index].type})")
    return answer
