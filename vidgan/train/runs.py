"""Opening a training run: a new one, a resumed one (exactly where it stopped), one continued from a compact
state (a warm restart), or a new one warm-started from another run's weights."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from vidgan.atomic import write_text
from vidgan.errors import VidganError
from vidgan.train.config import CONTINUE_OVERRIDES, TrainConfig
from vidgan.train.export import load_run_state
from vidgan.train.loop import Trainer
from vidgan.train.parts import discriminator_names
from vidgan.train.state import read_compact

logger = logging.getLogger(__name__)


def _new_run_dir(config: TrainConfig) -> Path:
    if not config.a or not (config.b or config.teacher):
        raise VidganError("give both domains: --a FOLDER --b FOLDER")
    run_dir = Path(config.runs_dir) / config.name
    if (run_dir / "state.pt").exists():
        raise VidganError(f"run {run_dir} exists: continue it with --resume {run_dir}, or pick another --name")
    return run_dir


def open_run(config: TrainConfig | None, resume: Path | None = None, init_from: Path | None = None,
             quiet: bool = False, stop_after: float | None = None, continue_from: Path | None = None,
             overrides: dict | None = None, clock: Callable[[], float] = time.perf_counter,
             save_compact: Path | None = None) -> Trainer:  # fmt: skip
    """A new run (from `config`), a resumed one (`resume`: the run folder, exactly where it stopped), one
    continued from a compact state (`continue_from`, with `overrides` such as the data's folders), or a new
    run whose four networks start from another run's weights (`init_from`). `save_compact`: a folder where
    every save also writes a compact state."""
    if resume is not None:
        state = load_run_state(resume)
        trainer = Trainer(TrainConfig.from_dict(state["config"]), Path(resume), quiet, stop_after, clock, save_compact)
        trainer.load_state_dict(state)
        return trainer
    if continue_from is not None:
        state = read_compact(continue_from)
        # Where the runs go is this machine's business, not the state's (it may come from another machine).
        config = TrainConfig.from_dict(state["config"] | {"runs_dir": TrainConfig.runs_dir} | (overrides or {}))
        trainer = Trainer(config, _new_run_dir(config), quiet, stop_after, clock, save_compact)
        try:
            trainer.load_progress(state)
        except (KeyError, RuntimeError) as e:  # an amended setting that adds or reshapes a network
            message = f"the settings given do not fit the networks of {continue_from}: {e}"
            raise VidganError(message.splitlines()[0]) from None
        # What this run trains otherwise than the state's recipe (--amend), kept in the state's history of runs.
        trainer.amended = {k: [state["config"].get(k), v] for k, v in (overrides or {}).items()
                           if k not in CONTINUE_OVERRIDES and state["config"].get(k) != v}  # fmt: skip
        if trainer.amended and not quiet:
            changes = ", ".join(f"{k} {old} -> {new}" for k, (old, new) in trainer.amended.items())
            logger.info(f"amended from here on: {changes}")
        trainer.restart()
    else:
        assert config is not None
        trainer = Trainer(config, _new_run_dir(config), quiet, stop_after, clock, save_compact)
        if init_from is not None:
            _start_from(trainer, Path(init_from), quiet)
    if trainer.dist.main:
        trainer.run_dir.mkdir(parents=True, exist_ok=True)
        write_text(trainer.run_dir / "config.json", json.dumps(trainer.config.to_dict(), indent=2) + "\n")
    return trainer


def load_generator_weights(generator: nn.Module, weights: dict, quiet: bool = True) -> None:
    """Another run's generator weights into this run's generator; a masked generator takes an unmasked one's
    weights for its content, and its mask head starts afresh (m = 0.5 everywhere)."""
    missing, unexpected = generator.load_state_dict(weights, strict=False)
    if unexpected or any(not key.startswith("mask_head.") for key in missing):
        raise RuntimeError(f"weights do not match: missing {missing[:3]}, unexpected {unexpected[:3]}")
    if missing and not quiet:
        logger.info("note: the generators' mask heads start afresh (the weights started from have none)")


def _start_from(trainer: Trainer, source: Path, quiet: bool) -> None:
    """A new run's networks from another run's (a run folder or its state.pt, or a compact state): both
    generators, and the discriminators where they have the same shapes (a distillation's may be sized
    otherwise: then they start afresh). Optimisers start afresh, hence a warm restart."""
    try:
        if (source / "progress.json").is_file():
            nets = read_compact(source)["nets"]
        else:
            path = source / "state.pt" if source.is_dir() else source
            nets = torch.load(path, map_location="cpu", weights_only=True)["nets"]
        for k in ("G_A", "G_B"):
            load_generator_weights(trainer.nets[k], nets[k], quiet or k == "G_B" or not trainer.dist.main)
        trainer.start_average()
    except (OSError, KeyError, RuntimeError) as e:
        raise VidganError(f"cannot start from {source}: {e}".splitlines()[0]) from None
    for k in discriminator_names(trainer.nets):
        try:
            trainer.nets[k].load_state_dict(nets[k])
        except (KeyError, RuntimeError):
            if not quiet:
                logger.info(f"note: {k} starts afresh ({source}'s is missing or of another size)")
    trainer.restart()
