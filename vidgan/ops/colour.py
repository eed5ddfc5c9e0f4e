"""Colour helpers shared by the judge and eval (vidgan/eval) and the trainer (vidgan/train)."""

from __future__ import annotations

import cv2
import numpy as np
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


def blurred_lab(image: torch.Tensor, sigma: float) -> np.ndarray:
    """uint8 (3, H, W) -> float32 (H, W, 3) CIE Lab of the image blurred by a Gaussian of `sigma` px (L in
    0-100, a* and b* in about ±127): colour where fine texture, stripes or grass blades, averages out (eval's
    colour distances and regions)."""
    rgb = image.permute(1, 2, 0).numpy().astype(np.float32) / 255
    return cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), sigma), cv2.COLOR_RGB2Lab)
