"""DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS 2020).

A discriminator trained on a thousand images memorises them, and the generator learns from a judge that no
longer generalises. DiffAugment applies the same kind of random, differentiable transformation to every
image a discriminator sees, real or generated, in the discriminators' step and in the generators' (the
gradient flows through it), so the discriminator cannot lean on what the augmentation varies and the
generator is never asked to reproduce the augmentation. The paper's policy "color,translation,cutout":

- color: brightness + U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5) (images in [-1, 1]);
  for us it also makes colour a weaker cue than texture, which is what a zebra is;
- translation: a shift of up to 1/8 of the side, zero-filled;
- cutout: a zeroed square of half the side at a random place.

Written here (30 lines) rather than taken from kornia: kornia's augmentations are not a dependency, and this
is the paper's exact policy, drawn from a seeded generator so a resumed run sees the same augmentations.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], generator: torch.Generator) -> torch.Tensor:
    """x: (N, C, H, W) in [-1, 1] -> the same shape, each image transformed independently."""
    for name in policy:
        x = {"color": _color, "translation": _translation, "cutout": _cutout}[name](x, generator)
    return x


def _rand(x: torch.Tensor, generator: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(x.shape[0], *shape, generator=generator, device=generator.device).to(x.device, x.dtype)


def _color(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    x = x + (_rand(x, g, 1, 1, 1) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_rand(x, g, 1, 1, 1) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_rand(x, g, 1, 1, 1) + 0.5) + mean


def _translation(x: torch.Tensor, g: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    n, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = (_rand(x, g, 1).squeeze(1) * (2 * sy + 1)).long().clamp_(max=2 * sy) - sy  # (N,) in [-sy, sy]
    dx = (_rand(x, g, 1).squeeze(1) * (2 * sx + 1)).long().clamp_(max=2 * sx) - sx
    padded = F.pad(x, (sx, sx, sy, sy))  # zeros around, so a shifted image is filled with 0 (mid-grey)
    rows = torch.arange(h, device=x.device)[None, :] + sy - dy[:, None]  # (N, H)
    cols = torch.arange(w, device=x.device)[None, :] + sx - dx[:, None]  # (N, W)
    index = torch.arange(n, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def _cutout(x: torch.Tensor, g: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = (_rand(x, g, 1).squeeze(1) * (h + (1 - ch % 2))).long()  # the square's centre, as the paper draws it
    cx = (_rand(x, g, 1).squeeze(1) * (w + (1 - cw % 2))).long()
    ys = torch.arange(h, device=x.device)[None, :] - (cy[:, None] - ch // 2)  # (N, H): inside when 0 <= y < ch
    xs = torch.arange(w, device=x.device)[None, :] - (cx[:, None] - cw // 2)
    inside = ((ys >= 0) & (ys < ch))[:, :, None] & ((xs >= 0) & (xs < cw))[:, None, :]  # (N, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)
