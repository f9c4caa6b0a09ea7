"""The zoo against reference torch models in torchvision's structure (tests/convcore/torch_zoo.py).

Shapes and parameter counts come from forward hooks on models built on torch's "meta" device (no weights
allocated); the residual wiring is checked with real float64 values on a small input.
"""

import math
from typing import Any

import pytest
import torch
from torch import nn

from convcore.networks.graph import analyze, from_layers
from convcore.networks.layers import Shape
from convcore.networks.zoo import Architecture, get_architecture, list_architectures
from tests.convcore import torch_zoo

NAMES = ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v1"]
# torchvision's published counts; MobileNet v1's is the count of the paper's table 1 with batch norm
KNOWN_PARAMS = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "mobilenet_v1": 4_231_976,
}
# AdaptiveAvgPool2d to 6×6 / 7×7: the identity at 224, omitted from the zoo (see convcore.networks.zoo)
OMITTED = {"alexnet": {"avgpool"}, "vgg16": {"avgpool"}}


def leaf_calls(model: nn.Module, x: torch.Tensor) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Input and output shape (batch axis dropped) of every leaf-module call, in call order.

    A module called k > 0 times before is named ``name_k``, the zoo's convention for reused ReLUs.
    """
    calls: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    seen: dict[str, int] = {}

    def hook_for(name: str) -> Any:
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            k = seen.get(name, 0)
            seen[name] = k + 1
            calls[name if k == 0 else f"{name}_{k}"] = (tuple(inputs[0].shape[1:]), tuple(output.shape[1:]))

        return hook

    handles = [
        module.register_forward_hook(hook_for(name))
        for name, module in model.named_modules()
        if not list(module.children())
    ]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return calls


@pytest.fixture(scope="module", params=NAMES)
def case(request: pytest.FixtureRequest) -> tuple[Architecture, nn.Module, dict[str, Any]]:
    with torch.device("meta"):
        model = torch_zoo.build(request.param)
        calls = leaf_calls(model, torch.empty(1, 3, 224, 224))
    return get_architecture(request.param), model, calls


def zoo_nodes(arch: Architecture) -> dict[str, Any]:
    nodes = from_layers(arch.layers, Shape(3, arch.input_size, arch.input_size), arch.shortcuts)
    return {node.name: node for node in nodes}


def same_shape(zoo_shape: tuple[int, ...], torch_shape: tuple[int, ...]) -> bool:
    """Equal shapes, except that after torch's flatten only the feature count can be compared.

    (The layer description keeps AlexNet's classifier dropout on the 256×6×6 map and writes linear outputs
    as (F, 1, 1).)
    """
    if len(torch_shape) == 1:
        return math.prod(zoo_shape) == torch_shape[0]
    return zoo_shape == torch_shape


def torch_module(model: nn.Module, name: str) -> nn.Module:
    base = name.rsplit("_", 1)[0] if name.rsplit("_", 1)[-1].isdigit() else name
    return model.get_submodule(base)


def test_reference_models_have_the_published_parameter_counts(case: tuple[Architecture, nn.Module, Any]) -> None:
    arch, model, _ = case
    assert sum(p.numel() for p in model.parameters()) == KNOWN_PARAMS[arch.name]


def test_zoo_parameter_count_equals_torch(case: tuple[Architecture, nn.Module, Any]) -> None:
    arch, model, _ = case
    report = analyze(list(zoo_nodes(arch).values()))
    assert report.total_params == sum(p.numel() for p in model.parameters())
    for node in report.nodes:
        if node.node.op not in {"input", "add"}:
            module = torch_module(model, node.node.name)
            assert node.node.params == sum(p.numel() for p in module.parameters()), node.node.name


def test_every_layer_output_shape_equals_torch(case: tuple[Architecture, nn.Module, Any]) -> None:
    arch, _, calls = case
    nodes = zoo_nodes(arch)
    omitted = OMITTED.get(arch.name, set())
    for name, (in_shape, out_shape) in calls.items():
        if name in omitted:
            assert in_shape == out_shape, "an omitted adaptive pooling must be the identity at 224"
            continue
        assert same_shape(nodes[name].output, out_shape), (name, nodes[name].output, out_shape)
    layer_names = {layer["name"] for layer in arch.layers} | {
        layer["name"] for shortcut in arch.shortcuts for layer in shortcut["layers"]
    }
    assert layer_names == set(calls) - omitted


def test_main_path_is_torch_call_order_without_projections(case: tuple[Architecture, nn.Module, Any]) -> None:
    arch, _, calls = case
    omitted = OMITTED.get(arch.name, set())
    expected = [name for name in calls if "downsample" not in name and name not in omitted]
    assert [layer["name"] for layer in arch.layers] == expected


def test_hyper_parameters_match_the_torch_modules(case: tuple[Architecture, nn.Module, Any]) -> None:
    arch, model, _ = case
    layers = list(arch.layers) + [layer for shortcut in arch.shortcuts for layer in shortcut["layers"]]
    for layer in layers:
        module = torch_module(model, layer["name"])
        kind = layer["type"]
        if kind == "conv2d":
            assert isinstance(module, nn.Conv2d)
            got = {
                "out_channels": module.out_channels,
                "kernel_size": module.kernel_size,
                "stride": module.stride,
                "padding": module.padding,
                "dilation": module.dilation,
                "groups": module.groups,
                "bias": module.bias is not None,
            }
            pair = ("kernel_size", "stride", "padding", "dilation")
            want = {key: (layer[key], layer[key]) if key in pair else layer[key] for key in got}
            assert got == want, layer["name"]
        elif kind == "max_pool2d":
            assert isinstance(module, nn.MaxPool2d)
            got = {key: getattr(module, key) for key in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
            assert got == {key: layer[key] for key in got}, layer["name"]
        elif kind == "batch_norm2d":
            assert isinstance(module, nn.BatchNorm2d)
            assert (module.eps, module.momentum, module.affine) == (layer["eps"], layer["momentum"], layer["affine"])
        elif kind == "linear":
            assert isinstance(module, nn.Linear)
            assert (module.out_features, module.bias is not None) == (layer["out_features"], layer["bias"])
        elif kind == "dropout":
            assert isinstance(module, nn.Dropout)
            assert module.p == layer["p"]
        elif kind == "relu":
            assert isinstance(module, nn.ReLU)
        else:
            assert kind == "global_avg_pool2d"
            assert isinstance(module, nn.AdaptiveAvgPool2d)
            assert module.output_size in (1, (1, 1))


def test_shortcut_indices_and_names_agree() -> None:
    for name in NAMES:
        arch = get_architecture(name)
        names = [layer["name"] for layer in arch.layers]
        for shortcut in arch.shortcuts:
            assert names[shortcut["to"]] == shortcut["to_name"]
            assert names[shortcut["from"]] == shortcut["from_name"]


@pytest.mark.parametrize(("name", "blocks", "projections"), [("resnet18", 8, 3), ("resnet50", 16, 4)])
def test_resnet_shortcuts_are_the_torch_block_wiring(name: str, blocks: int, projections: int) -> None:
    """With real float64 values: a shortcut reads its block's input and is added right after "to"."""
    torch.manual_seed(0)
    model = torch_zoo.build(name).double()
    outputs: dict[str, torch.Tensor] = {}
    block_inputs: dict[str, torch.Tensor] = {}
    seen: dict[str, int] = {}

    def leaf_hook(layer_name: str) -> Any:
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            k = seen.get(layer_name, 0)
            seen[layer_name] = k + 1
            # clone: in-place ReLUs later overwrite the tensors a hook sees
            outputs[layer_name if k == 0 else f"{layer_name}_{k}"] = output.detach().clone()

        return hook

    def block_hook(block_name: str) -> Any:
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
            block_inputs[block_name] = inputs[0].detach().clone()

        return hook

    for module_name, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(leaf_hook(module_name))
        if isinstance(module, torch_zoo.BasicBlock | torch_zoo.Bottleneck):
            module.register_forward_pre_hook(block_hook(module_name))
    with torch.no_grad():
        model(torch.randn(2, 3, 40, 32, dtype=torch.float64))

    arch = get_architecture(name)
    assert len(arch.shortcuts) == blocks
    assert sum(1 for shortcut in arch.shortcuts if shortcut["layers"]) == projections
    for shortcut in arch.shortcuts:
        block = shortcut["to_name"].rsplit(".", 1)[0]
        assert torch.equal(outputs[shortcut["from_name"]], block_inputs[block])
        branch = outputs[shortcut["layers"][-1]["name"]] if shortcut["layers"] else block_inputs[block]
        after_add = arch.layers[shortcut["to"] + 1]
        assert after_add["type"] == "relu"
        torch.testing.assert_close(
            outputs[after_add["name"]], torch.relu(outputs[shortcut["to_name"]] + branch), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize(
    ("name", "layer", "size"),
    [
        # Araujo, Norris & Sim (Distill 2019), table of receptive fields
        ("vgg16", "features.30", 212),
        ("alexnet", "features.12", 195),
        ("mobilenet_v1", "model.13.5", 315),
        # torchvision's v1.5 ResNets (stride in the 3×3 convolution) at the last block's output
        ("resnet18", "layer4.1.relu_1", 435),
        ("resnet50", "layer4.2.relu_2", 427),
    ],
)
def test_receptive_field_of_the_last_feature_map(name: str, layer: str, size: int) -> None:
    arch = get_architecture(name)
    report = analyze(from_layers(arch.layers, Shape(3, 224, 224), arch.shortcuts)).by_name()
    field = report[layer].field
    assert field is not None
    assert (field[0].size, field[0].stride) == (size, 32)
    assert field[0] == field[1]


def test_resnet_merges_are_aligned() -> None:
    for name in ("resnet18", "resnet50"):
        arch = get_architecture(name)
        merges = [
            n.merge for n in analyze(from_layers(arch.layers, Shape(3, 224, 224), arch.shortcuts)).nodes if n.merge
        ]
        assert len(merges) == len(arch.shortcuts)
        assert all(merge.aligned for merge in merges)


def test_list_architectures() -> None:
    listed = list_architectures()
    assert [item["name"] for item in listed] == NAMES
    for item in listed:
        assert item["input_size"] == 224
        assert item["title"] and item["description"] and item["description_ru"]
        arch = get_architecture(item["name"])
        assert (arch.title, arch.input_channels, arch.source != "") == (item["title"], 3, True)


def test_get_architecture_returns_a_fresh_copy() -> None:
    get_architecture("resnet18").layers[0]["out_channels"] = 1
    assert get_architecture("resnet18").layers[0]["out_channels"] == 64


def test_unknown_architecture_lists_the_valid_names() -> None:
    with pytest.raises(ValueError, match=r"unknown architecture 'resnet34'.*alexnet, vgg16, resnet18"):
        get_architecture("resnet34")
