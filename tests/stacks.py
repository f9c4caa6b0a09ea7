"""Random layer stacks (Hypothesis strategies) in the shared dict form, for the tests of the chain's analysis
and of its JSON: convolutions (``same`` padding included), poolings with ``ceil_mode``, transposed convolutions,
layers that keep the shape, global pooling and a linear layer."""

from typing import Any

from hypothesis import strategies as st

SIDE = st.integers(1, 4)
PAIR = st.one_of(SIDE, st.tuples(SIDE, SIDE).map(list))


def _conv(k: Any, s: Any, p: Any, d: Any, same: bool) -> dict[str, Any]:
    padding = ("same" if s == 1 else "valid") if same else p
    return {"type": "conv2d", "out_channels": 2, "kernel_size": k, "stride": s, "padding": padding, "dilation": d}


def _pool(kind: str, k: int, s: int, ceil: bool) -> dict[str, Any]:
    return {"type": kind, "kernel_size": k, "stride": s, "padding": k // 2, "ceil_mode": ceil}


LAYER = st.one_of(
    st.builds(_conv, PAIR, st.sampled_from([1, 1, 2, 3, [1, 2]]), st.integers(0, 2), st.integers(1, 3), st.booleans()),
    st.builds(
        _pool, st.sampled_from(["max_pool2d", "avg_pool2d"]), st.integers(2, 3), st.integers(1, 3), st.booleans()
    ),
    st.builds(
        lambda k, s: {"type": "conv_transpose2d", "out_channels": 2, "kernel_size": k, "stride": s},
        st.integers(1, 3),
        st.integers(1, 2),
    ),
    st.sampled_from([{"type": "relu"}, {"type": "batch_norm2d"}, {"type": "dropout"}, {"type": "global_avg_pool2d"}]),
    st.just({"type": "linear", "out_features": 3}),
)
