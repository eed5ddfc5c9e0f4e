"""Texture and layout figures of translations, on uint8 (N, 3, H, W) image batches (`vidgan eval`, the
shipped models' tests, pipelines/clip_targets.py): fine detail added, a grid over flat regions, the scene's
layout kept, stripes (oriented texture) in a region."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import torch

from vidgan.eval.uncertainty import bootstrap_se
from vidgan.ops.smoothing import grey

HIGH_PASS_SIGMA = 2.0  # detail finer than this Gaussian: stripes, fur, leaves
HIGH_PASS_CROP = 128  # centre crop, away from the borders (padding effects, letterboxing)
SCENE_SIGMA = 8.0  # blur so heavy only the layout survives: where the light and dark masses are
GRID_FLAT = 3.0  # grey levels of local detail (RMS) under which a region counts as flat (sky, sand, walls)
STRIPE_WAVELENGTHS = (6.0, 10.0)  # px at 256 px: a zebra's stripes, near and far


def _grey(images: torch.Tensor) -> list[np.ndarray]:
    """uint8 (N, 3, H, W) -> N float32 (H, W) luma images in [0, 1] (the smoother's grey)."""
    return [grey(im.permute(1, 2, 0).contiguous().numpy()).astype(np.float32) / 255 for im in images]


def _detail(luma: np.ndarray) -> np.ndarray:
    """The fine detail of a grey image: itself minus its Gaussian blur."""
    return luma - cv2.GaussianBlur(luma, (0, 0), HIGH_PASS_SIGMA)


def high_pass_ratio(source: torch.Tensor, translated: torch.Tensor, crop: int = HIGH_PASS_CROP) -> float:
    """Mean energy of the fine detail (grey image minus its Gaussian blur) on the centre crop of the
    translated images over that of the sources; uint8 (N, 3, H, W) each."""

    def energy(images: torch.Tensor) -> float:
        total = 0.0
        for luma in _grey(images):
            h, w = luma.shape
            y, x = (h - crop) // 2, (w - crop) // 2
            detail = _detail(luma)[y : y + crop, x : x + crop]
            total += float((detail**2).mean())
        return total / len(images)

    return energy(translated) / energy(source)


def _grid_share(detail: np.ndarray, mask: np.ndarray) -> float:
    """The share of the masked detail's spectral energy at the periods of the generator's two stride-2
    upsamplings (2 and 4 px, along either axis and both), 3x3 bins round each."""
    power = np.abs(np.fft.fft2(detail * mask)) ** 2
    h, w = power.shape
    hits = np.zeros_like(power, dtype=bool)
    for fy in (0, h // 4, h // 2, 3 * h // 4):
        for fx in (0, w // 4, w // 2, 3 * w // 4):
            if fy or fx:
                hits[np.ix_([(fy + d) % h for d in (-1, 0, 1)], [(fx + d) % w for d in (-1, 0, 1)])] = True
    return float(power[hits].sum() / max(power.sum(), 1e-12))


def _local(luma: np.ndarray) -> np.ndarray:
    """The RMS of a grey image's fine detail in a Gaussian window of 4 px, in grey levels (0-255)."""
    return 255 * np.sqrt(cv2.GaussianBlur(_detail(luma) ** 2, (0, 0), 4.0))


def local_detail(images: torch.Tensor) -> list[np.ndarray]:
    """Per image, float32 (H, W): `_local` of its grey; uint8 (N, 3, H, W)."""
    return [_local(luma) for luma in _grey(images)]


def flat_regions(images: torch.Tensor) -> list[np.ndarray]:
    """Per image, (H, W) bool: where its local detail is under GRID_FLAT grey levels: sky, sand, still water,
    walls; uint8 (N, 3, H, W)."""
    return [detail < GRID_FLAT for detail in local_detail(images)]


def grid_shares(source: torch.Tensor, translated: torch.Tensor) -> list[tuple[float, float]]:
    """Per image with a flat region (`flat_regions` of the source, at least 5% of it): (the translation's share
    of fine detail at the transposed convolutions' periods there, the source's); uint8 (N, 3, H, W) each. Which
    images count depends on the sources alone, so two models' lists pair up."""
    shares = []
    for a, b in zip(_grey(source), _grey(translated), strict=True):
        flat = (_local(a) < GRID_FLAT).astype(np.float32)  # flat_regions' test, on the grey already made
        if flat.mean() >= 0.05:  # else no flat region to look at
            shares.append((_grid_share(_detail(b), flat), _grid_share(_detail(a), flat)))
    return shares


def _share_ratio(translated: np.ndarray, source: np.ndarray) -> float:
    return float(np.mean(translated) / max(np.mean(source), 1e-12))


def grid_ratio(source: torch.Tensor, translated: torch.Tensor) -> float:
    """Checkerboard artefacts (Odena et al. 2016): in the flat regions of the sources, the mean share of the
    translations' fine detail at the transposed convolutions' periods (2 and 4 px) over the sources' mean share;
    uint8 (N, 3, H, W) each. Near 1 where the generator adds no grid, well above it where it lays one over sky,
    sand or grass. Any fine texture at those periods counts: streaks drawn over a sky, and stripes drawn as
    fine as 4 px over a coat that was smooth (docs/quality.md, "What the grid figure sees")."""
    shares = grid_shares(source, translated)
    return _share_ratio(*zip(*shares, strict=True)) if shares else float("nan")


def grid_figures(source: torch.Tensor, translated: torch.Tensor) -> dict:
    """The grid ratio, its bootstrap standard error (a few images carry most of it), and each image's two
    shares (for comparing two models on the same images: pipelines/bakeoff_table.py)."""
    shares = grid_shares(source, translated)
    if not shares:
        return {"grid_ratio": float("nan"), "grid_ratio_se": float("nan"), "image_grid_shares": []}
    columns = list(zip(*shares, strict=True))
    return {"grid_ratio": _share_ratio(*columns), "grid_ratio_se": bootstrap_se(_share_ratio, *columns),
            "image_grid_shares": [list(pair) for pair in shares]}  # fmt: skip


def scene_correlation(source: torch.Tensor, translated: torch.Tensor) -> list[float]:
    """Per image, the Pearson correlation of the heavily blurred grey source and translation."""
    blur = functools.partial(cv2.GaussianBlur, ksize=(0, 0), sigmaX=SCENE_SIGMA)
    return [float(np.corrcoef(blur(a).ravel(), blur(b).ravel())[0, 1])
            for a, b in zip(_grey(source), _grey(translated), strict=True)]  # fmt: skip


def stripe_energy_maps(images: torch.Tensor, wavelengths: tuple[float, ...] = STRIPE_WAVELENGTHS) -> list[np.ndarray]:
    """Oriented texture, per pixel: per wavelength, the local energy (a Gaussian window of one wavelength) of
    the grey image's Gabor responses at four orientations, strongest minus weakest, summed over the wavelengths
    (px). Stripes answer at one orientation and not across it; fur, grass and noise alike at all four, so they
    count little, and a blurred stripe less than a sharp one. uint8 (N, 3, H, W) -> N float32 (H, W)."""
    kernels = []
    for wavelength in wavelengths:
        size = int(3 * wavelength) | 1
        bank = [cv2.getGaborKernel((size, size), wavelength / 2, np.pi * k / 4, wavelength, 1.0, 0, ktype=cv2.CV_32F)
                for k in range(4)]  # fmt: skip
        kernels.append((wavelength, [k - k.mean() for k in bank]))
    maps = []
    for luma in _grey(images):
        energy = np.zeros_like(luma)
        for wavelength, bank in kernels:
            local = np.stack([cv2.GaussianBlur(cv2.filter2D(luma, -1, k) ** 2, (0, 0), wavelength) for k in bank])
            energy += local.max(axis=0) - local.min(axis=0)
        maps.append(energy)
    return maps


def image_stripe_energies(images: torch.Tensor, regions: list[np.ndarray],
                          wavelengths: tuple[float, ...] = STRIPE_WAVELENGTHS) -> list[float]:  # fmt: skip
    """`stripe_energy_maps`' mean over each image's region (an empty region counts 0)."""
    return [float(energy[region].mean()) if region.any() else 0.0
            for energy, region in zip(stripe_energy_maps(images, wavelengths), regions, strict=True)]  # fmt: skip


def region_stripes(source: torch.Tensor, translated: torch.Tensor, regions: list[np.ndarray],
                   changed: list[np.ndarray], min_share: float) -> dict:  # fmt: skip
    """Stripes in regions found in the inputs alone (so the same for every model judged on the same images), over
    the images where the region covers at least `min_share`: the translations' stripe energy there over the
    inputs' (summed over the images, with its bootstrap standard error), the region's mean share of the image, and the
    mean share of it the model changed (`changed`: its mask, or for an unmasked model the blurred colour
    distance). Each image's [translated, input] energy (`image_stripes`, None for an image not counted) is kept
    so that two models can be compared image by image (vidgan/eval/paired.py). Only `images`, 0, where no
    image counts. uint8 (N, 3, H, W) images; (H, W) bool regions."""
    counted = [i for i, r in enumerate(regions) if r.mean() >= min_share]
    if not counted:
        return {"images": 0}
    inside = [regions[i] for i in counted]
    # the translation's region on the input's surroundings: the Gabor filters reach some 25 px, so what the
    # model draws next to the region (an animal beside the grass) would otherwise count inside it
    pasted = torch.where(torch.from_numpy(np.stack(inside))[:, None], translated[counted], source[counted])
    energies = np.stack([image_stripe_energies(images, inside) for images in (pasted, source[counted])], 1)
    per_image: list[list[float] | None] = [None] * len(source)
    for i, pair in zip(counted, energies.tolist(), strict=True):
        per_image[i] = pair
    return {"images": len(counted), "share": float(np.mean([r.mean() for r in inside])),
            "ratio": _share_ratio(*energies.T), "ratio_se": bootstrap_se(_share_ratio, *energies.T),
            "changed": float(np.mean([changed[i][regions[i]].mean() for i in counted])),
            "image_stripes": per_image}  # fmt: skip


def stripe_energy(images: torch.Tensor, regions: list[np.ndarray]) -> float:
    """`image_stripe_energies` averaged over the images."""
    return float(np.mean(image_stripe_energies(images, regions)))
