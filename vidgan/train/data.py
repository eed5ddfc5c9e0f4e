"""Training data: two unpaired domains, decoded once into memory, sampled as a pure function of the step.

Each domain is a folder of images (any size; greyscale and alpha become RGB; a `trainA`/`trainB` inside is
used when present) or of video clips, from which `frames_per_clip` frames are taken evenly. Images are
resized once at load time (official `resize_and_crop`: to load_size x load_size, bicubic; domain B's may
have its own, load_size_b, and D_A's real ones another, load_size_real_b) and kept as
uint8 on the training device, so a step is one gather there: the GPU never waits for JPEG decoding.

Which images a step sees, and their crops and flips, depend only on (seed, position in the image sequence):
a resumed or continued run sees exactly what an uninterrupted one would have, with no data-loader state to
save, whatever its batch size or number of GPUs.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from vidgan.errors import VidganError
from vidgan.ops.colour import black_and_white
from vidgan.train.config import TrainConfig
from vidgan.video.formats import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

logger = logging.getLogger(__name__)


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


def _target_size(config: TrainConfig, side: str, load_size: int | None) -> int | None:
    load = load_size or (config.load_size_b if side == "B" and config.load_size_b else config.load_size)
    return {"resize_and_crop": load, "resize": config.crop_size}.get(config.preprocess)


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


def load_domain(path: str | Path, side: str, config: TrainConfig, quiet: bool = False,
                load_size: int | None = None) -> Domain:  # fmt: skip
    """Read every image (and sampled video frames) of one domain into memory; `load_size`: resized to this
    rather than the side's own (resize_and_crop)."""
    folder = domain_folder(path, side)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    size = _target_size(config, side, load_size)

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
        logger.info(f"note: domain {side}: skipped {skipped} unreadable file(s) in {folder}")
    return Domain(folder, images, skipped)


