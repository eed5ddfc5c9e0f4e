"""A clip's progress bar, and the notes written while it runs (through the bar, so they do not tear it)."""

from __future__ import annotations

from tqdm import tqdm

LONG_RUN = 120.0  # seconds: runs expected to take longer say so up front


class Progress:
    def __init__(self, total: int | None, desc: str, quiet: bool, position: int = 0, unit: str = "frame") -> None:
        self.total = total
        self.bar = tqdm(total=total, desc=desc, unit=unit, disable=quiet, position=position, leave=position == 0,
                        dynamic_ncols=True)  # fmt: skip

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

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
