"""``POST /solve``: the inverse of the output-size formula (which settings turn ``size`` into ``output_size``)."""

from fastapi import APIRouter

from app.caching import CachedRoute
from app.reports import solve_message
from app.schemas.common import ERROR_RESPONSES
from app.schemas.shapes import SettingOut, SolveRequest, SolveResponse
from convcore.arithmetic import formulas, solve

router = APIRouter(tags=["shapes"], route_class=CachedRoute, responses=ERROR_RESPONSES)


def _formula(op: str, size: int, s: solve.Setting) -> str:
    if op == "conv":
        return formulas.conv_formula(
            size, kernel_size=s.kernel_size, stride=s.stride, padding=s.padding, dilation=s.dilation
        )
    if op == "pool":
        return formulas.pool_formula(
            size, kernel_size=s.kernel_size, stride=s.stride, padding=s.padding, dilation=s.dilation
        )
    return formulas.conv_transpose_formula(
        size,
        kernel_size=s.kernel_size,
        stride=s.stride,
        padding=s.padding,
        output_padding=s.output_padding,
        dilation=s.dilation,
    )


@router.post("/solve")
def solve_settings(body: SolveRequest) -> SolveResponse:
    """Settings (padding solved first, in closed form) giving ``output_size``, or the nearest ones.

    Unset ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are searched (kernel ≤ 31, stride ≤ 8,
    dilation ≤ 8); set ones stay fixed. Every returned setting is checked with the forward formula.
    """
    solution = solve.solve(
        body.size,
        body.output_size,
        op=body.op,
        kernel_size=body.kernel_size,
        stride=body.stride,
        padding=body.padding,
        dilation=body.dilation,
    )
    return SolveResponse(
        exact=solution.exact,
        settings=[
            SettingOut(
                kernel_size=s.kernel_size,
                stride=s.stride,
                padding=s.padding,
                dilation=s.dilation,
                output_padding=s.output_padding,
                output_size=s.output_size,
                unused_rows=s.unused_rows,
                formula=_formula(body.op, body.size, s),
            )
            for s in solution.settings
        ],
        message=solve_message(body.op, body.size, body.output_size, solution),
    )
