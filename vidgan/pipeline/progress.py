"""A clip's progress bar, and the notes written while it runs (through the bar, so they do not tear it).

Whoever else watches a translation (a Ray task's driver, the web server's job) passes a `listener`: it is
told the frames done as the bar counts them, and may stop the run by raising `Cancelled`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from tqdm import tqdm

logger = logging.getLogger(__name__)

LONG_RUN = 30.0  # seconds: runs expected to take longer say so up front

Listener = Callable[[int], None]  # told the frames done since its last call


class Cancelled(Exception):
    """Raised by a listener to stop a translation (not a VidganError: a folder job stops, not skips a file)."""


class Progress:
    def __init__(self, total: int | None, desc: str, quiet: bool, position: int = 0, unit: str = "frame",
                 listener: Listener | None = None) -> None:  # fmt: skip
        self.total, self.unit, self.listener = total, unit, listener
        # Files take seconds to minutes each, or none when a rerun skips them: no rate for a bar of files.
        plain = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} files [{elapsed}]" if unit == "file" else None
        self.bar = tqdm(total=total, desc=desc, unit=unit, disable=quiet, position=position, leave=position == 0,
                        dynamic_ncols=True, bar_format=plain)  # fmt: skip

    def update(self, n: int = 1) -> None:
        self.bar.update(n)
        if self.listener is not None:
            self.listener(n)

    def check(self) -> None:
        """Before each batch: a listener may stop the run here (raising `Cancelled`), so a cancel reaches the
        pipeline within a batch, not after the frames already on their way to the encoder."""
        if self.listener is not None:
            self.listener(0)

    def note(self, text: str) -> None:
        """A line for the user (through `logging`: the CLI shows it above the bar)."""
        if not self.bar.disable:
            logger.info(f"note: {text}")

    def estimate(self, per_frame: float, device: str, advice: str | None = None) -> None:
        """Say up front when a run will take long (measured on the first batch, warm-up included), and what
        would be faster (`advice`: another model, first)."""
        seconds = (self.total or 0) * per_frame
        if seconds > LONG_RUN:
            took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
            faster = ", ".join([*([advice] if advice else []), "a GPU", "a smaller --size",
                                "a part (--start/--duration)"])  # fmt: skip
            self.note(f"this will take about {took} on {device} ({self.total} frames x {per_frame:.2f} s/frame); "
                      f"faster: {faster}")  # fmt: skip

    def close(self) -> None:
        self.bar.close()
