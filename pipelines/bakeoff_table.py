"""A bake-off round's table for docs/quality.md: a markdown row per variant from its `vidgan eval` of both
directions (eval-a: testA through horse2zebra, eval-b: testB through zebra2horse) and its training progress.
The colour-blind scores, background shifts, grid ratios, stripes on grass, open sky textured and stripes
outside testA's animals (vidgan/eval/spill.py) and stripes kept on testB's zebras (vidgan/eval/coat.py) carry
their standard errors (±);
below the table, each variant against the first (the control) on the same images, paired
(vidgan/eval/paired.py): its difference and that difference's bootstrap standard error, far smaller than the
two errors above together.

    python pipelines/bakeoff_table.py WORK VARIANT ...     (WORK: the round's folder, .bakeoff/ROUND)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vidgan.eval.paired import comparable, differences

HEADER = ("| variant | CPU min | images | h2z colour judge | h2z **colour-blind** | h2z greyed inputs | "
          "h2z **background shift** | target kept | grid | h2z stripes on grass | h2z sky textured | "
          "h2z stripes outside the animals | "
          "h2z stripes (real zebras) | h2z changed share | z2h colour-blind | z2h **background shift** | "
          "z2h stripes on the coats | z2h changed share |")  # fmt: skip


def _pm(figures: dict, key: str, form: str) -> str:
    """A figure with its standard error where the eval measured one (`vidgan eval` since 2026-12-05)."""
    se = figures.get(f"{key}_se")
    return f"{figures[key]:{form}}" + (f" ±{se:{form}}" if se is not None else "")


def _region(report: dict, key: str, figure: str) -> str:
    """A region's stripes figure with its error, empty where the eval did not measure it or counted no image."""
    found = report.get(key, {})
    return _pm(found, figure, ".2f") if found.get("images") else ""


def row(work: Path, variant: str, a: dict, b: dict) -> str:
    """The variant's row, from its progress and its two evals (`a`, `b`)."""
    progress = json.loads((work / variant / "compact" / "progress.json").read_text())
    if "averaged_stops" in progress:  # average_states.py's mean of stops: trained no minutes of its own
        seen = [stop["images_seen"] for stop in progress["averaged_stops"]]
        trained = ["", f"mean of {len(seen)}, {min(seen):,} to {max(seen):,}"]
    else:
        trained = [f"{progress['train_seconds'] / 60:.0f}", f"{progress['images_seen']:,}"]
    cells = [variant, *trained,
             f"{a['judge_score']:.3f}", _pm(a["blind_judge"], "score", ".3f"),
             _pm(a["blind_judge"], "greyed_score", ".3f") if "greyed_score" in a["blind_judge"] else "",
             _pm(a, "background_shift", ".2f"),
             f"{a['target_kept']['lab_distance']:.2f}", _pm(a["texture"], "grid_ratio", ".2f"),
             _region(a, "spill", "gained"), _region(a, "sky", "textured"), _region(a, "outside", "gained"),
             f"{a['stripes']['translated']:.2f} ({a['stripes']['target_real']:.2f})",
             f"{a['stripes']['changed_share']:.2f}", _pm(b["blind_judge"], "score", ".3f"),
             _pm(b, "background_shift", ".2f"), _region(b, "coat", "ratio"),
             f"{b['stripes']['changed_share']:.2f}"]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def _evals(work: Path, variant: str) -> tuple[dict, dict]:
    return tuple(json.loads((work / variant / f"eval-{d}" / "eval.json").read_text()) for d in "ab")


REGIONS = {
    "spill": "stripes on grass",
    "sky": "sky textured",
    "outside": "stripes outside the animals",
    "coat": "stripes on the coats",
}


def _paired(new: dict, old: dict, name: str, regions: tuple[str, ...]) -> str:
    """`name`'s colour-blind score, background shift, grid ratio and stripes in `regions` (those of REGIONS
    both evals measured) against the control's, image by image."""
    d = differences(new, old)
    extra = "".join(f", {REGIONS[key]} {d[key]:.2f}" for key in regions if key in d)
    return f"{name} colour-blind {d['score']:.3f}, background shift {d['shift']:.2f}, grid {d['grid']:.2f}{extra}"


def comparison(variant: str, evals: tuple[dict, dict], control: str, control_evals: tuple[dict, dict]) -> str:
    """One line: the variant's paired differences from the control in both directions."""
    if not all(comparable(e) for e in (*evals, *control_evals)):
        return f"- {variant} against {control}: not paired (an eval of before 2026-12-05 kept no per-image figures)"
    (a, b), (ca, cb) = evals, control_evals
    return f"- {variant} against {control}: " + "; ".join(
        (_paired(a, ca, "h2z", ("spill", "sky", "outside")), _paired(b, cb, "z2h", ("spill", "sky", "coat")))
    )


def main(work: Path, variants: list[str]) -> None:
    evals = {v: _evals(work, v) for v in variants}  # each eval.json read once
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for v in variants:
        print(row(work, v, *evals[v]))
    print()
    for v in variants[1:]:
        print(comparison(v, evals[v], variants[0], evals[variants[0]]))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: python pipelines/bakeoff_table.py WORK VARIANT ...")
    main(Path(sys.argv[1]), sys.argv[2:])
