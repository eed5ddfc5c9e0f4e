"""Stripes left on the inputs' striped coats (`vidgan eval`'s "coat": zebra2horse's stripes, found without it).

Where a model changed the input (its own mask) cannot say whether the stripes are gone: a zebra2horse that
leaves a zebra alone changes nothing there, so that zebra's stripes never counted; and testA's horses, the
reference, were found by whichever horse2zebra was beside it, which moved the reference by a quarter
(docs/quality.md, "zebra2horse's stripes left hang on the reverse model"). A zebra's coat can be found in the
input alone: strong oriented texture at a zebra's wavelengths, black and white, and fine rather than one
edge (a silhouette or a horizon answers at a coarse wavelength as strongly as at a fine one; stripes do not).
The region is the input's, so it is the same for every model judged on the same images.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from vidgan.eval.texture import region_stripes, stripe_energy_maps
from vidgan.ops.colour import blurred_lab

COAT_SIGMA = 6.0  # px at 256: the oriented energy averaged over about one stripe pair, so a coat is one region
COAT_ENERGY = 4.0  # oriented energy (stripe_energy_maps' units) above which a coat is striped; testB's median 8
COAT_CHROMA = 20.0  # blurred CIE Lab chroma under this: black and white (savanna, skin and sky lie above)
EDGE_WAVELENGTH = 24.0  # px: a wavelength a zebra's stripes (6 to 10 px) do not answer at, and an edge does
FINE_OVER_COARSE = 0.08  # fine energy at least this share of the coarse: testA's median image 0.016, testB's 0.036
OPEN = 9  # px: specks narrower than this square dropped
MIN_SHARE = 0.05  # an image counts where its striped coat covers at least this much of it


def striped_regions(images: torch.Tensor) -> list[np.ndarray]:
    """Per image, (H, W) bool: a striped black-and-white coat in the input; uint8 (N, 3, H, W)."""
    blur = {"ksize": (0, 0), "sigmaX": COAT_SIGMA}
    fine = [cv2.GaussianBlur(e, **blur) for e in stripe_energy_maps(images)]
    coarse = [cv2.GaussianBlur(e, **blur) for e in stripe_energy_maps(images, (EDGE_WAVELENGTH,))]
    regions = []
    for image, f, c in zip(images, fine, coarse, strict=True):
        lab = blurred_lab(image, 4.0)  # as the vegetation's: a grass blade's or a stripe's colour averaged out
        grey = np.hypot(lab[..., 1], lab[..., 2]) < COAT_CHROMA
        striped = ((f > COAT_ENERGY) & (f > FINE_OVER_COARSE * c) & grey).astype(np.uint8)
        regions.append(cv2.morphologyEx(striped, cv2.MORPH_OPEN, np.ones((OPEN, OPEN), np.uint8)).astype(bool))
    return regions


def coat_figures(source: torch.Tensor, translated: torch.Tensor, changed: list[np.ndarray]) -> dict:
    """`region_stripes` on the inputs' striped coats, over the images with one on at least MIN_SHARE of them:
    the stripes kept there (`ratio`: 1, left as they were; 0, none), the region's share, the share of it the
    model changed and each image's energies (`image_stripes`)."""
    return region_stripes(source, translated, striped_regions(source), changed, MIN_SHARE)
