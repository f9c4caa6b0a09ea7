"""``GET /output-size``: the single-layer calculator (conv, transposed conv, pooling) along one axis."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.caching import CachedRoute
from app.schemas.common import ERROR_RESPONSES
from app.schemas.shapes import OutputSizeQuery, OutputSizeResponse
from convcore.arithmetic import formulas, shapes

router = APIRouter(tags=["shapes"], route_class=CachedRoute, responses=ERROR_RESPONSES)


def output_size_answer(q: OutputSizeQuery) -> OutputSizeResponse:
    """The numbers come from :mod:`convcore.arithmetic.shapes` and the text from :mod:`convcore.arithmetic.formulas`."""
    if q.op == "pool" and q.transposed:
        raise ValueError("transposed applies to op=conv only: set transposed=false or op=conv")
    if q.output_padding and not q.transposed:
        raise ValueError("output_padding applies to transposed convolutions only: set transposed=true or remove it")
    if q.ceil_mode and q.op != "pool":
        raise ValueError("ceil_mode applies to op=pool only: set op=pool or remove ceil_mode")
    if q.padding_after is not None and (q.op != "conv" or q.transposed):
        raise ValueError("padding_after applies to convolutions only: remove it or set op=conv")
    k, p, d = q.kernel_size, q.padding, q.dilation
    span = shapes.effective_kernel_size(k, d)
    if q.op == "pool":
        s = k if q.stride is None else q.stride
        out = shapes.pool_output_size(q.size, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=q.ceil_mode)
        formula = formulas.pool_formula(q.size, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=q.ceil_mode)
        unused, unused_img = shapes.unread(
            q.size, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=q.ceil_mode
        )
    elif q.transposed:
        s = 1 if q.stride is None else q.stride
        kwargs = {"kernel_size": k, "stride": s, "padding": p, "output_padding": q.output_padding, "dilation": d}
        out = shapes.conv_transpose_output_size(q.size, **kwargs)
        formula = formulas.conv_transpose_formula(q.size, **kwargs)
        # Every input cell scatters a whole kernel, so a transposed convolution reads all of its input.
        unused = unused_img = 0
    else:
        s = 1 if q.stride is None else q.stride
        pad = p if q.padding_after is None else (p, q.padding_after)
        out = shapes.conv_output_size(q.size, kernel_size=k, stride=s, padding=pad, dilation=d)
        formula = formulas.conv_formula(q.size, kernel_size=k, stride=s, padding=pad, dilation=d)
        unused, unused_img = shapes.unread(q.size, kernel_size=k, stride=s, padding=pad, dilation=d)
    return OutputSizeResponse(
        output_size=out,
        formula=formula,
        unused_input=unused,
        unused_image=unused_img,
        effective_kernel_size=span,
        stride=s,
    )


@router.get("/output-size")
def output_size(q: Annotated[OutputSizeQuery, Query()]) -> OutputSizeResponse:
    """Output length ``o`` of one layer along one axis, the formula with the numbers in, and what is left unread."""
    return output_size_answer(q)
