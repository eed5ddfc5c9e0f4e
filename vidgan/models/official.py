"""The CycleGAN authors' pretrained generators (`--model official:NAME`).

Downloaded once from the authors' server into the user folder with a progress bar, written atomically,
converted to our safetensors format, and loaded from there afterwards. `VIDGAN_OFFICIAL_URL` points
elsewhere (a mirror; the tests' local server).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm import tqdm

from vidgan.atomic import atomic_path
from vidgan.engine.runtime import user_dir
from vidgan.errors import VidganError
from vidgan.models.checkpoints import load_generator_file, save_generator

DEFAULT_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models"
# The 18 generators the authors publish (scripts/download_cyclegan_model.sh in their repository).
OFFICIAL_NAMES = (
    "apple2orange", "orange2apple", "summer2winter_yosemite", "winter2summer_yosemite",
    "horse2zebra", "zebra2horse", "monet2photo", "style_monet", "style_cezanne", "style_ukiyoe",
    "style_vangogh", "sat2map", "map2sat", "cityscapes_photo2label", "cityscapes_label2photo",
    "facades_photo2label", "facades_label2photo", "iphone2dslr_flower",
)  # fmt: skip


def official_path(name: str) -> Path:
    """Where the converted official generator `name` lives once downloaded."""
    return user_dir() / "official" / f"{name}.safetensors"


def fetch_official(name: str, quiet: bool = False) -> Path:
    """Return the converted official generator `name`, downloading and converting it the first time."""
    if name not in OFFICIAL_NAMES:
        raise VidganError(f"unknown official model {name!r}; known: {', '.join(OFFICIAL_NAMES)}")
    target = official_path(name)
    if target.is_file():
        return target
    url = f"{os.environ.get('VIDGAN_OFFICIAL_URL', DEFAULT_URL).rstrip('/')}/{name}.pth"
    made = [folder for folder in (target.parent.parent, target.parent) if not folder.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _download(name, url, target, quiet)
    finally:
        for folder in reversed(made):  # a failed download leaves no empty cache folder behind
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def _offline(error: Exception) -> bool:
    """Whether a download failed for want of a network (no name service, no route, refused, timed out), rather
    than for what the server answered."""
    reason = getattr(error, "reason", error)
    return not isinstance(error, urllib.error.HTTPError) and isinstance(reason, (OSError, TimeoutError))


def _download(name: str, url: str, target: Path, quiet: bool) -> Path:
    pth = target.with_suffix(".pth")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, atomic_path(pth, overwrite=True) as tmp:
            total = int(response.headers.get("Content-Length") or 0) or None
            with (
                open(tmp, "wb") as f,
                tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}", disable=quiet) as bar,
            ):
                while chunk := response.read(1 << 20):
                    f.write(chunk)
                    bar.update(len(chunk))
            if total is not None and tmp.stat().st_size != total:
                raise VidganError(f"download of {url} was cut short")
    except (urllib.error.URLError, OSError) as e:
        if _offline(e):
            raise VidganError(f"official:{name} is downloaded on first use, but {urllib.parse.urlsplit(url).netloc} "
                              f"cannot be reached (no network?): fetch {url} elsewhere and pass the file to "
                              f"--model ({name}.pth)") from None  # fmt: skip
        raise VidganError(f"cannot download {url}: {getattr(e, 'reason', e)}") from None
    try:
        loaded = load_generator_file(pth)
        card = {"name": name, "direction": name, "source": url,
                "licence": "see the CycleGAN authors' repository (BSD) and the dataset's terms",
                "description": f"official CycleGAN {name} generator, converted"}  # fmt: skip
        save_generator(loaded.generator, target, card, dtype=next(loaded.generator.parameters()).dtype)
    finally:
        pth.unlink(missing_ok=True)
    return target