def _hash(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: uint64 -> well-mixed uint64 (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def draws(seed: int, stream: int, positions: np.ndarray, count: int) -> np.ndarray:
    """`count` random uint64 per position, a pure function of (seed, stream, position): counter-based, so
    any slice of the sequence is drawn without drawing the rest."""
    base = _hash(np.array([seed * 1_000_003 + stream], dtype=np.uint64))
    keys = base + positions.astype(np.uint64)[:, None] * np.uint64(count) + np.arange(count, dtype=np.uint64)
    return _hash(keys)


@dataclass
class Crops:
    """Where each image of a batch is cut and whether it is flipped."""

    y: np.ndarray  # (B,) top rows
    x: np.ndarray  # (B,) left columns
    flip: np.ndarray  # (B,) bool: mirrored left-right
    grey: np.ndarray  # (B,) bool: greyed (grey_share)


class PairSampler:
    """Unpaired batches as a function of the images seen: which images, their crops and their flips depend
    only on (seed, position in the image sequence), not on the batch size, the number of processes or the
    runs a schedule is split into.

    An epoch is max(|A|, |B|) images per side, as in the official code: A in a per-epoch permutation (the
    smaller side wraps round), B in its own; with several processes each takes its own slice of every
    global batch."""

    def __init__(self, n_a: int, n_b: int, config: TrainConfig, rank: int = 0, world: int = 1) -> None:
        self.n_a, self.n_b = n_a, n_b
        self.batch, self.seed, self.rank, self.world = config.batch_size, config.seed, rank, world
        self.crop, self.flip, self.grey_share = config.crop_size, config.flip, config.grey_share
        self.epoch_images = max(n_a, n_b)
        self._perm_epoch: int | None = None

    def _perms(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._perm_epoch != epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perms_cache = (torch.randperm(self.n_a, generator=g), torch.randperm(self.n_b, generator=g))
            self._perm_epoch = epoch
        return self._perms_cache

    def positions(self, seen: int) -> np.ndarray:
        """This process's image positions in the global batch that starts after `seen` images."""
        start = seen + self.rank * self.batch
        return np.arange(start, start + self.batch)

    def indices(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The A and B images at these positions of the sequence."""
        out_a, out_b = np.empty(len(positions), np.int64), np.empty(len(positions), np.int64)
        for i, p in enumerate(positions):
            epoch, k = divmod(int(p), self.epoch_images)
            perm_a, perm_b = self._perms(epoch)
            out_a[i], out_b[i] = perm_a[k % self.n_a], perm_b[k % self.n_b]
        return out_a, out_b

    def crops(self, positions: np.ndarray, side: int, heights: np.ndarray, widths: np.ndarray) -> Crops:
        """Random crops (and flips) for images of these sizes at these positions, one stream per side."""
        r = draws(self.seed, side, positions, 3)
        y = (r[:, 0] % (heights - self.crop + 1).astype(np.uint64)).astype(np.int64)
        x = (r[:, 1] % (widths - self.crop + 1).astype(np.uint64)).astype(np.int64)
        flip = (r[:, 2] & np.uint64(1)).astype(bool) & self.flip
        # Greying draws from streams of its own (2 + side), so the crops and flips are the same with it or without.
        uniform = (draws(self.seed, 2 + side, positions, 1)[:, 0] >> np.uint64(11)).astype(np.float64) / 2.0**53
        return Crops(y, x, flip, uniform < self.grey_share)


class DomainBatches:
    """One domain's images where the training runs, cut into batches there.

    Images of one size (the usual case: resized at load) live as a single uint8 tensor on the device, and
    a batch is one gather there: no crop is cut on the CPU, nothing is copied up per step. Images of
    different sizes (`preprocess = "crop"`) stay in host memory and are cut one by one. Both give the same
    pixels for the same crops."""

    def __init__(self, domain: Domain, device: torch.device) -> None:
        self.device = device
        shapes = {tuple(im.shape) for im in domain.images}
        self.heights = np.array([im.shape[1] for im in domain.images])
        self.widths = np.array([im.shape[2] for im in domain.images])
        self.stack = torch.stack(domain.images).to(device) if len(shapes) == 1 else None
        self.images = domain.images

    def batch(self, idx: np.ndarray, crops: Crops, crop: int) -> torch.Tensor:
        """(B, 3, crop, crop) uint8 on the device."""
        if self.stack is None:
            patches = [self.images[i][:, y : y + crop, x : x + crop] for i, y, x in zip(idx, crops.y, crops.x)]
            patches = [p.flip(-1) if f else p for p, f in zip(patches, crops.flip)]
            return greyed(torch.stack(patches).to(self.device, non_blocking=True), crops.grey)
        span = np.arange(crop)
        rows = crops.y[:, None] + span  # (B, crop)
        cols = np.where(crops.flip[:, None], crops.x[:, None] + span[::-1], crops.x[:, None] + span)
        index = [torch.from_numpy(a).to(self.device, non_blocking=True)
                 for a in (idx[:, None, None, None], rows[:, None, :, None], cols[:, None, None, :])]  # fmt: skip
        channels = torch.arange(3, device=self.device)[None, :, None, None]
        return greyed(self.stack[index[0], channels, index[1], index[2]], crops.grey)  # one gather: (B, 3, crop, crop)


def greyed(batch: torch.Tensor, grey: np.ndarray) -> torch.Tensor:
    """uint8 (B, 3, H, W) with the images flagged in `grey` (B,) turned to their luma in all three channels."""
    if not grey.any():
        return batch
    flags = torch.from_numpy(grey).to(batch.device)[:, None, None, None]
    return torch.where(flags, black_and_white(batch), batch)


def center_crops(domain: Domain, count: int, crop: int) -> torch.Tensor:
    """The first `count` images, centre-cropped: a fixed set for sample grids and export checks."""
    out = []
    for image in domain.images[:count]:
        h, w = image.shape[1:]
        y, x = (h - crop) // 2, (w - crop) // 2
        out.append(image[:, y : y + crop, x : x + crop])
    return torch.stack(out)
