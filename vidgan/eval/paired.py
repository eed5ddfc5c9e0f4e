"""Two models' `vidgan eval` reports on the same images, compared image by image: each figure's difference
and that difference's bootstrap standard error. Both models meet the same easy and hard images, so the paired
error is far smaller than the two reports' errors together; a difference within about two of its errors is
the test set's luck, not the model's (docs/quality.md, "A ship rule that knows its errors"). Used by the
bake-off's table and by the ship rule (pipelines/bakeoff_table.py, pipelines/ship.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidgan.eval.uncertainty import bootstrap_se

SIGNIFICANT = 2.0  # standard errors: a difference beyond this many is the model's, not the test set's luck


@dataclass(frozen=True)
class Difference:
    value: float  # the new report's figure minus the old one's
    se: float  # the bootstrap standard error of that difference, the images resampled together

    def higher(self) -> bool:
        """Whether the new figure is higher beyond the test set's luck."""
        return self.value > SIGNIFICANT * self.se

    def lower(self) -> bool:
        """Whether the new figure is lower beyond the test set's luck."""
        return self.value < -SIGNIFICANT * self.se

    def __format__(self, form: str) -> str:
        return f"{self.value:+{form}} ±{self.se:{form}}"


def comparable(report: dict) -> bool:
    """Whether a report kept each image's figures (`vidgan eval` since 2026-12-05), so it can be paired."""
    return "hits" in report.get("blind_judge", {}) and "image_grid_shares" in report.get("texture", {})


def differences(new: dict, old: dict) -> dict[str, Difference]:
    """The colour-blind score (`score`: the share of images judged the target), the background shift (`shift`:
    the median of the images' shifts; `shift_mean`: their mean), the grid ratio (`grid`) and, where both
    reports measured it, the stripes gained on vegetation (`spill`) and outside the animals' boxes (`outside`),
    the share of the open sky textured (`sky`, vidgan/eval/spill.py) and the stripes kept on striped coats
    (`coat`, vidgan/eval/coat.py) of `new` against `old`, both comparable and of the same images in the same
    order."""
    if len(new["image_shifts"]) != len(old["image_shifts"]):
        raise ValueError(f"reports of {len(new['image_shifts'])} and {len(old['image_shifts'])} images: not paired")
    hits = np.asarray(new["blind_judge"]["hits"], float), np.asarray(old["blind_judge"]["hits"], float)
    shifts = np.asarray(new["image_shifts"], float), np.asarray(old["image_shifts"], float)
    # each is [[translated share, source share], ...]: the sources are the same images, so one ref column
    (out, ref), (old_out, _) = (np.asarray(r["texture"]["image_grid_shares"], float).T for r in (new, old))

    def mean(x: np.ndarray, y: np.ndarray) -> float:  # a score's (the share of hits), or the shifts' mean
        return float(x.mean() - y.mean())

    def shift(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.median(x) - np.median(y))

    def grid(x: np.ndarray, y: np.ndarray, r: np.ndarray) -> float:
        return float((x.mean() - y.mean()) / r.mean())

    found = {
        "score": Difference(mean(*hits), bootstrap_se(mean, *hits)),
        "shift": Difference(shift(*shifts), bootstrap_se(shift, *shifts)),
        # the median cannot see a quarter of the pictures recoloured; their mean can (docs/quality.md, the
        # context-b round: a zebra2horse that smudged the tops of 40 more pictures blue-grey, the median 0.33 ±0.28)
        "shift_mean": Difference(mean(*shifts), bootstrap_se(mean, *shifts)),
        "grid": Difference(grid(out, old_out, ref), bootstrap_se(grid, out, old_out, ref)),
    }
    for key in ("spill", "coat", "outside"):  # where both reports measured it (since 2026-12-06; outside: -07)
        if all("image_stripes" in r.get(key, {}) for r in (new, old)):
            found[key] = _region_difference(new[key]["image_stripes"], old[key]["image_stripes"])
    if all("image_textured" in r.get("sky", {}) for r in (new, old)):  # since the evening of 2026-12-06
        pairs = zip(new["sky"]["image_textured"], old["sky"]["image_textured"], strict=True)
        textured = np.asarray([pair for pair in pairs if pair[0] is not None]).T  # (2, images counted)
        found["sky"] = Difference(mean(*textured), bootstrap_se(mean, *textured))
    return found


def _region_difference(new: list, old: list) -> Difference:
    """Two models' stripes in the same inputs' regions (vidgan/eval/texture.py's `region_stripes`: [translated,
    input] per image, None for an image not counted): the difference of their ratios."""
    pairs = [(n, o) for n, o in zip(new, old, strict=True) if n is not None]
    columns = (
        np.asarray([n[0] for n, _ in pairs]),
        np.asarray([o[0] for _, o in pairs]),
        np.asarray([n[1] for n, _ in pairs]),
    )

    def ratio(x: np.ndarray, y: np.ndarray, s: np.ndarray) -> float:
        return float((x.sum() - y.sum()) / s.sum())

    return Difference(ratio(*columns), bootstrap_se(ratio, *columns))
