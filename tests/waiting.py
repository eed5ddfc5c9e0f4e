"""Waiting for something in a test without betting on the machine's speed.

A test never fails because the machine is slow or busy (users run the suite on slower machines than ours):
waits are for a condition, checked often, and fail at once when what they wait on has ended without it. The
only bound is a guard against a hang, ten minutes, far beyond what any wait here takes on a loaded machine;
reaching it means a defect, never a slow machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

HANG_GUARD = 600.0  # seconds


def wait_until(condition: Callable[[], object], what: str, alive: Callable[[], bool] | None = None,
               poll: float = 0.05) -> object:  # fmt: skip
    """Until `condition()` is true (returned); `alive()` false first fails at once, with `what`."""
    guard = time.monotonic() + HANG_GUARD
    while not (value := condition()):
        assert alive is None or alive(), f"{what}: what it waited on ended first"
        assert time.monotonic() < guard, f"{what}: not after {HANG_GUARD:.0f} s: hung"
        time.sleep(poll)
    return value
