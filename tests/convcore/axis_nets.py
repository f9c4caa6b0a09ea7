"""Small torch models whose spatial axes move: channels-last blocks, channel shuffle, tokens, windows."""

import torch
import torch.nn.functional as F
from torch import nn


class ChannelsLast(nn.Module):
    """Asymmetric pad, a conv, a ConvNeXt-style channels-last block, a spatial mean and a classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.dw = nn.Conv2d(8, 8, 7, padding=3, groups=8)
        self.norm = nn.LayerNorm(8)
        self.pw = nn.Linear(8, 16)
        self.fc = nn.Linear(16, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(F.pad(x, (1, 2, 0, 1)))
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.pw(self.norm(y)).permute(0, 3, 1, 2)
        return self.fc(y.mean((2, 3)))


class Shuffle(nn.Module):
    """ShuffleNet's channel shuffle between two convolutions: positions stay where they are."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, groups=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        b, c, h, w = x.shape
        x = x.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)
        return self.conv2(x)


class Tokens(nn.Module):
    """Patch embedding (k = s = 4), tokens, one attention: each token sees its patch, then the whole image."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, 16, 4, stride=4)
        self.qkv = nn.Linear(16, 48)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.embed(x).flatten(2).transpose(1, 2)
        q, k, v = self.qkv(t).chunk(3, dim=-1)
        a = (q @ k.transpose(-2, -1)).softmax(-1)
        return self.head((a @ v)[:, 0])


class Windows(nn.Module):
    """Swin-style window partition of 2×2 positions, attention inside each window, and back."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, 8, 2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).permute(0, 2, 3, 1)
        b, h, w, c = x.shape
        win = x.view(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, 4, c)
        a = (win @ win.transpose(-2, -1)).softmax(-1) @ win
        y = a.view(b, h // 2, w // 2, 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)
        return y.permute(0, 3, 1, 2)
