"""A clip's progress bar, and the notes written while it runs (through the bar, so they do not tear it).

In a worker of a cluster the bars are off and `forward_frames` sends the frames counted by every bar of
the process to the driver's overall bar instead (a Ray task runs alone in its process)."""

from __future__ import annotations

from collections.abc import Callable

from tqdm import tqdm

LONG_RUN = 120.0  # seconds: runs expected to take longer say so up front

_forward: Callable[[int], None] | None = None


def forward_frames(sink: Callable[[int], None] | None) -> None:
    """From now on, every bar in this process also hands its updates to `sink` (None: stop)."""
    global _forward
    _forward = sink


class Progress:
    def __init__(self, total: int | None, desc: str, quiet: bool, position: int = 0, unit: str = "frame") -> None:
        self.total, self.unit = total, unit
        self.bar = tqdm(total=total, desc=desc, unit=unit, disable=quiet, position=position, leave=position == 0,
                        dynamic_ncols=True)  # fmt: skip

    def update(self, n: int = 1) -> None:
        self.bar.update(n)
        if _forward is not None and self.unit == "frame":
            _forward(n)

    def note(self, text: str) -> None:
        if not self.bar.disable:
            self.bar.write(f"note: {text}")

    def estimate(self, per_frame: float, device: str) -> None:
        """Say up front when a run will take long (measured on the first batch, warm-up included)."""
        if self.total and self.total * per_frame > LONG_RUN:
            self.note(f"this will take about {self.total * per_frame / 60:.0f} min on {device} "
                      f"({self.total} frames x {per_frame:.2f} s/frame); a GPU, a smaller --size, or a part "
                      f"(--start/--duration) is faster")  # fmt: skip

    def close(self) -> None:
        self.bar.close()
