"""Colour helpers shared by the judge and eval (vidgan/eval) and the trainer (vidgan/train)."""

from __future__ import annotations

import torch

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as OpenCV's RGB2GRAY


def luma(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) -> the luma, repeated in three channels (weights sum to 1: signed or not, as x is)."""
    weights = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True).expand_as(x).contiguous()


def black_and_white(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> the same images in black and white: their luma, rounded, in all three channels
    (greyed training images; eval's greyed inputs)."""
    return luma(images.float()).round().to(torch.uint8)
