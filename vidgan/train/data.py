"""Training data: two unpaired domains, decoded once into memory, sampled as a pure function of the step.

Each domain is a folder of images (any size; greyscale and alpha become RGB; a `trainA`/`trainB` inside is
used when present) or of video clips, from which `frames_per_clip` frames are taken evenly. Images are
resized once at load time (official `resize_and_crop`: to load_size x load_size, bicubic) and kept as
uint8, so a step only slices, flips and stacks: the GPU never waits for JPEG decoding.

Which images a step sees, and its crops and flips, depend only on (seed, step, rank): a resumed run sees
exactly what an uninterrupted one would have, with no data-loader state to save.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from vidgan.errors import VidganError
from vidgan.train.config import TrainConfig
from vidgan.video.formats import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS


@dataclass
class Domain:
    """One side's images as uint8 (3, H, W) tensors, ready to crop."""

    folder: Path
    images: list[torch.Tensor]
    skipped: int  # unreadable files, counted and left out

    def __len__(self) -> int:
        return len(self.images)


def domain_folder(path: str | Path, side: str) -> Path:
    """The folder itself, or its `trainA`/`trainB` when it holds the CycleGAN dataset layout."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise VidganError(f"domain {side} folder not found: {path}")
    nested = path / f"train{side}"
    return nested if nested.is_dir() else path


def _target_size(config: TrainConfig) -> int | None:
    return {"resize_and_crop": config.load_size, "resize": config.crop_size}.get(config.preprocess)


def _to_tensor(image: Image.Image, size: int | None) -> torch.Tensor:
    image = image.convert("RGB")
    if size is not None and image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BICUBIC)
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).contiguous()


def _video_frames(path: Path, size: int | None, count: int) -> list[torch.Tensor]:
    from vidgan.video.decode import probe, read_frames

    info = probe(path)
    w, h = (size, size) if size else (info.width, info.height)
    total = info.frames or count
    keep = set(np.linspace(0, total - 1, min(count, total)).round().astype(int).tolist())
    frames = [f.rgb for i, f in enumerate(read_frames(info, (w, h))) if i in keep]
    return [torch.from_numpy(f).permute(2, 0, 1).contiguous() for f in frames]


def load_domain(path: str | Path, side: str, config: TrainConfig, quiet: bool = False) -> Domain:
    """Read every image (and sampled video frames) of one domain into memory."""
    folder = domain_folder(path, side)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    size = _target_size(config)

    def read(file: Path) -> list[torch.Tensor] | None:
        """The file's images; None if it cannot be read. Runs in threads: decoding releases the GIL."""
        suffix = file.suffix.lower()
        try:
            if suffix in IMAGE_EXTENSIONS:
                with Image.open(file) as im:
                    return [_to_tensor(im, size)]
            if suffix in VIDEO_EXTENSIONS:
                return _video_frames(file, size, config.frames_per_clip)
        except (OSError, UnidentifiedImageError, SyntaxError, VidganError):
            return None
        return []  # not an image or a video: ignored

    with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 1)) as pool:
        results = list(pool.map(read, files))  # in file order, so runs are reproducible
    images = [image for result in results if result for image in result]
    skipped = sum(result is None for result in results)
    if not images:
        raise VidganError(f"domain {side}: no readable images or videos in {folder}"
                          + (f" ({skipped} unreadable)" if skipped else ""))  # fmt: skip
    small = [i for i, im in enumerate(images) if min(im.shape[1:]) < config.crop_size]
    if small:
        raise VidganError(
            f"domain {side}: {len(small)} image(s) are smaller than the {config.crop_size} px crop; "
            f"use --preprocess resize_and_crop or a smaller --crop-size"
        )
    if skipped and not quiet:
        print(f"note: domain {side}: skipped {skipped} unreadable file(s) in {folder}")
    return Domain(folder, images, skipped)


class PairSampler:
    """Unpaired batches as a function of the step: A in a per-epoch permutation, B in its own.

    An epoch is max(|A|, |B|) images per side, as in the official code; with several processes each
    rank takes its own slice of every global batch."""

    def __init__(self, n_a: int, n_b: int, config: TrainConfig, rank: int = 0, world: int = 1) -> None:
        self.n_a, self.n_b = n_a, n_b
        self.batch, self.seed, self.rank, self.world = config.batch_size, config.seed, rank, world
        self.crop, self.flip = config.crop_size, config.flip
        self.steps_per_epoch = math.ceil(max(n_a, n_b) / (self.batch * world))
        self._perm_epoch: int | None = None

    def _perms(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._perm_epoch != epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perms_cache = (torch.randperm(self.n_a, generator=g), torch.randperm(self.n_b, generator=g))
            self._perm_epoch = epoch
        return self._perms_cache

    def indices(self, step: int) -> tuple[list[int], list[int]]:
        epoch, within = divmod(step, self.steps_per_epoch)
        perm_a, perm_b = self._perms(epoch)
        start = (within * self.world + self.rank) * self.batch
        positions = range(start, start + self.batch)
        return [int(perm_a[p % self.n_a]) for p in positions], [int(perm_b[p % self.n_b]) for p in positions]

    def batch_of(self, domain: Domain, idx: list[int], step: int, side: int) -> torch.Tensor:
        """Random crops (and flips) of the chosen images: (B, 3, crop, crop) uint8."""
        g = torch.Generator().manual_seed(((self.seed * 7919 + step) * 31 + self.rank) * 2 + side)
        out = []
        for i in idx:
            image = domain.images[i]
            h, w = image.shape[1:]
            y = int(torch.randint(0, h - self.crop + 1, (1,), generator=g))
            x = int(torch.randint(0, w - self.crop + 1, (1,), generator=g))
            patch = image[:, y : y + self.crop, x : x + self.crop]
            if self.flip and torch.rand(1, generator=g).item() < 0.5:
                patch = patch.flip(-1)
            out.append(patch)
        return torch.stack(out)


def center_crops(domain: Domain, count: int, crop: int) -> torch.Tensor:
    """The first `count` images, centre-cropped: a fixed set for sample grids and export checks."""
    out = []
    for image in domain.images[:count]:
        h, w = image.shape[1:]
        y, x = (h - crop) // 2, (w - crop) // 2
        out.append(image[:, y : y + crop, x : x + crop])
    return torch.stack(out)
