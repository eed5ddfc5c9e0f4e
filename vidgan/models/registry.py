"""What `--model` names: a shipped model, one in the user folder, `official:NAME`, or a file.

Where `--model NAME` looks, in order: the models shipped in `checkpoints/` (installed as the package
`vidgan.shipped`), the user folder (`$VIDGAN_HOME`, else `~/.cache/vidgan`), and `official:NAME`, the
CycleGAN authors' pretrained generators, downloaded once into the user folder (`official.py`). A name in
both folders takes the shipped model and says where the other is.
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

from vidgan.engine.runtime import cpu_has_fast_bf16, user_dir
from vidgan.errors import VidganError
from vidgan.models.checkpoints import INDEX, LoadedModel, load_generator_file
from vidgan.models.nets import GeneratorConfig, build_generator, count_macs
from vidgan.models.official import OFFICIAL_NAMES, fetch_official, official_path

# Models a shipped recipe makes but the package does not hold yet: asking for one says how to make it.
UNSHIPPED = {"zebra2horse": "pipelines/horse2zebra.toml"}
SUFFIXES = (".safetensors", INDEX)


# What `--model` is when nobody says (the CLI, the API, the server, the benchmarks): the masked fast generator,
# since 2026-12-04 ahead of the paper-sized one on the colour-blind judge, the background shift and the grid,
# and 4-6x as fast on a CPU (its card; docs/quality.md).
DEFAULT_MODEL = "horse2zebra-fast"


def shipped_dir() -> Path:
    """The folder of shipped checkpoints, wherever the package was installed."""
    return Path(str(resources.files("vidgan.shipped")))


def named_files(name: str, suffixes: tuple[str, ...] = SUFFIXES) -> list[Path]:
    """NAME + suffix in the shipped folder, then in the user folder: every match, first the one taken."""
    return [folder / f"{name}{suffix}" for folder in (shipped_dir(), user_dir()) for suffix in suffixes
            if (folder / f"{name}{suffix}").is_file()]  # fmt: skip


def find_named(name: str, suffixes: tuple[str, ...] = SUFFIXES) -> Path | None:
    """The file `--model NAME` takes, or None."""
    found = named_files(name, suffixes)
    return found[0] if found else None


def looks_like_path(spec: str) -> bool:
    return spec.endswith((".safetensors", ".pth", ".pt", INDEX)) or os.sep in spec or Path(spec).is_file()


def _model_file(spec: str) -> Path:
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    sharded = path.with_name(path.name + ".index.json")  # NAME.safetensors written as shards
    if path.suffix == ".safetensors" and sharded.is_file():
        return sharded
    raise VidganError(f"model file not found: {spec}")


def find_model(spec: str) -> Path:
    """Turn `--model` into a file: a path, a shipped name, a name in the user folder, or official:NAME."""
    if spec.startswith("official:"):
        return fetch_official(spec.split(":", 1)[1])
    if looks_like_path(spec):
        return _model_file(spec)
    found = find_named(spec)
    if found is not None:
        return found
    if spec in UNSHIPPED:
        raise VidganError(
            f"model {spec!r} is not shipped yet: train it with `vidgan train --recipe {UNSHIPPED[spec]} ...`, "
            f"which writes both directions to {user_dir()}, or use --model official:{spec} (the CycleGAN "
            f"authors' generator, downloaded once)"
        )
    raise VidganError(f"unknown model {spec!r}: see `vidgan models` for the names it knows")


def load_model(spec: str) -> LoadedModel:
    """`--model` to a ready generator; `notices` says when a name was in both folders."""
    loaded = load_generator_file(find_model(spec))
    loaded.name = spec.split(":", 1)[1] if spec.startswith("official:") else loaded.name
    if not spec.startswith("official:") and not looks_like_path(spec):
        taken, *others = named_files(spec)
        loaded.notices += [f"--model {spec}: took the shipped {taken.name}; yours is {other} (pass that path to "
                           f"--model to use it)" for other in others if other.parent != taken.parent][:1]  # fmt: skip
    return loaded


def undertrained_note(card: dict) -> str | None:
    """'undertrained: N of M images' where a card says its model saw far less than its schedule."""
    training = card.get("training", {})
    if not training.get("undertrained"):
        return None
    return f"undertrained: {training['images_seen']:,} of {training['aim_images']:,} images"


def faster_alternative(spec: str) -> str | None:
    """Where a shipped model of the same direction records how much faster than `spec` it translates on a
    CPU (its card's speed, measured against `spec`): how to use it, and how much faster (for the note on a
    long translation's estimate)."""
    for card_path in sorted(shipped_dir().glob("*.json")):
        card = json.loads(card_path.read_text())
        speed = card.get("speed", {})
        if speed.get("relative_to") == spec and card.get("direction") == "A->B":
            if cpu_has_fast_bf16():
                times = f"{speed['translate_speedup_bf16']:.1f}x"
            else:
                times = (f"{speed['translate_speedup_fp32']:.1f}x ({speed['translate_speedup_fp32_onnxruntime']:.1f}x "
                         f"with --backend onnxruntime)")  # fmt: skip
            return f"--model {card_path.stem} (the fast generator: {times} as fast end to end on a CPU like this one)"
    return None


def cost(architecture: dict) -> str:
    """A generator's cost per 256x256 frame, from a card's architecture ("" where it cannot be read)."""
    try:
        config = GeneratorConfig(**{k: v for k, v in architecture.items() if k != "type"})
        macs = count_macs(build_generator(config), 64, 64) * 16  # convolutions' work grows with the pixels
    except (TypeError, ValueError):
        return ""
    return f"{macs / 1e9:.1f} GMACs/frame"


def list_models() -> list[tuple[str, str, str]]:
    """(name to pass to --model, where it is, a short description: its cost per frame, how much faster than
    its teacher where measured, undertrained where so) for every model vidgan can use."""
    rows = []
    for where, folder in (("shipped", shipped_dir()), ("user", user_dir())):
        models = sorted(folder.glob("*.safetensors")) + sorted(folder.glob(f"*{INDEX}")) if folder.is_dir() else []
        for path in models:
            if re.search(r"-\d{5}-of-\d{5}$", path.stem):
                continue  # a shard: its index stands for it
            name = path.name.removesuffix(INDEX).removesuffix(".safetensors")
            card_path = path.with_name(f"{name}.json")
            card = json.loads(card_path.read_text()) if card_path.is_file() else {}
            if card.get("kind") == "judge":
                continue  # an evaluation classifier, not a translation model
            notes = [cost(card["architecture"]) if "architecture" in card else ""]
            if card.get("speed"):
                key = "translate_speedup_bf16" if cpu_has_fast_bf16() else "translate_speedup_fp32"
                notes.append(f"{card['speed'][key]:.1f}x as fast as {card['speed']['relative_to']} on this CPU")
            notes.append(undertrained_note(card) or "")
            description = card.get("description", name)
            notes = "; ".join(n for n in notes if n)
            rows.append((name, where, f"[{notes}] {description}" if notes else description))
    paper = cost(GeneratorConfig().to_dict())  # the authors' generators are all the paper's ResNet
    for name in OFFICIAL_NAMES:
        state = "downloaded" if official_path(name).is_file() else "downloads on first use"
        rows.append((f"official:{name}", "official", f"[{paper}] CycleGAN authors' pretrained generator ({state})"))
    return rows
