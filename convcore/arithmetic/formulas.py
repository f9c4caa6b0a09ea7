"""The output-size formulas as text with the user's numbers plugged in, the same everywhere they are shown.

Each function computes the size with :mod:`convcore.arithmetic.shapes` and writes the formula that gives it, e.g.
``floor((224 + 2·3 − 1·(7−1) − 1)/2) + 1 = 112``.
"""

from convcore.arithmetic import shapes


def _padding_terms(padding: int | shapes.Pair) -> str:
    before, after = (padding, padding) if isinstance(padding, int) else padding
    return f"2·{before}" if before == after else f"{before} + {after}"


def conv_formula(
    size: int, *, kernel_size: int, stride: int = 1, padding: int | shapes.Pair = 0, dilation: int = 1
) -> str:
    """``floor((i + 2·p − d·(k−1) − 1)/s) + 1 = o``."""
    out = shapes.conv_output_size(size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    pad = _padding_terms(padding)
    return f"floor(({size} + {pad} − {dilation}·({kernel_size}−1) − 1)/{stride}) + 1 = {out}"


def conv_transpose_formula(
    size: int,
    *,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> str:
    """``(i − 1)·s − 2·p + d·(k−1) + output_padding + 1 = o``."""
    out = shapes.conv_transpose_output_size(
        size,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )
    return f"({size} − 1)·{stride} − 2·{padding} + {dilation}·({kernel_size}−1) + {output_padding} + 1 = {out}"


def pool_formula(
    size: int,
    *,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> str:
    """``floor(...)`` or ``ceil(...)`` of the pooling formula; a dropped last window is written out."""
    stride = kernel_size if stride is None else stride
    params = {"kernel_size": kernel_size, "stride": stride, "padding": padding, "dilation": dilation}
    out = shapes.pool_output_size(size, **params, ceil_mode=ceil_mode)
    raw = shapes.pool_window_count(size, **params, ceil_mode=ceil_mode)
    rounding = "ceil" if ceil_mode else "floor"
    text = f"{rounding}(({size} + 2·{padding} − {dilation}·({kernel_size}−1) − 1)/{stride}) + 1"
    if raw != out:
        return f"{text} = {raw} − 1 = {out}"
    return f"{text} = {out}"


def params_formula(
    layer: str, *, in_channels: int, out_channels: int, kernel_size: int = 1, groups: int = 1, bias: bool = True
) -> tuple[int, str]:
    """A layer's trainable parameters and the formula that counts them, e.g. ``(224, "8·3·3·3 + 8 = 224")``.

    ``conv2d``: ``C_out·(C_in/g)·k·k (+ C_out)``; ``linear``: ``in·out (+ out)``; ``batch_norm2d``: ``2·C``
    (γ and β; ``in_channels`` is ``C``); pooling has none.
    """
    bias_term = f" + {out_channels}" if bias else ""
    if layer == "conv2d":
        params = shapes.conv_params(in_channels, out_channels, (kernel_size, kernel_size), groups=groups, bias=bias)
        return params, f"{out_channels}·{in_channels // groups}·{kernel_size}·{kernel_size}{bias_term} = {params}"
    if layer == "linear":
        params = shapes.linear_params(in_channels, out_channels, bias=bias)
        return params, f"{in_channels}·{out_channels}{bias_term} = {params}"
    if layer == "batch_norm2d":
        params = shapes.batch_norm_params(in_channels)
        return params, f"2·{in_channels} = {params}"
    if layer in ("max_pool2d", "avg_pool2d"):
        return 0, "0"
    raise ValueError(f"layer must be conv2d, linear, batch_norm2d, max_pool2d or avg_pool2d, got {layer!r}")
