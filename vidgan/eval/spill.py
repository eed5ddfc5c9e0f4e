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

from vidgan.eval.texture import image_stripe_energies
from vidgan.eval.uncertainty import bootstrap_se

GREEN_A = -5.0  # CIE Lab a* below this: green (a horse's brown, black, white and grey sit at 0 or above)
YELLOW_B = 5.0  # and b* above this: yellow-green vegetation, not the blue-green of skies and water
REGION_SIGMA = 4.0  # px at 256: blur before the colour test, so grass's dark gaps count as grass
SHRINK = 13  # px: the region eroded by a square this wide, so the blur's green halo over an animal's edge is out
MIN_SHARE = 0.05  # an image counts where vegetation covers at least this much of it


def vegetation_regions(images: torch.Tensor) -> list[np.ndarray]:
    """Per image, (H, W) bool: green vegetation in the input; uint8 (N, 3, H, W)."""
    regions = []
    for image in images:
        rgb = image.permute(1, 2, 0).numpy().astype(np.float32) / 255
        lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), REGION_SIGMA), cv2.COLOR_RGB2Lab)  # a*, b* in about ±127
        green = ((lab[..., 1] < GREEN_A) & (lab[..., 2] > YELLOW_B)).astype(np.uint8)
        regions.append(cv2.erode(green, np.ones((SHRINK, SHRINK), np.uint8)).astype(bool))
    return regions


def gained(energies: np.ndarray) -> float:
    """Stripes gained on vegetation: the translations' stripe energy there over the inputs', both summed over the
    images (1: nothing drawn); `energies` is (N, 2): [translated, input] per image."""
    return float(energies[:, 0].sum() / energies[:, 1].sum())


def spill_figures(source: torch.Tensor, translated: torch.Tensor, changed: list[np.ndarray]) -> dict:
    """Over the images with vegetation on at least MIN_SHARE of them: the stripes gained there (`gained`, with its
    bootstrap standard error), and the mean share of it the model changed (`changed`: its mask, or for an
    unmasked model the blurred colour distance, vidgan.eval.quality.changed_regions). Each image's
    [translated, input] stripe energy (`image_stripes`, None for an image without enough vegetation) is kept
    so that two models can be compared image by image (vidgan/eval/paired.py). Only `images`, 0, where no image
    has enough."""
    regions = vegetation_regions(source)
    counted = [i for i, r in enumerate(regions) if r.mean() >= MIN_SHARE]
    if not counted:
        return {"images": 0}
    regions_counted = [regions[i] for i in counted]
    inside = torch.from_numpy(np.stack(regions_counted))[:, None]  # (n, 1, H, W)
    # the translation's vegetation on the input's own animal: the Gabor filters reach some 25 px, so stripes
    # drawn on the animal, as they should be, would otherwise count on the grass beside it
    pasted = torch.where(inside, translated[counted], source[counted])
    energies = np.stack([image_stripe_energies(images, regions_counted) for images in (pasted, source[counted])], 1)
    per_image: list[list[float] | None] = [None] * len(source)
    for i, pair in zip(counted, energies.tolist(), strict=True):
        per_image[i] = pair
    se = bootstrap_se(lambda t, s: gained(np.stack([t, s], 1)), *energies.T)
    return {"images": len(counted), "vegetation_share": float(np.mean([r.mean() for r in regions_counted])),
            "gained": gained(energies), "gained_se": se,
            "changed": float(np.mean([changed[i][regions[i]].mean() for i in counted])),
            "image_stripes": per_image}  # fmt: skip
