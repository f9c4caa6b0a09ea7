"""torch.fx summaries of small hand-built modules, one per class of bug the torchvision sweep found, against torch's
own counts (the parameters the forward pass reads, FlopCounterMode's FLOPs ÷ 2)."""

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from convcore.importers.fx.summary import summarize_module
from convcore.networks import spatial


class _Reads(TorchFunctionMode):
    """The parameters passed to torch functions during a forward pass (each once)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[int, int] = {}

    def __torch_function__(
        self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        if getattr(func, "__name__", "") != "__get__":
            self.seen.update((id(p), p.numel()) for p in tree_leaves((args, kwargs)) if isinstance(p, nn.Parameter))
        return func(*args, **kwargs)


def torch_counts(module: nn.Module, shape: tuple[int, int, int]) -> tuple[int, int]:
    reads = _Reads()
    with FlopCounterMode(display=False) as counter, reads, torch.no_grad():
        module(torch.zeros(1, *shape))
    return sum(reads.seen.values()), counter.get_total_flops() // 2


class BiasMlp(nn.Module):
    """Swin v2's pattern: a small MLP run on a constant table (not on the image), its output added to the map."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.mlp = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 4, bias=False))
        self.register_buffer("table", torch.randn(5, 2))
        self.scale = nn.Parameter(torch.ones(4, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.mlp(self.table).mean(0).view(4, 1, 1)
        return self.conv(x) * torch.sigmoid(self.scale) + bias


class Shared(nn.Module):
    """One convolution called twice: its weights are read twice but are one set of parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.relu(self.conv(x)))


def test_parameters_read_by_constant_only_modules_count_once() -> None:
    for module, shape in ((BiasMlp(), (3, 8, 8)), (Shared(), (4, 6, 6))):
        params, macs = torch_counts(module, shape)
        report = summarize_module(module, shape)
        assert report.total_params == params, type(module).__name__
        assert report.total_macs == macs, type(module).__name__
        assert all(n.field is not None for n in report.nodes)
    # the MLP's 5·2·8 + 5·8·4 MACs on the table are counted where its output meets the map, with a note
    add = summarize_module(BiasMlp(), (3, 8, 8)).nodes[-1]
    assert add.node.op == "add" and add.node.macs == 5 * 2 * 8 + 5 * 8 * 4
    assert "240 multiply-adds of layers run on constants (mlp_0, mlp_2)" in add.note
    shared = summarize_module(Shared(), (4, 6, 6))
    convs = [n.node for n in shared.nodes if n.node.op == "conv2d"]
    assert [c.params for c in convs] == [4 * 4 * 9 + 4, 0]


class AliasedAttention(nn.Module):
    """A convolution registered under two names and called through the second; a leaf module with a submodule
    (attention's output projection)."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, 8, 2, stride=2)
        self.stem = self.embed
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.stem(x).flatten(2).transpose(1, 2)
        return self.attn(tokens, tokens, tokens)[0]


def test_parameters_of_aliased_modules_and_of_submodules_of_a_leaf_are_counted_where_called() -> None:
    module = AliasedAttention().eval()
    params, macs = torch_counts(module, (3, 8, 8))
    report = summarize_module(module, (3, 8, 8))
    assert (report.total_params, report.total_macs) == (params, macs)
    nodes = {n.node.target: n.node for n in report.nodes}
    # the alias is named by the module's first path, as torch.fx names it
    assert nodes["embed"].params == 8 * 3 * 2 * 2 + 8
    # in_proj (3·8·8 + 3·8) and the output projection, a submodule (8·8 + 8)
    assert nodes["attn"].params == 3 * 8 * 8 + 3 * 8 + 8 * 8 + 8


@torch.fx.wrap
def window_mean(x: torch.Tensor) -> torch.Tensor:
    """Each position of a channels-last map gets the mean of its fixed 8×8 window (the map padded to 8's)."""
    _, h, w, c = x.shape
    ph, pw = -h % 8, -w % 8
    padded = F.pad(x, (0, 0, 0, pw, 0, ph))
    windows = padded.view(1, (h + ph) // 8, 8, (w + pw) // 8, 8, c)
    mean = windows.mean(dim=(2, 4), keepdim=True).expand_as(windows)
    return mean.reshape(1, h + ph, w + pw, c)[:, :h, :w]


class FixedWindows(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.embed(x).permute(0, 2, 3, 1)
        return y + window_mean(y)


def test_fixed_windows_measured_across_a_window_edge_are_not_a_stride() -> None:
    """On a 14×14 map the middle probes (7 and 8) sit on either side of the first window's edge: the start
    moves by 8, yet the map keeps its size — fixed windows of extent 8, not a stride of 8."""
    report = summarize_module(FixedWindows(), (3, 14, 14)).by_name()
    measured = report["window_mean"]
    assert measured.node.measured
    assert measured.node.windows is not None
    assert [(w.kernel, w.stride) for w in measured.node.windows[:2] if w is not None] == [(8, 1), (8, 1)]
    assert "do not slide evenly" in measured.note
    assert report["add"].field is not None
    assert report["add"].field[0].stride == 1


def test_labels_stay_bounded_through_reshapes_that_lose_track() -> None:
    """A reshape that splits a map of 6 into 4s puts every piece in every dimension: each piece once."""
    labels, shape = spatial.image((1, 3, 6, 6)), (1, 3, 6, 6)
    for _ in range(6):
        labels = spatial.reshape(labels, shape, (1, 4, 27))
        labels = spatial.reshape(labels, (1, 4, 27), shape)
    assert all(len(dim) <= 2 for dim in labels)
    assert labels[2] == ((0, 6, 1), (1, 6, 1))


def test_pooling_a_one_position_map_is_global_only_when_its_field_covers_the_input() -> None:
    """Inception v3 at 96 px ends on a 1×1 map (r = 1055): its average pool sees the whole image. A 1×1 map whose
    one window reads 3 of 12 pixels does not, pooled or not."""

    def head(kernel: int, stride: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(1, 2, kernel, stride), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3))

    covering = summarize_module(head(12, 12), (1, 12, 12))
    assert [n.kind for n in covering.nodes[-3:]] == ["global", "global", "global"]
    assert covering.nodes[-1].field is not None and covering.nodes[-1].field[0].size == 12
    partial = summarize_module(head(3, 12), (1, 12, 12))
    assert partial.nodes[1].node.output[-2:] == (1, 1)
    assert [n.kind for n in partial.nodes[-3:]] == ["local", "local", "local"]
    assert partial.nodes[-1].field is not None and partial.nodes[-1].field[0].size == 3
