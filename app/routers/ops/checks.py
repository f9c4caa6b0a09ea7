"""What the convolution and pooling routes share: the work bounds checked before computing, the ``trace``
query flag and the :class:`app.schemas.ops.OpResponse` body."""

from typing import Annotated, Any

import numpy as np
from fastapi import Query
from fastapi.responses import Response

from app.encoding import respond
from app.settings import Settings

TraceQuery = Annotated[bool, Query(description="return the step-by-step trace (same as trace in the body)")]


def check_work(output_shape: tuple[int, ...], macs: int, settings: Settings) -> None:
    """Refuse before computing when the output or the arithmetic would be too large for a toy tensor."""
    elements = int(np.prod(output_shape))
    if elements > settings.max_tensor_elements:
        raise ValueError(
            f"the output would have shape {output_shape} = {elements:,} elements, more than the limit of "
            f"{settings.max_tensor_elements:,}: use a smaller input, a larger stride or less padding"
        )
    if macs > settings.max_op_macs:
        raise ValueError(
            f"this operation needs {macs:,} multiply-adds, more than the limit of {settings.max_op_macs:,}: "
            "use a smaller input or kernel"
        )


def check_naive(macs: int, settings: Settings) -> None:
    """Refuse a naive-loop convolution that would hold the interpreter for more than a few milliseconds."""
    if macs > settings.max_naive_macs:
        raise ValueError(
            f"method naive runs one Python multiply-add at a time and is limited to {settings.max_naive_macs:,} "
            f"of them; this convolution needs {macs:,}: use a smaller input or kernel, or method im2col"
        )


def check_trace(steps: int, taps_per_step: int, settings: Settings) -> None:
    """Refuse a trace whose steps together list too many taps (a large window over many positions)."""
    taps, limit = steps * taps_per_step, settings.max_trace_taps
    if taps > limit:
        raise ValueError(
            f"the trace would list {steps:,} steps × {taps_per_step:,} taps = {taps:,} values, "
            f"more than the limit of {limit:,}: use a smaller input or kernel, or trace=false"
        )


def op_response(
    output: np.ndarray, formula: tuple[str, str] | None, trace: Any = None, indices: np.ndarray | None = None
) -> Response:
    """The :class:`app.schemas.ops.OpResponse` body: ``output`` ``(C, H_out, W_out)``, its shape, the
    output-size formula per axis, max pooling's ``indices`` and the trace."""
    return respond(
        {
            "output": output,
            "shape": list(output.shape),
            "formula": None if formula is None else {"height": formula[0], "width": formula[1]},
            "indices": indices,
            "trace": trace,
        }
    )
