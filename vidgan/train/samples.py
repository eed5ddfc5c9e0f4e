"""A run's sample grids: the fixed sample images of each side through both generators, as one PNG, so a
person sees what training does (samples/step_NNNNNNN.png in the run folder)."""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torch import nn

from vidgan.atomic import atomic_path
from vidgan.engine.runtime import autocast
from vidgan.models.nets import to_uint8
from vidgan.ops.composite import composite
from vidgan.train.parts import to_float


@torch.no_grad()
def sample_grid(g_a: nn.Module, g_b: nn.Module, samples: tuple[torch.Tensor, torch.Tensor], device: torch.device,
                precision: str) -> Image.Image:  # fmt: skip
    """Rows: A, G_A(A), G_B(G_A(A)), B, G_B(B), G_A(G_B(B)) for the uint8 sample images; for masked
    generators each translation's mask follows it (white: the content, black: the input kept)."""
    a, b = (to_float(s.to(device), False) for s in samples)
    rows: list[torch.Tensor] = []

    def run(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        y, mask = composite(x, net(x))
        rows.append(y)
        if mask is not None:
            rows.append(mask.expand_as(y) * 2 - 1)
        return y

    g_a.eval(), g_b.eval()
    with autocast(device, precision):
        for x, there, back in ((a, g_a, g_b), (b, g_b, g_a)):
            rows.append(x)
            run(back, run(there, x))
    g_a.train(), g_b.train()
    return image_grid([r.float() for r in rows])


def image_grid(rows: list[torch.Tensor]) -> Image.Image:
    """Tensors (N, 3, H, W) in [-1, 1], one per row, as one PNG-ready image."""
    strips = [torch.cat(list(r), dim=2) for r in rows]  # (3, H, N*W) each
    grid = to_uint8(torch.cat(strips, dim=1))
    return Image.fromarray(grid.permute(1, 2, 0).cpu().numpy())


def save_grid(grid: Image.Image, run_dir: Path, step: int) -> Path:
    folder = run_dir / "samples"
    folder.mkdir(exist_ok=True)
    path = folder / f"step_{step:07d}.png"
    with atomic_path(path, overwrite=True) as tmp:
        grid.save(tmp)
    return path
