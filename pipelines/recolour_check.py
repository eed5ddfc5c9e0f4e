"""How each judge scores a recoloured scene (docs/quality.md, "A judge that colour cannot win").

Each test photo recoloured towards the other domain's colours: in CIE Lab, the a and b channels (colour) of
every image shifted and scaled to the other test folder's mean and spread (Reinhard et al. 2001), the L
channel (lightness) kept. Nothing but colour changes (zebras keep their stripes, horses get none), so an
honest horse-vs-zebra judge should call each image what it called the original. Prints the share each
judge calls the other domain, before and after.

    python pipelines/recolour_check.py [DATA]     (default ../shared/data/horse2zebra)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import torch

from vidgan.eval.judge import image_files, load_images, load_judge


def lab(images: torch.Tensor) -> np.ndarray:
    """uint8 (N, 3, H, W) -> float32 (N, H, W, 3) CIE Lab."""
    return np.stack([cv2.cvtColor(im.permute(1, 2, 0).numpy().astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
                     for im in images])  # fmt: skip


def recolour(images: torch.Tensor, towards: torch.Tensor) -> torch.Tensor:
    """Each image's a, b channels moved to the mean and spread of `towards`'s; lightness kept."""
    source, target = lab(images), lab(towards)
    mean, std = target[..., 1:].mean(axis=(0, 1, 2)), target[..., 1:].std(axis=(0, 1, 2))
    out = source.copy()
    for i, image in enumerate(source):
        ab = image[..., 1:]
        out[i, ..., 1:] = (ab - ab.mean(axis=(0, 1))) / (ab.std(axis=(0, 1)) + 1e-6) * std + mean
    rgb = [np.clip(cv2.cvtColor(im, cv2.COLOR_Lab2RGB) * 255 + 0.5, 0, 255).astype(np.uint8) for im in out]
    return torch.from_numpy(np.stack(rgb)).permute(0, 3, 1, 2).contiguous()


def main(data: Path) -> None:
    horses = load_images(image_files(data / "testA"), 256)
    zebras = load_images(image_files(data / "testB"), 256)
    print("| judge | testA called zebra | testA recoloured like testB | testB called horse "
          "| testB recoloured like testA |")  # fmt: skip
    print("|---|---|---|---|---|")
    for name in ("horse-vs-zebra", "horse-vs-zebra-grey"):
        judge = load_judge(name)
        a, a2b = judge.share_b(horses), judge.share_b(recolour(horses, zebras))
        b, b2a = 1 - judge.share_b(zebras), 1 - judge.share_b(recolour(zebras, horses))
        print(f"| {name} | {a:.3f} | {a2b:.3f} | {b:.3f} | {b2a:.3f} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/horse2zebra"))
