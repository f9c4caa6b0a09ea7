"""Windowed attention as the exporters write it (Swin, Swin v2, MaxViT): the relative-position table each folds
into the gathered bias, read back; Swin v2's position-bias MLP over a coordinate table (a buffer); each summary
checked against torch's own parameter count and MACs of the module exported."""

import io
import warnings
from functools import cache

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from convcore.importers.onnx.summary import summarize_onnx
from convcore.networks.graph import GraphReport

SIZE = 16
EXPORTERS = ("torchscript", "dynamo")


class WindowAttention(nn.Module):
    """Swin's attention in small: a patch embedding, windows of ``window × window`` tokens, ``heads`` heads with
    a learned relative-position bias gathered from a ``(2·window − 1)² × heads`` table by a constant index.

    ``v2``: Swin v2's attention instead — cosine scores times a learned logit scale, and the table computed by
    a small MLP over a buffer of relative coordinates, through ``16·sigmoid``."""

    def __init__(self, dim: int = 8, heads: int = 2, window: int = 2, full_bias: bool = False, v2: bool = False):
        super().__init__()
        self.heads, self.window, self.v2 = heads, window, v2
        self.embed = nn.Conv2d(3, dim, 4, stride=4)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, 5)
        tokens, side = window * window, 2 * window - 1
        # a bias of the model's own over every pair of tokens, used as it is: not a gathered table
        self.full = nn.Parameter(torch.randn(1, heads, tokens, tokens)) if full_bias else None
        if v2:
            self.logit_scale = nn.Parameter(torch.zeros(heads, 1, 1))
            self.cpb_mlp = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, heads, bias=False))
            offsets = torch.arange(1 - window, window, dtype=torch.float32)
            grid = torch.stack(torch.meshgrid(offsets, offsets, indexing="ij"), -1)[None]
            self.register_buffer("coords_table", grid)
        else:
            self.table = nn.Parameter(torch.randn(side * side, heads))
        ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
        pos = torch.stack([ys.flatten(), xs.flatten()])
        rel = pos[:, :, None] - pos[:, None, :] + window - 1
        self.register_buffer("index", (rel[0] * side + rel[1]).flatten())

    def bias(self) -> torch.Tensor:
        if self.full is not None:
            return self.full
        tokens = self.window * self.window
        table = self.cpb_mlp(self.coords_table).view(-1, self.heads) if self.v2 else self.table
        bias = table[self.index].view(tokens, tokens, -1).permute(2, 0, 1).unsqueeze(0)
        return 16 * torch.sigmoid(bias) if self.v2 else bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).permute(0, 2, 3, 1)
        b, h, w, c = x.shape
        m = self.window
        x = x.reshape(b, h // m, m, w // m, m, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, m * m, c)
        q, k, v = self.qkv(x).reshape(x.shape[0], m * m, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        if self.v2:
            scores = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
            scores = scores * torch.clamp(self.logit_scale, max=4.6).exp()
        else:
            scores = (q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)
        x = (scores + self.bias()).softmax(-1) @ v
        x = self.proj(x.transpose(1, 2).reshape(-1, m * m, c))
        return self.head(x.mean((0, 1)))[None]


def export(model: nn.Module, exporter: str) -> bytes:
    """The module exported without weights, as the /model page tells a user to export it."""
    buffer = io.BytesIO()
    x = torch.zeros(1, 3, SIZE, SIZE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "torchscript":
            torch.onnx.export(model.eval(), (x,), buffer, dynamo=False, export_params=False, opset_version=17)
        else:
            torch.onnx.export(model.eval(), (x,), buffer, export_params=False, external_data=False, verbose=False)
    return buffer.getvalue()


def torch_counts(model: nn.Module) -> tuple[int, int]:
    """Parameters and FlopCounterMode's MACs (FLOPs ÷ 2) of one forward pass."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(torch.zeros(1, 3, SIZE, SIZE))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


@cache
def summary(exporter: str, full_bias: bool = False, v2: bool = False) -> tuple[GraphReport, tuple[int, int]]:
    """The summary of the exported module and torch's counts (each export once: dynamo's takes seconds)."""
    torch.manual_seed(0)
    model = WindowAttention(full_bias=full_bias, v2=v2)
    return summarize_onnx(export(model, exporter)), torch_counts(model)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_relative_position_table_counts_as_torch_does(exporter: str) -> None:
    report, (params, macs) = summary(exporter)
    assert (report.total_params, report.total_macs) == (params, macs)
    noted = [n.node for n in report.nodes if "relative-position bias" in n.node.note]
    assert len(noted) == 1
    assert noted[0].op == "Add"
    assert "2 × 2 window" in noted[0].note and "(2·2 − 1)² × 2 = 18" in noted[0].note


def test_torchscript_names_the_folded_constant_on_the_node() -> None:
    report, _ = summary("torchscript")
    note = next(n.node.note for n in report.nodes if "relative-position bias" in n.node.note)
    assert "TorchScript exporter folded it into 'onnx::" in note
    assert "(1 × 2 × 4 × 4)" in note


def test_a_bias_of_the_models_own_is_counted_as_it_is() -> None:
    """A parameter over every pair of tokens, added as it is, keeps its name: nothing was folded."""
    report, (params, macs) = summary("torchscript", full_bias=True)
    # torch counts the unused table too; the file holds only what the forward pass reads
    table = (2 * 2 - 1) ** 2 * 2
    assert (report.total_params, report.total_macs) == (params - table, macs)
    assert not any("relative-position" in n.node.note for n in report.nodes)


def test_torchscript_position_bias_mlp_counts_as_torch_does() -> None:
    """The MLP runs on constants only: its products' MACs count where its result meets the scores, its weights
    as parameters, the coordinate table it reads (a buffer, stored like a parameter) not."""
    report, (params, macs) = summary("torchscript", v2=True)
    assert (report.total_params, report.total_macs) == (params, macs)
    mlp = (2 * 2 - 1) ** 2 * (2 * 16 + 16 * 2)
    noted = [n.node for n in report.nodes if "matrix products on constants" in n.node.note]
    assert len(noted) == 1
    assert noted[0].op == "Add"
    assert f"{mlp} MACs of matrix products on constants" in noted[0].note
    assert "coords_table enters a matrix product as its data" in noted[0].note
