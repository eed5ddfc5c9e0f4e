"""The compact training state: what a schedule needs to go on in another run, small enough to travel.

A run's full state (state.pt: four fp32 networks, both Adam optimisers' moments, the image pools) is
about 340 MB for the paper's networks and resumes exactly. The compact state keeps only the four networks
and where the schedule stands, in a folder:

    NAME.safetensors, REVERSE.safetensors   the generators, as exported models with their cards (int8,
                                            per-channel: 11.4 MB each for the paper's generator); the
                                            weight average where the run keeps one (average.py) ...
    training-generators.safetensors         ... and then the weights it trains on, int8 per-channel
    discriminators.safetensors              D_A and D_B (and D_C), int8 per-channel (2.8 MB each)
    progress.json                           the recipe, images seen, the schedule, the runs so far

`vidgan train --continue FOLDER` goes on from it. What is dropped is rebuilt by a warm restart: Adam's
moments start afresh, so the discriminators first train alone for `restart_d_steps` steps (their moments
settle and the image pools fill) and the generators' learning rate then climbs back over
`restart_lr_ramp` steps. progress.json may name generator files elsewhere (relative to its folder), so a
shipped model can be the state's generator without a second copy.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file

from vidgan.atomic import atomic_path, write_text
from vidgan.errors import VidganError
from vidgan.models.checkpoints import dequantize, load_generator_file, quantize_int8, save_tensors
from vidgan.train.export import export_generators
from vidgan.train.parts import discriminator_names

FORMAT = "vidgan compact training state"
VERSION = 1
DISCRIMINATORS = "discriminators.safetensors"
TRAINING_GENERATORS = "training-generators.safetensors"
PROGRESS = ("config", "step", "images_seen", "schedule_images", "aim_images", "train_seconds", "runs", "device")


def write_compact(state: dict, folder: str | Path) -> list[Path]:
    """Write a run's full state as a compact one into `folder`; returns the files written. The generators
    are int8 where that keeps 38 dB to fp16 (as for any int8 export), else fp16."""
    folder = Path(folder)
    try:
        generators, precision = export_generators(state, folder, "int8"), "int8"
    except VidganError:
        generators, precision = export_generators(state, folder, "fp16"), "fp16"
    judges = discriminator_names(state["nets"])
    written = [*generators, _write_nets(state["nets"], judges, folder / DISCRIMINATORS)]
    progress = {"format": FORMAT, "version": VERSION, **{k: state[k] for k in PROGRESS},
                "generators": {"G_A": generators[0].name, "G_B": generators[1].name},
                "generator_precision": precision, "discriminators": DISCRIMINATORS}  # fmt: skip
    if state.get("ema"):  # the generators above are the average: the trained weights go beside them
        written.append(_write_nets(state["nets"], ("G_A", "G_B"), folder / TRAINING_GENERATORS))
        progress["training_generators"] = TRAINING_GENERATORS
    write_text(folder / "progress.json", json.dumps(progress, indent=2) + "\n")
    return [*written, folder / "progress.json"]


def _write_nets(nets: dict, names: tuple[str, ...], path: Path) -> Path:
    """Networks' weights in one file, int8 per-channel, keys prefixed with the network's name."""
    tensors = {f"{net}.{key}": value for net in names for key, value in nets[net].items()}
    with atomic_path(path, overwrite=True) as tmp:
        save_tensors(quantize_int8(tensors), tmp, {"quantization": "int8-per-channel"})
    return path


def _read_nets(path: Path) -> dict[str, dict]:
    """The networks in a file `_write_nets` wrote, by name."""
    try:
        tensors = dequantize(load_file(str(path)))
    except (SafetensorError, OSError) as e:
        raise VidganError(f"cannot read {path}: {e}") from None
    nets: dict[str, dict] = {}
    for key, value in tensors.items():
        net, _, name = key.partition(".")
        nets.setdefault(net, {})[name] = value
    return nets


def read_compact(folder: str | Path) -> dict:
    """A compact state as the trainer loads it: progress.json's fields and `nets` (float state dicts)."""
    folder = Path(folder)
    try:
        progress = json.loads((folder / "progress.json").read_text())
    except (OSError, ValueError) as e:
        raise VidganError(f"{folder} is not a compact training state (progress.json: {e})") from None
    if progress.get("format") != FORMAT or progress.get("version") != VERSION:
        raise VidganError(f"{folder}/progress.json is not a version-{VERSION} compact training state")
    exported = {net: load_generator_file(folder / name).generator.state_dict()
                for net, name in progress["generators"].items()}  # fmt: skip
    nets = _read_nets(folder / progress["discriminators"])
    if "training_generators" in progress:
        return {**progress, "nets": nets | _read_nets(folder / progress["training_generators"]),
                "ema": exported}  # fmt: skip
    return {**progress, "nets": nets | exported}
