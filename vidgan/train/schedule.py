"""The learning-rate schedule and fitting it into a wall-clock budget.

The paper keeps the learning rate constant for the first half of training and decays it linearly to zero
over the second half (100 + 100 epochs). We apply the same shape per iteration over `total` iterations.
"""

from __future__ import annotations

from dataclasses import dataclass


def lr_factor(step: int, total: int) -> float:
    """1 for the first half of `total` iterations, then linearly down to 0 at `total`."""
    half = total / 2
    if step < half:
        return 1.0
    return max(0.0, (total - step) / (total - half))


@dataclass
class BudgetFitter:
    """Chooses the total number of iterations so that the whole schedule, decay included, ends within a
    wall-clock budget. It measures the speed after a warm-up (compilation, caches) and keeps refining the
    total while the learning rate is still constant; once the decay has begun the total is fixed, so the
    decay is never cut short or stretched midway.

    `reserve` seconds are kept for the final checkpoint and export."""

    budget: float  # seconds for the whole run, start-up included
    reserve: float = 10.0
    warmup_steps: int = 10
    total: int | None = None  # None until measured
    _mark: tuple[int, float] | None = None  # (step, time) where the measuring window started

    def update(self, step: int, elapsed: float) -> int | None:
        """Call after each iteration with the iterations done and seconds since the run began."""
        if step == self.warmup_steps:
            self._mark = (step, elapsed)
        elif self._mark is not None and step > self._mark[0] and (self.total is None or step < self.total / 2):
            per_step = (elapsed - self._mark[1]) / (step - self._mark[0])
            remaining = self.budget - self.reserve - elapsed
            self.total = max(step + 1, step + int(remaining / per_step))
        return self.total

    def out_of_time(self, elapsed: float) -> bool:
        return elapsed >= self.budget - self.reserve
