"""Classic architectures as layer lists in the shared layer-dict format (see :mod:`convcore.networks.layers`).

Each architecture is its main path ``layers`` (a chain) plus residual ``shortcuts``. Every layer carries a
``"name"`` in torchvision's module naming (``"features.0"``, ``"layer2.0.conv1"``,
``"layer2.0.downsample.0"``). torchvision applies one ReLU module several times inside a ResNet block; the
repeated calls are named with suffixes ``_1``, ``_2`` (as torch.fx numbers them) so that names are unique.

A shortcut is ``{"from": i, "to": j, "from_name": ..., "to_name": ..., "layers": [...]}``: its layers
(empty for an identity shortcut, else a 1×1 projection convolution and batch norm) run on the output of
main-path layer ``i`` (``-1`` is the input) and the result is added to the output of layer ``j``; the next
main-path layer reads the sum. This is the form :func:`convcore.networks.graph.from_layers` builds a DAG from;
:func:`analyze_architecture` runs it through the graph engine once, for every endpoint that shows a network.

``linear`` layers read their input flattened (C·H·W features), as ``torch.flatten(x, 1)`` before a
classifier. torchvision's AlexNet and VGG contain ``AdaptiveAvgPool2d`` to 6×6 / 7×7 before the classifier;
at the default 224×224 input the feature map already has that size, the pooling is the identity, and the
layer lists omit it — so at other input sizes the first linear layer's parameter count differs from
torchvision's (it follows the actual feature-map size).
"""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from convcore.networks import stack
from convcore.networks.layers import Shape

__all__ = ["NAMES", "Architecture", "analyze_architecture", "get_architecture", "list_architectures"]

#: One layer in the shared dict form, which :func:`convcore.networks.layers.parse_layer` turns into a ``Layer``.
LayerDict = dict[str, Any]


@dataclass(frozen=True)
class Architecture:
    """One architecture: main-path layers, residual shortcuts, default input (C, size, size), source."""

    name: str
    title: str
    description: str
    description_ru: str
    layers: list[LayerDict]
    shortcuts: list[dict[str, Any]] = field(default_factory=list)
    input_size: int = 224
    input_channels: int = 3
    source: str = ""


def _conv(name: str, out: int, k: int, s: int = 1, p: int = 0, *, groups: int = 1, bias: bool = True) -> LayerDict:
    return {
        "type": "conv2d",
        "name": name,
        "out_channels": out,
        "kernel_size": k,
        "stride": s,
        "padding": p,
        "dilation": 1,
        "groups": groups,
        "bias": bias,
    }


def _bn(name: str) -> LayerDict:
    return {"type": "batch_norm2d", "name": name, "eps": 1e-5, "momentum": 0.1, "affine": True}


def _relu(name: str) -> LayerDict:
    return {"type": "relu", "name": name}


def _max_pool(name: str, k: int, s: int, p: int = 0) -> LayerDict:
    return {
        "type": "max_pool2d",
        "name": name,
        "kernel_size": k,
        "stride": s,
        "padding": p,
        "dilation": 1,
        "ceil_mode": False,
    }


def _dropout(name: str, p: float = 0.5) -> LayerDict:
    return {"type": "dropout", "name": name, "p": p}


def _linear(name: str, out: int) -> LayerDict:
    return {"type": "linear", "name": name, "out_features": out, "bias": True}


def _alexnet() -> Architecture:
    layers = [
        _conv("features.0", 64, 11, 4, 2),
        _relu("features.1"),
        _max_pool("features.2", 3, 2),
        _conv("features.3", 192, 5, 1, 2),
        _relu("features.4"),
        _max_pool("features.5", 3, 2),
        _conv("features.6", 384, 3, 1, 1),
        _relu("features.7"),
        _conv("features.8", 256, 3, 1, 1),
        _relu("features.9"),
        _conv("features.10", 256, 3, 1, 1),
        _relu("features.11"),
        _max_pool("features.12", 3, 2),
        _dropout("classifier.0"),
        _linear("classifier.1", 4096),
        _relu("classifier.2"),
        _dropout("classifier.3"),
        _linear("classifier.4", 4096),
        _relu("classifier.5"),
        _linear("classifier.6", 1000),
    ]
    return Architecture(
        name="alexnet",
        title="AlexNet",
        description="Five convolutions with large early kernels (11×11 stride 4), overlapping 3×3/2 max "
        "pooling and a three-layer classifier with dropout; torchvision's single-GPU variant (64-192-384-256-256).",
        description_ru="Пять свёрток с большими ранними ядрами (11×11, страйд 4), перекрывающийся max-пулинг "
        "3×3/2 и трёхслойный классификатор с дропаутом; вариант torchvision для одного GPU (64-192-384-256-256).",
        layers=layers,
        source="Krizhevsky, Sutskever & Hinton, NeurIPS 2012; Krizhevsky, arXiv:1404.5997 (one-GPU variant); "
        "torchvision.models.alexnet",
    )


