"""`vidgan pack`: a folder of training images as one small file, to carry the data to another machine.

Every image under the folder is re-encoded (WebP by default) into a zip under the same relative path, with
`pack.json` beside them saying what was done and what it cost in fidelity (the mean PSNR of the packed
images to their sources). A zip because every machine with Python opens it: `python -m zipfile -e
FILE.zip FOLDER` gives back the folder, with trainA/trainB/testA/testB where the source had them.

Measured on horse2zebra (2,661 images of 256x256): WebP at quality 60 takes 28.5 MiB at 31.4 dB, the
fidelity of the JPEG q75 copy in ../shared/data, which takes 41.9 MiB (docs/benchmarks.md).
"""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from vidgan.atomic import atomic_path
from vidgan.errors import VidganError
from vidgan.ops.fidelity import psnr
from vidgan.video.formats import IMAGE_EXTENSIONS

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)

FORMATS = {"webp": ("WEBP", ".webp", {"method": 6}), "jpeg": ("JPEG", ".jpg", {"optimize": True})}


def _encode(path: Path, fmt: str, quality: int) -> tuple[bytes, float]:
    """The image re-encoded, and the squared error of the result (mean over pixels and channels)."""
    name, _, options = FORMATS[fmt]
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    buffer = io.BytesIO()
    rgb.save(buffer, name, quality=quality, **options)
    with Image.open(io.BytesIO(buffer.getvalue())) as back:
        error = float(((np.asarray(back.convert("RGB"), np.float32) - np.asarray(rgb, np.float32)) ** 2).mean())
    return buffer.getvalue(), error


def pack(folder: str | Path, out: str | Path, fmt: str = "webp", quality: int = 60) -> dict:
    """Pack every image under `folder` into the zip `out` (written atomically); returns its manifest."""
    folder, out = Path(folder), Path(out)
    if fmt not in FORMATS:
        raise VidganError(f"unknown pack format {fmt!r}: {', '.join(FORMATS)}")
    if not folder.is_dir():
        raise VidganError(f"folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith("."))
    if not files:
        raise VidganError(f"no images under {folder}")
    try:  # before the encoding: `-o .data/x.zip` on a fresh clone makes .data, a bad path fails at once
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise VidganError(f"cannot make the folder of {out}: {e.strerror}") from None
    suffix = FORMATS[fmt][1]

    def encode(path: Path) -> tuple[bytes, float] | None:
        try:
            return _encode(path, fmt, quality)
        except (OSError, UnidentifiedImageError, SyntaxError):
            return None

    with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 1)) as pool:
        results = list(pool.map(encode, files))  # in file order: the same folder gives the same file
    packed = [(path, r) for path, r in zip(files, results) if r is not None]
    manifest = {
        "source": str(folder),
        "images": len(packed),
        "skipped_unreadable": len(files) - len(packed),
        "format": fmt,
        "quality": quality,
        "psnr_to_source_db": round(psnr(float(np.mean([error for _, (_, error) in packed]))), 2),
        "folders": dict(sorted({str(p.parent.relative_to(folder)): 0 for p, _ in packed}.items())),
    }
    for path, _ in packed:
        manifest["folders"][str(path.parent.relative_to(folder))] += 1
    with atomic_path(out, overwrite=True) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:  # the images are compressed already
            for path, (data, _) in packed:
                archive.writestr(path.relative_to(folder).with_suffix(suffix).as_posix(), data)
            archive.writestr("pack.json", json.dumps(manifest, indent=2) + "\n")
    manifest["bytes"] = out.stat().st_size
    say(f"packed {len(packed):,} images into {out} ({manifest['bytes'] / 2**20:.1f} MiB, {fmt} quality {quality}, "
        f"{manifest['psnr_to_source_db']} dB to the sources)")  # fmt: skip
    return manifest
