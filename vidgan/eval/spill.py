"""What a model draws where no animal is, in two regions found in the inputs alone (`vidgan eval`'s "spill"
and "sky"): stripes on the grass and trees, and texture of any kind on the open sky.

The background shift is a median of medians, so a striped patch of grass beside a horse, a tenth of the
picture, moves it not at all; and a masked model's own mask cannot say where the animal is, since the spill
is that mask opening where it should not. Green can: no horse's or zebra's coat is green, and in
horse2zebra's testA the grass and trees beside the horses are (docs/quality.md, "Stripes on the grass").
Open sky is what is flat in the input (the grid figure's flat regions) and reaches the top edge through flat
pixels (a flat backdrop, or trees dark enough to be flat, count too: no animal either way): a coat, flat as it
may be, is cut off from it by the animal's outline and mane, which are not (only a close-up that crops a smooth
coat at the top edge lets one in: none in testA, by eye). Whatever is drawn there makes it no longer flat, so
the figure is the share of it that is not: a ratio of stripe energies, as on the grass, would divide by the
next to nothing a flat sky has (hundreds on one picture) and grow as the square of the stripes' contrast, where
the eye counts how much sky is striped. The grid figure sees stripes there only as fine as its 2 and 4 px
periods (docs/quality.md, "Stripes in the sky").
Each region is the input's alone, so it is the same for every model judged on the same images. Where a person
boxed the animals (vidgan/eval/animals.py), a third region is all the rest of the picture ("outside"): the
dunes, roads, mirrors and people that neither colour nor flatness finds.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from vidgan.eval.animals import outside_boxes
from vidgan.eval.texture import GRID_FLAT, flat_regions, local_detail, region_stripes
from vidgan.eval.uncertainty import bootstrap_se
from vidgan.ops.colour import blurred_lab

GREEN_A = -5.0  # CIE Lab a* below this: green (a horse's brown, black, white and grey sit at 0 or above)
YELLOW_B = 5.0  # and b* above this: yellow-green vegetation, not the blue-green of skies and water
REGION_SIGMA = 4.0  # px at 256: blur before the colour test, so grass's dark gaps count as grass
SHRINK = 13  # px: each region eroded by a square this wide, so the blur's halo over an animal's edge is out
MIN_SHARE = 0.05  # an image counts where the region covers at least this much of it
# grey levels of local detail: open sky (under GRID_FLAT in the input) this rough in the output has had
# something drawn on it; twice the flatness bar, so that rounding and a codec's noise stay under it
TEXTURED = 2 * GRID_FLAT


def _shrunk(region: np.ndarray) -> np.ndarray:
    return cv2.erode(region.astype(np.uint8), np.ones((SHRINK, SHRINK), np.uint8)).astype(bool)


def vegetation_regions(images: torch.Tensor) -> list[np.ndarray]:
    """Per image, (H, W) bool: green vegetation in the input; uint8 (N, 3, H, W)."""
    regions = []
    for image in images:
        lab = blurred_lab(image, REGION_SIGMA)
        regions.append(_shrunk((lab[..., 1] < GREEN_A) & (lab[..., 2] > YELLOW_B)))
    return regions


def sky_regions(images: torch.Tensor) -> list[np.ndarray]:
    """Per image, (H, W) bool: open sky in the input, its flat regions (vidgan/eval/texture.py) joined to the top
    edge through flat pixels (4-connected); uint8 (N, 3, H, W)."""
    regions = []
    for flat in flat_regions(images):
        _, labels = cv2.connectedComponents(flat.astype(np.uint8), connectivity=4)
        reaching = np.unique(labels[0][flat[0]])
        regions.append(_shrunk(np.isin(labels, reaching) & flat))
    return regions


def spill_figures(source: torch.Tensor, translated: torch.Tensor, changed: list[np.ndarray]) -> dict:
    """`region_stripes` on the inputs' vegetation, over the images with it on at least MIN_SHARE of them: the
    stripes gained there (`gained`, 1: nothing drawn; `gained_se`), the region's share (`vegetation_share`), the
    share of it the model changed and each image's energies (`image_stripes`)."""
    return _gained(region_stripes(source, translated, vegetation_regions(source), changed, MIN_SHARE), "vegetation")


def outside_figures(source: torch.Tensor, translated: torch.Tensor, changed: list[np.ndarray],
                    boxes: list[list[tuple[float, float, float, float]]]) -> dict:  # fmt: skip
    """`region_stripes` on what no animal box holds (each image's `boxes`, vidgan/eval/animals.py), over the
    images where that is at least MIN_SHARE of them: the stripes gained there (`gained`, 1: nothing drawn;
    `gained_se`), its share (`outside_share`), the share of it the model changed (`changed`: a masked model's
    mask open where no animal is) and each image's energies (`image_stripes`). uint8 (N, 3, S, S) images."""
    regions = [outside_boxes(b, source.shape[-1], SHRINK // 2) for b in boxes]  # as far off as the others shrink
    return _gained(region_stripes(source, translated, regions, changed, MIN_SHARE), "outside")


def _gained(found: dict, region: str) -> dict:
    """`region_stripes`' figures under the names the cards keep (since 2026-12-06): its ratio as stripes gained."""
    names = {"share": f"{region}_share", "ratio": "gained", "ratio_se": "gained_se"}
    return {names.get(key, key): value for key, value in found.items()}


def sky_figures(source: torch.Tensor, translated: torch.Tensor, changed: list[np.ndarray]) -> dict:
    """Over the images whose open sky covers at least MIN_SHARE of them: the mean share of it the translation
    made textured (`textured`: local detail of TEXTURED grey levels or more; 0 where it is left flat), with its
    bootstrap standard error, the sky's share of the images (`sky_share`), the share of it the model changed,
    and each image's textured share (`image_textured`, None for an image not counted: for pairing two models,
    vidgan/eval/paired.py). Only `images`, 0, where no image counts. uint8 (N, 3, H, W); (H, W) bool."""
    regions = sky_regions(source)
    counted = [i for i, r in enumerate(regions) if r.mean() >= MIN_SHARE]
    if not counted:
        return {"images": 0}
    textured = [float((detail[regions[i]] >= TEXTURED).mean())
                for detail, i in zip(local_detail(translated[counted]), counted, strict=True)]  # fmt: skip
    per_image: list[float | None] = [None] * len(source)
    for i, share in zip(counted, textured, strict=True):
        per_image[i] = share
    return {"images": len(counted), "sky_share": float(np.mean([regions[i].mean() for i in counted])),
            "textured": float(np.mean(textured)), "textured_se": bootstrap_se(np.mean, np.asarray(textured)),
            "changed": float(np.mean([changed[i][regions[i]].mean() for i in counted])),
            "image_textured": per_image}  # fmt: skip
