"""What a training run tells while it runs: the progress bar, the JSONL log, and once its speed is known, what
it will reach. One schedule, one set of numbers: the trainer's `schedule_images` (the config's, or for a time
budget the schedule fitted to it) is the total the bar, the estimate, the log, the final line and the cards
give."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import torch
from tqdm import tqdm

from vidgan.train.config import TrainConfig
from vidgan.train.export import UNDERTRAINED


class Run(Protocol):
    """What a report reads of the trainer (loop.py's Trainer)."""

    config: TrainConfig
    run_dir: Path
    quiet: bool
    device: torch.device
    clock: Callable[[], float]
    created: float
    stop_after: float | None
    step: int
    images_seen: int
    images_per_step: int
    schedule_images: int | None
    train_seconds: float
    runs: list[dict]

    @property
    def dist(self): ...

    def _log_due(self) -> bool: ...


logger = logging.getLogger(__name__)
ESTIMATE_AFTER = 5  # steps timed (after the first, which compiles) for the estimate printed up front ...
ESTIMATE_WITHIN = 20.0  # ... or fewer, once this many seconds have been timed (a slow CPU step takes seconds)


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def rate_text(rate: float) -> str:
    """Images per second with two significant digits: 0.98, 6.1, 12."""
    return f"{rate:.2g}" if rate < 10 else f"{rate:.0f}"


class Report:
    """The bar counts images against the schedule; a time-budget run's bar counts the budget's seconds
    instead (its schedule is refined while the speed is measured, and a bar whose total moved would say
    four things for one run)."""

    def __init__(self, trainer: Run) -> None:
        self.trainer = trainer
        quiet = trainer.quiet or not trainer.dist.main
        budget = trainer.config.time_budget
        self.bar = tqdm(total=round(budget) if budget else trainer.schedule_images,
                        initial=0 if budget else trainer.images_seen, unit="s" if budget else "img",
                        disable=quiet, dynamic_ncols=True)  # fmt: skip
        self.log = open(trainer.run_dir / "log.jsonl", "a") if trainer.dist.main else None
        self.window = (trainer.images_seen, trainer.clock())  # the log's speed: since the last line
        self.timed: tuple[int, float] | None = None  # (images, time) after the first step, for the estimate
        self.estimated = quiet

    def step(self, losses: dict[str, torch.Tensor], lr: float, now: float, final: bool) -> None:
        t = self.trainer
        if t.config.time_budget:
            self.bar.update(round(now - t.created) - self.bar.n)
        else:
            self.bar.update(t.images_per_step)
        if self.timed is None:
            self.timed = (t.images_seen, now)
        elif not self.estimated and (t.images_seen - self.timed[0] >= ESTIMATE_AFTER * t.images_per_step
                                     or now - self.timed[1] >= ESTIMATE_WITHIN):  # fmt: skip
            self.estimate((t.images_seen - self.timed[0]) / (now - self.timed[1]), now - t.created)
        if (final or t._log_due()) and self.log:
            values = {k: v.item() for k, v in losses.items()}
            speed = (t.images_seen - self.window[0]) / max(now - self.window[1], 1e-9)
            self.window = (t.images_seen, now)
            self.bar.set_postfix({"images": f"{t.images_seen:,}", **{k: f"{v:.3f}" for k, v in values.items()}})
            record = {"step": t.step, "images": t.images_seen, "schedule_images": t.schedule_images, "lr": lr,
                      **values, "images_per_s": round(speed, 2), "seconds": round(t.train_seconds, 1)}  # fmt: skip
            self.log.write(json.dumps(record) + "\n")
            self.log.flush()

    def finish(self) -> None:
        """A run over before its speed was timed apart from the first step (a slow device, a short budget)
        still says what it bought, from its overall rate."""
        run = self.trainer.runs[-1]
        if not self.estimated and run["seconds"]:
            self.estimate(run["images"] / run["seconds"], run["seconds"])

    def estimate(self, rate: float, elapsed: float) -> None:
        """Say, once the speed is known, what this run will buy of the schedule."""
        self.estimated = True
        t = self.trainer
        speed = f"note: {t.device.type} trains about {rate_text(rate)} images/s"
        budget = t.config.time_budget
        if budget:
            fits = t.images_seen + int(rate * max(0.0, budget - elapsed))
            logger.info(f"{speed}: the {duration(budget)} budget fits a schedule of about {fits:,} images")
            return
        left = (t.schedule_images - t.images_seen) / rate
        if t.stop_after is None or t.stop_after - elapsed >= left:
            logger.info(f"{speed}: the schedule's {t.schedule_images:,} images take about {duration(left)} here")
            return
        reach = min(t.schedule_images, t.images_seen + int(rate * max(0.0, t.stop_after - elapsed)))
        logger.info(f"{speed}: this run will reach about {reach:,} of the schedule's {t.schedule_images:,} "
                       f"images ({100 * reach / t.schedule_images:.2g}%)")  # fmt: skip
        if reach < UNDERTRAINED * t.schedule_images:
            gpu = "a GPU trains the paper's networks 100-1000x faster; " if t.device.type == "cpu" else ""
            logger.warning(
                f"far below the schedule; the models will be marked undertrained ({gpu}`--resume` or "
                "`--continue` carries a schedule on across runs)"
            )

    def close(self) -> None:
        self.bar.close()
        if self.log:
            self.log.close()
