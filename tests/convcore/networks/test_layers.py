"""convcore.networks.layers: parsing the shared layer dict, and propagation against torch modules on zero tensors."""

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from convcore.networks.layers import Layer, Shape, parse_layer, parse_layers, propagate, static_windows

CONV = {"type": "conv2d", "out_channels": 8, "kernel_size": 3}


def test_defaults_follow_torch() -> None:
    layer = parse_layer(CONV)
    assert (layer.stride, layer.padding, layer.dilation, layer.groups, layer.bias) == (
        (1, 1),
        ((0, 0), (0, 0)),
        (1, 1),
        1,
        True,
    )
    pool = parse_layer({"type": "max_pool2d", "kernel_size": [2, 3]})
    assert pool.stride == (2, 3)  # pooling's stride defaults to the kernel


def test_same_padding_is_resolved_per_side() -> None:
    layer = parse_layer({**CONV, "kernel_size": [4, 3], "padding": "same", "dilation": [1, 2]})
    assert layer.padding == ((1, 2), (2, 2))
    assert layer.padding_spec == "same"


@pytest.mark.parametrize(
    "raw",
    [
        CONV,
        {**CONV, "stride": [2, 1], "padding": [1, 0], "dilation": 2, "groups": 2, "bias": False, "name": "c"},
        {**CONV, "padding": "same", "padding_mode": "reflect"},
        {"type": "conv_transpose2d", "out_channels": 4, "kernel_size": 4, "stride": 2, "output_padding": 1},
        {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
        {"type": "avg_pool2d", "kernel_size": 2, "count_include_pad": False},
        {"type": "batch_norm2d", "eps": 1e-3, "momentum": 0.01},
        {"type": "dropout", "p": 0.1},
        {"type": "relu"},
        {"type": "global_avg_pool2d"},
        {"type": "linear", "out_features": 10, "bias": False},
    ],
)
def test_to_dict_round_trips(raw: dict[str, Any]) -> None:
    layer = parse_layer(raw)
    assert parse_layer(layer.to_dict()) == layer
    # to_dict writes every int hyper-parameter as its [h, w] pair
    pairs = {"kernel_size", "stride", "padding", "dilation", "output_padding"}
    expected = {k: [v, v] if k in pairs and isinstance(v, int) else v for k, v in raw.items()}
    assert {k: v for k, v in layer.to_dict().items() if k in raw} == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "conv3d"}, "layer 0: type must be one of conv2d, conv_transpose2d"),
        ([1, 2], "layer 0: expected an object with a type"),
        ({**CONV, "kernal_size": 3}, r"unknown field\(s\) kernal_size; allowed: bias, dilation"),
        ({"type": "conv2d", "out_channels": 8}, "kernel_size is required"),
        ({"type": "conv2d", "kernel_size": 3}, "out_channels is required"),
        ({**CONV, "out_channels": 0}, "out_channels must be between 1 and 100,000, got 0"),
        ({**CONV, "out_channels": True}, "out_channels must be an integer, got True"),
        ({**CONV, "kernel_size": 0}, "kernel_size must be between 1 and 4,096, got 0"),
        ({**CONV, "stride": [1, 0]}, "stride must be between 1 and 4,096, got 0"),
        ({**CONV, "padding": -1}, "padding must be between 0 and 4,096, got -1"),
        ({**CONV, "padding": "full"}, 'padding must be a number, a pair, "same" or "valid", got \'full\''),
        ({**CONV, "stride": 2, "padding": "same"}, 'padding "same" needs stride 1'),
        ({"type": "max_pool2d", "kernel_size": 2, "padding": "same"}, 'padding "same" is only allowed for conv2d'),
        ({**CONV, "groups": 0}, "groups must be between 1 and 100,000, got 0"),
        ({**CONV, "bias": "yes"}, "bias must be true or false"),
        ({**CONV, "padding_mode": "mirror"}, "padding_mode must be one of zeros, reflect, replicate, circular"),
        ({"type": "dropout", "p": 1.5}, "p is the probability of dropping and must be between 0 and 1"),
        ({"type": "batch_norm2d", "eps": 0}, "eps must be positive"),
        ({"type": "linear"}, "out_features is required"),
        ({**CONV, "kernel_size": [3, 3, 3]}, r"kernel_size must be an integer or a pair \[height, width\]"),
        ({**CONV, "name": 3}, "name must be a string"),
    ],
)
def test_bad_layers_name_the_layer_and_the_field(raw: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_layer(raw)


def test_the_first_bad_layer_is_named_by_index() -> None:
    with pytest.raises(ValueError, match=r"layer 2 \(conv2d\): out_channels is required"):
        parse_layers([CONV, {"type": "relu"}, {"type": "conv2d", "kernel_size": 1}])


def _module(layer: Layer, channels: int, features: int) -> torch.nn.Module:
    """The torch module a parsed layer describes (the oracle for shapes and parameters)."""
    if layer.type == "conv2d":
        return torch.nn.Conv2d(
            channels,
            layer.out_channels or 1,
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding_spec,
            dilation=layer.dilation,
            groups=layer.groups,
            bias=layer.bias,
            padding_mode=layer.padding_mode,
        )
    if layer.type == "conv_transpose2d":
        return torch.nn.ConvTranspose2d(
            channels,
            layer.out_channels or 1,
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding_spec,
            output_padding=layer.output_padding,
            dilation=layer.dilation,
            groups=layer.groups,
            bias=layer.bias,
        )
    if layer.type == "max_pool2d":
        return torch.nn.MaxPool2d(
            layer.kernel_size, layer.stride, layer.padding_spec, layer.dilation, ceil_mode=layer.ceil_mode
        )
    if layer.type == "avg_pool2d":
        return torch.nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding_spec, ceil_mode=layer.ceil_mode)
    if layer.type == "batch_norm2d":
        return torch.nn.BatchNorm2d(channels, affine=layer.affine)
    if layer.type == "global_avg_pool2d":
        return torch.nn.AdaptiveAvgPool2d(1)
    if layer.type == "linear":
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(features, layer.out_features, bias=layer.bias))
    return torch.nn.ReLU() if layer.type == "relu" else torch.nn.Dropout(layer.p)


