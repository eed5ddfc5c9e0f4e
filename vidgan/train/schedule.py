"""The learning-rate schedule, measured in images, and fitting it into a wall-clock budget.

The paper keeps the learning rate constant for the first half of training and decays it linearly to zero
over the second half (100 + 100 epochs of 1,334 images at batch 1: 266,800 images). We apply the same shape
to the images seen, so a schedule means the same thing at any batch size, on any number of GPUs, and
across any number of runs that continue one another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def lr_factor(images: int, total: int) -> float:
    """1 for the first half of `total` images, then linearly down to 0 at `total`."""
    half = total / 2
    if images < half:
        return 1.0
    return max(0.0, (total - images) / (total - half))


def scaled_lr(lr: float, images_per_step: int, rule: str) -> float:
    """The batch-1 learning rate for a step that averages `images_per_step` images' gradients: Adam's
    update is scale-free, but the gradient's noise falls as 1/sqrt(batch), so `sqrt` keeps the noise of each
    image's contribution about the same (measured on the colour-inversion task: docs/benchmarks.md)."""
    return lr * {"sqrt": math.sqrt(images_per_step), "linear": images_per_step, "none": 1}[rule]


def restart_factor(steps_since_restart: int | None, ramp: int) -> float:
    """After a compact restart (Adam's moments gone), the generators' lr climbs linearly back over `ramp`
    steps: a fresh Adam's first updates are about lr * sign(gradient) for every weight at once."""
    if steps_since_restart is None or ramp <= 0:
        return 1.0
    return min(1.0, (steps_since_restart + 1) / ramp)


@dataclass
class BudgetFitter:
    """Chooses the schedule's length in images so that the whole of it, decay included, ends within a
    wall-clock budget. It measures the speed after a warm-up (compilation, caches) and keeps refining the
    total while the learning rate is still constant; once the decay has begun the total is fixed, so the
    decay is never cut short or stretched midway.

    `reserve` seconds are kept for the final checkpoint and export (a tenth of a budget under 100 s)."""

    budget: float  # seconds for the whole run, start-up included
    reserve: float | None = None  # None: 10 s, or a tenth of a shorter budget
    warmup_steps: int = 10  # steps before the speed is measured (compilation, caches) ...
    warmup_seconds: float = 20.0  # ... or fewer, past the first, once this long has gone (slow CPU steps)
    total: int | None = None  # images; None until measured
    _mark: tuple[int, float] | None = None  # (images, time) where the measuring window started
    _steps: int = 0

    def __post_init__(self) -> None:
        if self.reserve is None:
            self.reserve = min(10.0, self.budget / 10)

    def update(self, images: int, elapsed: float) -> int | None:
        """Call after each step with the images seen so far and the seconds since the run began."""
        self._steps += 1
        if self._mark is None and (self._steps >= self.warmup_steps or elapsed >= self.warmup_seconds):
            self._mark = (images, elapsed)
        elif self._mark is not None and images > self._mark[0] and (self.total is None or images < self.total / 2):
            per_image = (elapsed - self._mark[1]) / (images - self._mark[0])
            remaining = self.budget - self.reserve - elapsed
            self.total = max(images + 1, images + int(remaining / per_image))
        return self.total

    def out_of_time(self, elapsed: float) -> bool:
        return elapsed >= self.budget - self.reserve
