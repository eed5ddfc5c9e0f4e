"""Where the animals are in a folder of test images, as a person boxed them (`vidgan eval --animals FILE`), and
the rest of each picture: the region where a translation has no business drawing.

Colour finds grass and flatness finds sky (vidgan/eval/spill.py), but nothing found in the pixels alone tells a
brown horse from the brown scrub of a dune, a car mirror or a road: what a masked model striped there was seen
by eye and by no figure (docs/quality.md, "Stripes outside the animals"). Boxes drawn by hand do: a few lines
of JSON per test set, checked by drawing them over the pictures. The file:

    {"format": "vidgan animal boxes", "version": 1,
     "images": {"n02381460_1000": [[0.08, 0.16, 0.69, 0.89]], ...}}

one entry per image, by its file name without the extension (so the copy `vidgan pack` re-encodes as WebP is
the same image; an empty list: no animal), each box [x0, y0, x1, y1] as fractions of the picture's width
and height, so they hold at any size the images are judged at. A box need only hold its animal whole (a rider,
a foal or a reflection inside it does no harm): what is counted is what no box holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vidgan.errors import VidganError

FORMAT, VERSION = "vidgan animal boxes", 1


def load_boxes(path: str | Path, names: list[str]) -> list[list[tuple[float, float, float, float]]]:
    """The boxes of each of `names` (image file names without their extensions) from the boxes file at `path`,
    in their order; a one-line VidganError for a file that is not one, a malformed box, or an image it does not
    cover."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as e:
        raise VidganError(f"cannot read the animal boxes {path}: {e.strerror or e}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise VidganError(f"cannot read the animal boxes {path}: not JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise VidganError(f"{path} is not a file of animal boxes (format {FORMAT!r}, version {VERSION})")
    images = data.get("images")
    if not isinstance(images, dict):
        raise VidganError(f'{path}: no "images" object of file names and boxes')
    out = []
    for name in names:
        if name not in images:
            raise VidganError(f"{path} has no boxes for {name} (an empty list says it shows no animal)")
        boxes = images[name]
        if not isinstance(boxes, list) or not all(_is_box(b) for b in boxes):
            raise VidganError(f"{path}: the boxes of {name} are not [[x0, y0, x1, y1], ...] with 0 <= x0 < x1 <= 1 "
                              f"and 0 <= y0 < y1 <= 1")  # fmt: skip
        out.append([tuple(float(v) for v in b) for b in boxes])
    return out


def _is_box(box: object) -> bool:
    if not isinstance(box, list) or len(box) != 4 or not all(isinstance(v, int | float) for v in box):
        return False
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def outside_boxes(boxes: list[tuple[float, float, float, float]], size: int, margin: int) -> np.ndarray:
    """(size, size) bool: what no box holds in a picture judged at `size` px, each box widened by `margin` px
    on every side (so the blur of an animal's edge and what the model drew on it stay out)."""
    outside = np.ones((size, size), bool)
    for x0, y0, x1, y1 in boxes:
        left, top = max(int(x0 * size) - margin, 0), max(int(y0 * size) - margin, 0)
        right, bottom = min(int(np.ceil(x1 * size)) + margin, size), min(int(np.ceil(y1 * size)) + margin, size)
        outside[top:bottom, left:right] = False
    return outside
