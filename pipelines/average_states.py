"""The mean of several stops of one schedule: `python pipelines/average_states.py OUT STOP STOP ...`.

Each STOP is a compact state's folder or a git revision (the CPU schedule's state as that commit left it,
pipelines/horse2zebra-masked.state). Both generators of every stop (each already the run's moving average
over some 200 steps) are averaged weight by weight, in equal parts, with torch's AveragedModel (the mean SWA
takes, Izmailov et al. 2018), and written to OUT with the last stop's cards, their training record naming the
stops. OUT is a folder that `STATE=OUT WORK=... bash pipelines/cpu-run.sh eval`, pipelines/clip_targets.py
and `pipelines/ship.py --state OUT --work ...` take like a state; it is not one to train on (no
discriminators; `vidgan train --continue` refuses it).

Why: between stops the run's weights wander by more than the test set's error, and their mean is another
candidate to judge. At the peak learning rate the mean of four stops (34,028 to 58,764 images) was called
zebra more often than three of them (0.800 against 0.842, 0.775, 0.725, 0.650), with its masks as open as
the most open one's and more sky striped than any but one (docs/quality.md, "The mean of the stops"): not a
better model by itself, so it is judged and shipped by the same rule as a stop. Averaging the stops of the
learning rate's decay, where they differ less, is what SWA does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from torch.optim.swa_utils import AveragedModel

from vidgan.atomic import write_text
from vidgan.errors import VidganError
from vidgan.models.checkpoints import load_generator_file, save_generator

ROOT = Path(__file__).resolve().parents[1]
STATE = Path("pipelines") / "horse2zebra-masked.state"  # what a git revision names, relative to the repository
FORMAT = "vidgan averaged generators"  # not read_compact's format: the trainer refuses the folder


def fetch(stop: str, into: Path) -> Path:
    """A stop's folder: `stop` itself where it is one, else the schedule's state at git revision `stop`, its
    progress.json, generators and cards written into `into`."""
    if Path(stop).is_dir():
        return Path(stop)

    def show(name: str) -> bytes:
        done = subprocess.run(["git", "-C", str(ROOT), "show", f"{stop}:{STATE.as_posix()}/{name}"],
                              capture_output=True)  # fmt: skip
        if done.returncode:
            raise VidganError(f"{stop} is neither a folder nor a git revision with {STATE}/{name}")
        return done.stdout

    into.mkdir(parents=True)
    progress = json.loads(show("progress.json"))
    for name in ("progress.json", *(f"{Path(g).stem}{ext}" for g in progress["generators"].values()
                                    for ext in (".safetensors", ".json"))):  # fmt: skip
        (into / name).write_bytes(show(name))
    return into


def average(stops: list[Path], out: Path, labels: list[str]) -> list[Path]:
    """Write the mean of the stops' two generators into `out` (fp16, each with the last stop's card); returns
    the files written. Both means are made before anything is written."""
    progress = [json.loads((stop / "progress.json").read_text()) for stop in stops]
    names = progress[-1]["generators"]
    if any(p["generators"] != names for p in progress):
        raise VidganError("the stops name different generators: not one schedule")
    record = [{"stop": label, "images_seen": p["images_seen"]} for label, p in zip(labels, progress, strict=True)]
    images = ", ".join(f"{r['images_seen']:,}" for r in record)
    means = {}
    for file in names.values():
        loaded = [load_generator_file(stop / file) for stop in stops]
        if any(m.generator.config != loaded[0].generator.config for m in loaded):
            raise VidganError(f"the stops' {file} are different networks: not one schedule")
        mean = AveragedModel(loaded[0].generator)
        for model in loaded:
            mean.update_parameters(model.generator)
        card = loaded[-1].card
        card["precision"] = "fp16"
        card["training"]["weights"] = f"the mean of the moving averages at {len(stops)} stops ({images} images)"
        card["training"]["averaged_stops"] = record
        means[file] = (mean.module.eval(), card)
    out.mkdir(parents=True, exist_ok=True)
    written = [save_generator(generator, out / file, card) for file, (generator, card) in means.items()]
    summary = {"format": FORMAT, "generators": names, "averaged_stops": record}
    write_text(out / "progress.json", json.dumps(summary, indent=2) + "\n")
    return [*written, out / "progress.json"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write (a state for cpu-run.sh eval and ship.py)")
    parser.add_argument("stops", nargs="+", help="compact states' folders or git revisions of the schedule's")
    args = parser.parse_args(argv)
    if len(args.stops) < 2:
        sys.exit("average_states: give two stops or more")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folders = [fetch(stop, Path(tmp) / str(i)) for i, stop in enumerate(args.stops)]
            written = average(folders, args.out, args.stops)
    except VidganError as e:
        sys.exit(f"average_states: {e}")
    print(f"average_states: {', '.join(str(p) for p in written)}")


if __name__ == "__main__":
    main()
