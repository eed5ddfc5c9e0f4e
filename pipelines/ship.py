"""Ship a model of the CPU run's state: `python pipelines/ship.py NAME --limitations TEXT [--force]`.

NAME is horse2zebra-fast or zebra2horse-fast: the state's model of that name (pipelines/horse2zebra-fast.state,
as `bash pipelines/cpu-run.sh stop` left it), judged by `bash pipelines/cpu-run.sh eval` (.cpu-run/eval-a for
horse2zebra-fast, eval-b for zebra2horse-fast). It ships (checkpoints/NAME.safetensors and NAME.json, the
eval figures in the card's metrics) when the rule of docs/cpu-runs.md says it is better than what ships:

    horse2zebra-fast   judge score up; grid ratio and "target kept" not higher
    zebra2horse-fast   judged horse on at least 0.7 of testB, and above the shipped one's score if any

--force ships regardless (say why in the commit). The card keeps what the state's card says of the model's
training (images seen, CPU hours, runs, dates) and takes the speed figures of the shipped card of the same
architecture (they depend on the network, not on its weights); --limitations is what a user should know,
written after looking at the eval's contact sheet.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from vidgan.atomic import write_text

ROOT = Path(__file__).resolve().parents[1]
SHIPPED, STATE, WORK = ROOT / "checkpoints", ROOT / "pipelines" / "horse2zebra-fast.state", ROOT / ".cpu-run"
EVALS = {"horse2zebra-fast": "eval-a", "zebra2horse-fast": "eval-b"}
MIN_REVERSE_SCORE = 0.7


def better(name: str, new: dict, old: dict | None) -> tuple[bool, str]:
    """Whether `new` (an eval report) beats `old` (the shipped card's metrics, None where none ships)."""
    score = new["judge_score"]
    if name == "zebra2horse-fast":
        if score < MIN_REVERSE_SCORE:
            return False, f"judged horse on {score:.3f} of testB, under {MIN_REVERSE_SCORE}"
        if old and score <= old["judge_score"]:
            return False, f"judge score {score:.3f}, the shipped one's {old['judge_score']:.3f}"
        return True, f"judged horse on {score:.3f} of testB"
    assert old is not None, "horse2zebra-fast ships from its distillation first"
    grid, kept = new["texture"]["grid_ratio"], new["target_kept"]["lab_distance"]
    old_grid, old_kept = old["texture"]["grid_ratio"], old["target_kept"]["lab_distance"]
    verdict = (f"judge {score:.3f} (shipped {old['judge_score']:.3f}), grid {grid:.2f} ({old_grid:.2f}), "
               f"target kept {kept:.2f} ({old_kept:.2f})")  # fmt: skip
    return score > old["judge_score"] and grid <= old_grid and kept <= old_kept, verdict


def ship(name: str, limitations: str, force: bool = False, state: Path = STATE, work: Path = WORK,
         into: Path = SHIPPED) -> bool:  # fmt: skip
    """Ship the state's model NAME into `into` where the rule (or `force`) says so; True where it shipped."""
    if name not in EVALS:
        sys.exit(f"ship: {name!r} is not a model of the CPU run: {' or '.join(EVALS)}")
    report = json.loads((work / EVALS[name] / "eval.json").read_text())
    model = state / f"{name}.safetensors"
    if (ROOT / report["model"]).resolve() != model.resolve():
        sys.exit(f"ship: {work / EVALS[name]} judged {report['model']}, not {model}: run cpu-run.sh eval first")
    card = json.loads((state / f"{name}.json").read_text())
    shipped = into / f"{name}.json"
    old = json.loads(shipped.read_text()) if shipped.is_file() else None
    ok, verdict = better(name, report, old and old["metrics"])
    print(f"{name} of the state ({card['training']['images_seen']:,} images): {verdict}")
    if not (ok or force):
        print("not better: nothing shipped")
        return False
    same_network = [c for c in (json.loads(p.read_text()) for p in sorted(into.glob("*.json")))
                    if c.get("architecture") == card["architecture"] and "speed" in c]  # fmt: skip
    speed = None
    if same_network:  # measured with another model of this network: against the paper-sized one, then
        source = same_network[0]
        speed = source["speed"]
        if source.get("name") != name:
            speed = {**speed, "relative_to": "the paper-sized generator",
                     "measured_with": f"{source.get('name')} against {speed.get('relative_to')}"}  # fmt: skip
    seen, aim = card["training"]["images_seen"], card["training"]["aim_images"]
    card.update(
        name=name,
        description=f"{card['domains']['input']} -> {card['domains']['output']}, the fast generator, a CycleGAN "
        f"trained on 2 CPU cores from a distilled pair ({seen:,} of {aim:,} images)",
        metrics={"evaluated_on": f"horse2zebra {Path(report['a']).name} against {Path(report['b']).name}, 256x256, "
                 f"fp32 on the CPU", **{k: v for k, v in report.items() if k not in ("model", "a", "b")}},
        command="bash pipelines/cpu-run.sh (the CPU CycleGAN schedule of pipelines/horse2zebra-fast.toml from the "
        "distilled pair; docs/cpu-runs.md), then python pipelines/ship.py",
        limitations=limitations,
    )  # fmt: skip
    if speed:
        card["speed"] = speed
    shutil.copyfile(model, into / f"{name}.safetensors")
    write_text(shipped, json.dumps(card, indent=2) + "\n")
    print(f"shipped: {into / name}.safetensors and .json")
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("name", choices=sorted(EVALS))
    parser.add_argument("--limitations", required=True, help="what a user should know of this model")
    parser.add_argument("--force", action="store_true", help="ship even where the rule says not better")
    args = parser.parse_args()
    ship(args.name, args.limitations, args.force)