_VGG16_CONFIG: list[int | str] = [
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    "M",
]


def _vgg16() -> Architecture:
    layers: list[LayerDict] = []
    for item in _VGG16_CONFIG:
        if item == "M":
            layers.append(_max_pool(f"features.{len(layers)}", 2, 2))
        else:
            layers.append(_conv(f"features.{len(layers)}", int(item), 3, 1, 1))
            layers.append(_relu(f"features.{len(layers)}"))
    layers += [
        _linear("classifier.0", 4096),
        _relu("classifier.1"),
        _dropout("classifier.2"),
        _linear("classifier.3", 4096),
        _relu("classifier.4"),
        _dropout("classifier.5"),
        _linear("classifier.6", 1000),
    ]
    return Architecture(
        name="vgg16",
        title="VGG-16",
        description="Thirteen 3×3 convolutions (padding 1) in five stages separated by 2×2 max pooling, then "
        "three fully connected layers: depth from small kernels (configuration D, no batch norm).",
        description_ru="Тринадцать свёрток 3×3 (паддинг 1) в пяти стадиях, разделённых max-пулингом 2×2, затем "
        "три полносвязных слоя: глубина за счёт маленьких ядер (конфигурация D, без батч-нормализации).",
        layers=layers,
        source="Simonyan & Zisserman, arXiv:1409.1556 (2014), configuration D; torchvision.models.vgg16",
    )


def _resnet(name: str, title: str, bottleneck: bool, counts: tuple[int, int, int, int]) -> Architecture:
    layers = [
        _conv("conv1", 64, 7, 2, 3, bias=False),
        _bn("bn1"),
        _relu("relu"),
        _max_pool("maxpool", 3, 2, 1),
    ]
    shortcuts: list[dict[str, Any]] = []
    in_channels = 64
    expansion = 4 if bottleneck else 1
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), counts, strict=True), start=1):
        for block in range(count):
            # torchvision (ResNet v1.5) strides the first block of stages 2-4, in its 3×3 convolution
            stride = 2 if stage > 1 and block == 0 else 1
            prefix = f"layer{stage}.{block}"
            block_input = len(layers) - 1
            if bottleneck:
                layers += [
                    _conv(f"{prefix}.conv1", width, 1, bias=False),
                    _bn(f"{prefix}.bn1"),
                    _relu(f"{prefix}.relu"),
                    _conv(f"{prefix}.conv2", width, 3, stride, 1, bias=False),
                    _bn(f"{prefix}.bn2"),
                    _relu(f"{prefix}.relu_1"),
                    _conv(f"{prefix}.conv3", width * expansion, 1, bias=False),
                    _bn(f"{prefix}.bn3"),
                ]
            else:
                layers += [
                    _conv(f"{prefix}.conv1", width, 3, stride, 1, bias=False),
                    _bn(f"{prefix}.bn1"),
                    _relu(f"{prefix}.relu"),
                    _conv(f"{prefix}.conv2", width, 3, 1, 1, bias=False),
                    _bn(f"{prefix}.bn2"),
                ]
            out_channels = width * expansion
            projection: list[LayerDict] = []
            if stride != 1 or in_channels != out_channels:
                projection = [
                    _conv(f"{prefix}.downsample.0", out_channels, 1, stride, bias=False),
                    _bn(f"{prefix}.downsample.1"),
                ]
            add_after = len(layers) - 1
            shortcuts.append(
                {
                    "from": block_input,
                    "to": add_after,
                    "from_name": layers[block_input]["name"],
                    "to_name": layers[add_after]["name"],
                    "layers": projection,
                }
            )
            layers.append(_relu(f"{prefix}.relu_{2 if bottleneck else 1}"))
            in_channels = out_channels
    layers += [{"type": "global_avg_pool2d", "name": "avgpool"}, _linear("fc", 1000)]
    kind = "bottleneck blocks (1×1 → 3×3 → 1×1, four times wider output)" if bottleneck else "basic blocks (two 3×3)"
    kind_ru = (
        "блоки с сужением (bottleneck: 1×1 → 3×3 → 1×1, выход в четыре раза шире)"
        if bottleneck
        else "базовые блоки (две свёртки 3×3)"
    )
    return Architecture(
        name=name,
        title=title,
        description=f"A 7×7/2 stem and max pooling, then four stages of residual {kind} with identity "
        "shortcuts, or 1×1 projections where the shape changes; global average pooling and one linear layer.",
        description_ru=f"Входной блок (stem): свёртка 7×7/2 и max-пулинг, затем четыре стадии остаточных блоков — "
        f"{kind_ru} — с тождественными обходными связями или проекциями 1×1 при смене формы; глобальный "
        "avg-пулинг и один линейный слой.",
        layers=layers,
        shortcuts=shortcuts,
        source="He, Zhang, Ren & Sun, CVPR 2016 (arXiv:1512.03385); torchvision.models." + name + " (v1.5)",
    )


