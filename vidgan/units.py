"""The text forms of times and sizes, one syntax everywhere (translate's --start, training budgets, the
server's limits and form fields): what the CLI and the server turn into numbers before anything else sees
them. No other vidgan import: every layer may use it."""

from __future__ import annotations

import math
import re

from vidgan.errors import VidganError

_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_BYTES = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_seconds(text: str) -> float:
    """'12.5', '12.5s', '1:02.5', '0:01:02.5', '9m', '1h30m', '1m2.5s' -> seconds (finite, not negative)."""
    clean = text.strip().lower().replace(" ", "")
    try:
        if re.fullmatch(r"\d+(\.\d*)?(:\d+(\.\d*)?){0,2}s?", clean):  # seconds, or [h:]m:s
            seconds = 0.0
            for part in clean.removesuffix("s").split(":"):
                seconds = seconds * 60 + float(part)
        elif re.fullmatch(r"(\d+(\.\d*)?[hms])+", clean):
            seconds = sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d*)?)([hms])", clean))
        else:
            raise ValueError
    except ValueError:
        raise VidganError(f"{text!r} is not a time: use seconds (12.5), [h:]m:s (1:02.5) or 9m, 1h30m") from None
    if not math.isfinite(seconds):
        raise VidganError(f"{text!r} is not a time a clip can have")
    return seconds


def parse_bytes(text: str) -> int:
    """'10MB', '500KB', '1.5GB', '123' -> bytes (decimal units; KiB, MiB... read as the same)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise VidganError(f"{text!r} is not a size: use e.g. 10MB, 2GB")
    return int(float(match.group(1)) * _BYTES[match.group(2)])
