"""Compositing a masked generator's output with its input: m * content + (1 - m) * input.

A masked generator (vidgan/models/nets.py, `mask=True`) gives four channels: the content (RGB) and the mask m in
[0, 1]. Where m is 0 the result is the input's own pixel, exactly; so the pipeline composites at the
output size, with the full-resolution input as the background, and only the masked region carries the
working size's resolution. The same formula serves the trainer (float tensors in [-1, 1]) and the
pipeline (uint8 frames, the mask as uint8 0-255, on the host or on a GPU).
"""

from __future__ import annotations

import numpy as np
import torch


def is_masked(output: torch.Tensor | np.ndarray, channels_dim: int) -> bool:
    """A generator's output that carries a mask: four channels instead of three."""
    return output.shape[channels_dim] == 4


def composite(x: torch.Tensor, output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """x: the input (N, 3, H, W) in [-1, 1]; output: the generator's (N, 3 or 4, H, W). Returns (the
    translation, the mask (N, 1, H, W) or None for an unmasked generator)."""
    if not is_masked(output, 1):
        return output, None
    content, mask = output[:, :3], output[:, 3:]
    return torch.lerp(x.to(content.dtype), content, mask), mask  # lerp: exactly x at 0, exactly content at 1


def composite_frame(background: np.ndarray | torch.Tensor, content: np.ndarray | torch.Tensor,
                    mask: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:  # fmt: skip
    """uint8 frames at the output size: background and content (H, W, 3), mask (H, W) 0-255 -> (H, W, 3).
    A mask of 0 gives the background's pixel and 255 the content's, bit for bit."""
    if isinstance(background, np.ndarray):
        m = mask.astype(np.float32)[..., None] * np.float32(1 / 255)
        bg = background.astype(np.float32)
        out = bg + m * (content.astype(np.float32) - bg)
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)
    m = mask.float().unsqueeze(-1) / 255
    bg = background.float()
    return (bg + m * (content.float() - bg)).add_(0.5).clamp_(0, 255).to(torch.uint8)
