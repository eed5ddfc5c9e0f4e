"""A clip's progress bar, and the notes written while it runs (through the bar, so they do not tear it).

Whoever else watches a translation (a Ray task's driver, the web server's job) passes a `listener`: it is
told the frames done as the bar counts them, and may stop the run by raising `Cancelled`."""

from __future__ import annotations

from collections.abc import Callable

from tqdm import tqdm

LONG_RUN = 30.0  # seconds: runs expected to take longer say so up front

Listener = Callable[[int], None]  # told the frames done since its last call


class Cancelled(Exception):
    """Raised by a listener to stop a translation (not a VidganError: a folder job stops, not skips a file)."""


class Progress:
    def __init__(self, total: int | None, desc: str, quiet: bool, position: int = 0, unit: str = "frame",
                 listener: Listener | None = None) -> None:  # fmt: skip
        self.total, self.unit, self.listener = total, unit, listener
        self.bar = tqdm(total=total, desc=desc, unit=unit, disable=quiet, position=position, leave=position == 0,
                        dynamic_ncols=True)  # fmt: skip

    def update(self, n: int = 1) -> None:
        self.bar.update(n)
        if self.listener is not None:
            self.listener(n)

    def note(self, text: str) -> None:
        if not self.bar.disable:
            self.bar.write(f"note: {text}")

    def estimate(self, per_frame: float, device: str) -> None:
        """Say up front when a run will take long (measured on the first batch, warm-up included)."""
        seconds = (self.total or 0) * per_frame
        if seconds > LONG_RUN:
            took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
            self.note(f"this will take about {took} on {device} "
                      f"({self.total} frames x {per_frame:.2f} s/frame); a GPU, a smaller --size, or a part "
                      f"(--start/--duration) is faster")  # fmt: skip

    def close(self) -> None:
        self.bar.close()
