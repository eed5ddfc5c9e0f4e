"""A training session from start to end, as `vidgan train` and `vidgan distill` run one: the settings merged
(the recipe, then what was given), the run opened (new, resumed, continued from a compact state, or warm-
started), trained, saved and its generators exported. The CLI only turns text into these arguments and
`Outcome` into text."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vidgan.errors import Interrupted, UsageError, VidganError
from vidgan.train.config import (
    CONTINUE_OVERRIDES,
    DISTILL_DEFAULTS,
    NEVER_AMENDED,
    SCHEDULE,
    TrainConfig,
    load_recipe,
)
from vidgan.train.export import export_run
from vidgan.train.loop import Trainer
from vidgan.train.runs import open_run


@dataclass
class Outcome:
    """What a session did."""

    run_dir: Path
    images_seen: int
    schedule_images: int
    iterations: int
    seconds: float
    complete: bool
    exported: list[Path] = field(default_factory=list)


def merged_settings(recipe: Path | None, given: dict) -> dict:
    """A recipe's settings with those given on top; a schedule given replaces the recipe's."""
    values = load_recipe(recipe) if recipe else {}
    if any(k in given for k in SCHEDULE):
        values.update(epochs=None, iterations=None, images=None, time_budget=None)
    return values | given


def train(given: dict, recipe: Path | None = None, resume: Path | None = None, continue_from: Path | None = None,
          init_from: Path | None = None, stop_after: float | None = None,
          clock: Callable[[], float] = time.perf_counter, save_compact: Path | None = None, export: bool = True,
          quiet: bool = False, amend: bool = False) -> Outcome:  # fmt: skip
    """`vidgan train`: `given` holds TrainConfig fields (None-free); `amend`: with `continue_from`, the settings
    given may change what is trained from there on (not the networks, not the schedule)."""
    if resume is not None and (given or recipe or continue_from):
        raise UsageError("--resume continues a run with its own settings: give no other settings")
    if amend and continue_from is None:
        raise UsageError("--amend changes the settings of a schedule continued: it goes with --continue")
    if continue_from is not None and recipe:
        raise UsageError("--continue keeps the state's recipe: give its settings one by one (with --amend)")
    if continue_from is not None and not amend and set(given) - CONTINUE_OVERRIDES:
        allowed = ", ".join(sorted("--" + k.replace("_", "-") for k in CONTINUE_OVERRIDES))
        raise UsageError(f"--continue keeps the state's recipe; of the settings it takes only {allowed} "
                         "(--amend: what is trained too, from here on)")  # fmt: skip
    if continue_from is not None and amend and set(given) & NEVER_AMENDED:
        refused = ", ".join(sorted("--" + k.replace("_", "-") for k in set(given) & NEVER_AMENDED))
        raise UsageError(f"--amend cannot change the networks or the schedule of a state: {refused}")
    config = None if resume or continue_from else TrainConfig.from_dict(merged_settings(recipe, given))
    trainer = open_run(config, resume, init_from, quiet, stop_after, continue_from,
                       given if continue_from else None, clock, save_compact)  # fmt: skip
    return run_session(trainer, export)


def distill(teacher: str | None, given: dict, resume: Path | None = None, stop_after: float | None = None,
            save_compact: Path | None = None, export: bool = True, quiet: bool = False) -> Outcome:  # fmt: skip
    """`vidgan distill`: a student of TEACHER on domain `given["a"]`, named `given["name"]`."""
    if resume is not None:
        if given or teacher:
            raise UsageError("--resume continues a run with its own teacher and settings: give no others")
        return run_session(open_run(None, resume, quiet=quiet, stop_after=stop_after, save_compact=save_compact),
                           export)  # fmt: skip
    if not teacher or not given.get("a") or not given.get("name"):
        raise UsageError("give the teacher, its domain and the student's name: TEACHER --a FOLDER --name NAME")
    values = dict(DISTILL_DEFAULTS)
    if any(k in given for k in SCHEDULE):
        values.update(epochs=None, iterations=None, images=None, time_budget=None)
    config = TrainConfig.from_dict(values | given | {"teacher": teacher})
    return run_session(open_run(config, quiet=quiet, stop_after=stop_after, save_compact=save_compact), export)


def run_session(trainer: Trainer, export: bool) -> Outcome:
    """Train an opened run to its end (or its stop), and export its generators (the main process)."""
    if trainer.complete:
        trainer.close()
        raise VidganError(f"{trainer.run_dir} is complete ({trainer.images_seen:,} of {trainer.schedule_images:,} "
                          f"images): nothing to train; `vidgan export {trainer.run_dir}` writes its "
                          f"generators")  # fmt: skip
    try:
        run_dir = trainer.run()
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted: run saved after {trainer.images_seen:,} images; continue with "
                          f"`vidgan train --resume {trainer.run_dir}`") from None  # fmt: skip
    finally:
        trainer.close()
    outcome = Outcome(run_dir, trainer.images_seen, trainer.schedule_images or trainer.images_seen, trainer.step,
                      trainer.train_seconds, trainer.complete)  # fmt: skip
    if export and trainer.dist.main:
        outcome.exported = export_run(run_dir)
    return outcome