_pair = st.integers(1, 4) | st.tuples(st.integers(1, 4), st.integers(1, 4)).map(list)
_layers = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("conv2d"), "out_channels": st.sampled_from([2, 4]), "kernel_size": _pair},
        optional={
            "stride": _pair,
            "padding": st.integers(0, 2) | st.just("valid"),
            "dilation": st.integers(1, 2),
            "groups": st.sampled_from([1, 2]),
            "bias": st.booleans(),
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("conv2d"), "out_channels": st.just(2), "kernel_size": _pair, "padding": st.just("same")},
        optional={"dilation": _pair},
    ),
    st.fixed_dictionaries(
        {"type": st.just("conv_transpose2d"), "out_channels": st.just(2), "kernel_size": _pair},
        optional={"stride": st.integers(1, 3), "padding": st.integers(0, 2), "output_padding": st.integers(0, 1)},
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["max_pool2d", "avg_pool2d"]), "kernel_size": _pair},
        optional={"stride": _pair, "padding": st.integers(0, 1), "ceil_mode": st.booleans()},
    ),
    st.fixed_dictionaries({"type": st.sampled_from(["relu", "batch_norm2d", "dropout", "global_avg_pool2d"])}),
)


@settings(max_examples=400)
@given(raw=st.lists(_layers, min_size=1, max_size=4), h=st.integers(1, 24), w=st.integers(1, 24))
def test_propagate_matches_torch(raw: list[dict[str, Any]], h: int, w: int) -> None:
    shape = Shape(2, h, w)
    try:
        layers = parse_layers(raw)
    except ValueError:
        return  # a rule between fields (tested above), not a shape question
    modules, c, features = [], 2, 2 * h * w
    x = torch.zeros(1, 2, h, w)
    expected: list[tuple[int, ...]] | None = []
    try:
        with torch.no_grad():
            for layer in layers:
                module = _module(layer, c, features).eval()
                x = module(x)
                modules.append(module)
                c, features = x.shape[1], x[0].numel()
                expected.append(tuple(x.shape[1:]))  # type: ignore[union-attr]
                if x.numel() == 0:
                    # torch lets a transposed convolution return an empty map; convcore refuses it
                    raise RuntimeError("empty output")
    except (RuntimeError, ValueError):
        expected = None
    try:
        results = propagate(layers, shape)
    except ValueError:
        assert expected is None
        return
    assert expected is not None, "torch refused a stack convcore accepted"
    assert [(r.output.channels, r.output.height, r.output.width) for r in results] == expected
    assert [r.params for r in results] == [sum(p.numel() for p in m.parameters()) for m in modules]


def test_linear_flattens_its_input() -> None:
    [conv, fc] = propagate(parse_layers([CONV, {"type": "linear", "out_features": 10}]), Shape(3, 5, 5))
    assert fc.input == Shape(8, 3, 3)
    assert (fc.output, fc.params, fc.macs) == (Shape(10, 1, 1), 72 * 10 + 10, 72 * 10)
    assert conv.macs == 3 * 3 * 8 * 3 * 9


def test_a_stack_that_shrinks_below_one_pixel_names_the_layer_and_axis() -> None:
    layers = parse_layers([{**CONV, "kernel_size": [1, 3]}, {**CONV, "kernel_size": [1, 3]}])
    with pytest.raises(ValueError, match=r"layer 1 \(conv2d\), width 2: the kernel spans 3"):
        propagate(layers, Shape(1, 4, 4))
    with pytest.raises(ValueError, match="input height must be an integer between 1 and 100,000, got 0"):
        propagate(layers, Shape(1, 0, 4))


def test_groups_must_divide_the_input_channels() -> None:
    with pytest.raises(ValueError, match=r"layer 0 \(conv2d\): in_channels \(3\) must be divisible by groups \(2\)"):
        propagate(parse_layers([{**CONV, "groups": 2}]), Shape(3, 8, 8))


def test_static_windows() -> None:
    assert static_windows(parse_layer({**CONV, "dilation": 2, "stride": 3, "padding": 1})) is not None
    window = static_windows(parse_layer({**CONV, "dilation": 2, "stride": 3, "padding": 1}))[0]  # type: ignore[index]
    assert (window.kernel, window.stride, window.padding) == (5, 3, 1)
    assert static_windows(parse_layer({"type": "global_avg_pool2d"})) is None
    assert static_windows(parse_layer({"type": "conv_transpose2d", "out_channels": 1, "kernel_size": 2})) is None
