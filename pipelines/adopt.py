"""Adopt a GPU run of horse2zebra's schedule: `python pipelines/adopt.py RUN [--force]`.

RUN is the folder pipelines/gpu-run.sh filled ($OUT): the compact state (horse2zebra and zebra2horse as
int8 models with their cards, discriminators.safetensors, progress.json), eval.json and log.txt. When its
pair is better than the shipped one (horse2zebra's judge score up and cycle error down, as docs/gpu-runs.md
asks), or with --force for the schedule's first state, the generators become the shipped models
(checkpoints/, the eval figures in their cards) and the rest the schedule's state (pipelines/horse2zebra.state,
whose progress.json then names the shipped files as its generators: one copy of each in the repository).
Otherwise nothing changes and the next GPU run goes on from the state as it was.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED, STATE = ROOT / "checkpoints", ROOT / "pipelines" / "horse2zebra.state"


def figures(report: dict) -> tuple[float, float | None]:
    """(judge score, cycle L1) of one direction's eval report."""
    return report["judge_score"], report.get("cycle", {}).get("l1")


def better(new: dict, card: dict) -> bool:
    """Judge score up and cycle error down against the shipped card's figures (a missing figure: not better)."""
    metrics = card.get("metrics", {})
    old_cycle = metrics.get("cycle_l1_with_zebra2horse", metrics.get("cycle", {}).get("l1"))
    score, cycle = figures(new)
    return score > metrics.get("judge_score", 0.0) and cycle is not None and (old_cycle is None or cycle < old_cycle)


def adopt(run: Path, force: bool = False) -> bool:
    progress = json.loads((run / "progress.json").read_text())
    report = json.loads((run / "eval.json").read_text())
    names = {net: Path(file).stem for net, file in progress["generators"].items()}
    card = json.loads((SHIPPED / f"{names['G_A']}.json").read_text())
    new = report[names["G_A"]]
    shipped = card.get("metrics", {})
    print(f"run: {progress['images_seen']:,} of {progress['schedule_images']:,} images; "
          f"{names['G_A']} judge {figures(new)[0]:.3f}, cycle {figures(new)[1]:.4f}; shipped judge "
          f"{shipped.get('judge_score')}, cycle {shipped.get('cycle_l1_with_zebra2horse')}")  # fmt: skip
    if not (force or better(new, card)):
        print("not better: nothing adopted")
        return False
    STATE.mkdir(exist_ok=True)
    for net, name in names.items():
        run_card = json.loads((run / f"{name}.json").read_text())
        run_card["metrics"] = report[name]
        shutil.copyfile(run / f"{name}.safetensors", SHIPPED / f"{name}.safetensors")
        (SHIPPED / f"{name}.json").write_text(json.dumps(run_card, indent=2) + "\n")
        progress["generators"][net] = f"../../checkpoints/{name}.safetensors"
    shutil.copyfile(run / progress["discriminators"], STATE / progress["discriminators"])
    (STATE / "progress.json").write_text(json.dumps(progress, indent=2) + "\n")
    print(f"adopted: {', '.join(names.values())} shipped, the state in {STATE.relative_to(ROOT)}")
    return True


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--force"]
    if len(args) != 1:
        sys.exit(__doc__.strip().splitlines()[0])
    adopt(Path(args[0]), force="--force" in sys.argv)
