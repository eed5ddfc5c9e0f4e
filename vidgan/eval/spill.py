"""Stripes drawn where no animal is: on the grass and trees of the inputs (`vidgan eval`'s "spill").

The background shift is a median of medians, so a striped patch of grass beside a horse, a tenth of the
picture, moves it not at all; and a masked model's own mask cannot say where the animal is, since the spill
is that mask opening where it should not. Green can: no horse's or zebra's coat is green, and in
horse2zebra's testA the grass and trees beside the horses are (docs/quality.md, "Stripes on the grass").
The region is the input's alone, so it is the same for every model judged on the same images.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from vidgan.eval.texture import region_stripes
from vidgan.ops.colour import blurred_lab

GREEN_A = -5.0  # CIE Lab a* below this: green (a horse's brown, black, white and grey sit at 0 or above)
YELLOW_B = 5.0  # and b* above this: yellow-green vegetation, not the blue-green of skies and water
REGION_SIGMA = 4.0  # px at 256: blur before the colour test, so grass's dark gaps count as grass
SHRINK = 13  # px: the region eroded by a square this wide, so the blur's green halo over an animal's edge is out
MIN_SHARE = 0.05  # an image counts where vegetation covers at least this much of it


def vegetation_regions(images: torch.Tensor) -> list[np.ndarray]:
    """Per image, (H, W) bool: green vegetation in the input; uint8 (N, 3, H, W)."""
    regions = []
    for image in images:
        lab = blurred_lab(image, REGION_SIGMA)
        green = ((lab[..., 1] < GREEN_A) & (lab[..., 2] > YELLOW_B)).astype(np.uint8)
        regions.append(cv2.erode(green, np.ones((SHRINK, SHRINK), np.uint8)).astype(bool))
    return regions


def spill_figures(source: torch.Tensor, translated: torch.Tensor, changed: list[np.ndarray]) -> dict:
    """`region_stripes` on the inputs' vegetation, over the images with it on at least MIN_SHARE of them: the
    stripes gained there (`gained`, 1: nothing drawn; `gained_se`), the region's share (`vegetation_share`), the
    share of it the model changed and each image's energies (`image_stripes`)."""
    found = region_stripes(source, translated, vegetation_regions(source), changed, MIN_SHARE)
    if not found["images"]:
        return found
    names = {"share": "vegetation_share", "ratio": "gained", "ratio_se": "gained_se"}  # as cards since 2026-12-06
    return {names.get(key, key): value for key, value in found.items()}