# (output channels of the pointwise convolution, stride of the depthwise one), Howard et al. 2017, table 1
_MOBILENET_BLOCKS = (
    [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
)


def _mobilenet_v1() -> Architecture:
    layers = [
        _conv("model.0.0", 32, 3, 2, 1, bias=False),
        _bn("model.0.1"),
        _relu("model.0.2"),
    ]
    in_channels = 32
    for index, (out_channels, stride) in enumerate(_MOBILENET_BLOCKS, start=1):
        prefix = f"model.{index}"
        layers += [
            _conv(f"{prefix}.0", in_channels, 3, stride, 1, groups=in_channels, bias=False),
            _bn(f"{prefix}.1"),
            _relu(f"{prefix}.2"),
            _conv(f"{prefix}.3", out_channels, 1, bias=False),
            _bn(f"{prefix}.4"),
            _relu(f"{prefix}.5"),
        ]
        in_channels = out_channels
    layers += [{"type": "global_avg_pool2d", "name": f"model.{len(_MOBILENET_BLOCKS) + 1}"}, _linear("fc", 1000)]
    return Architecture(
        name="mobilenet_v1",
        title="MobileNet v1",
        description="A 3×3/2 convolution, then thirteen depthwise-separable blocks: a depthwise 3×3 "
        "(groups = channels) and a pointwise 1×1 convolution, each with batch norm and ReLU; about 8–9× fewer "
        "multiply-adds than full 3×3 convolutions.",
        description_ru="Свёртка 3×3/2, затем тринадцать разделимых блоков (depthwise separable): поканальная "
        "свёртка 3×3 (groups = числу каналов) и поточечная 1×1, каждая с батч-нормализацией и ReLU; примерно "
        "в 8–9 раз меньше умножений-сложений, чем у полных свёрток 3×3.",
        layers=layers,
        source="Howard et al., arXiv:1704.04861 (2017), table 1 (the last depthwise layer has stride 1: the "
        "table's 's2' there keeps the 7×7 size); names follow the common PyTorch port (nn.Sequential 'model' + 'fc')",
    )


_BUILDERS = {
    "alexnet": _alexnet,
    "vgg16": _vgg16,
    "resnet18": lambda: _resnet("resnet18", "ResNet-18", False, (2, 2, 2, 2)),
    "resnet50": lambda: _resnet("resnet50", "ResNet-50", True, (3, 4, 6, 3)),
    "mobilenet_v1": _mobilenet_v1,
}


def list_architectures() -> list[dict[str, Any]]:
    """Name, title, descriptions (en/ru) and default input size of every architecture, in a fixed order."""
    return [
        {
            "name": arch.name,
            "title": arch.title,
            "description": arch.description,
            "description_ru": arch.description_ru,
            "input_size": arch.input_size,
        }
        for arch in (build() for build in _BUILDERS.values())
    ]


def get_architecture(name: str) -> Architecture:
    """The architecture called ``name``, freshly built (callers may modify it).

    Raises ``ValueError`` listing the valid names when ``name`` is unknown.
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown architecture {name!r}; choose one of: {', '.join(_BUILDERS)}")
    return _BUILDERS[name]()


#: The architectures' names, in the order :func:`list_architectures` gives them.
NAMES = tuple(_BUILDERS)


@lru_cache(maxsize=64)
def analyze_architecture(name: str, size: int | None = None) -> stack.NetworkReport:
    """One graph-engine run over the architecture at ``size × size`` (its default input size when ``None``).

    Cached, since the zoo is fixed: treat the report as read-only. Raises ``ValueError`` for an unknown name
    or a size the layers cannot run on.
    """
    arch = get_architecture(name)
    side = size or arch.input_size
    return stack.analyze_network(arch.layers, Shape(arch.input_channels, side, side), arch.shortcuts)
