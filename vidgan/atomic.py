"""Outputs appear whole or not at all: write to a temporary name beside the target, rename on success."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from vidgan.errors import VidganError


def check_output_path(target: Path, overwrite: bool, source: Path | None = None, folder_made: bool = False) -> None:
    """Fail before any work on an output that cannot or must not be written (`folder_made`: its folder is
    made later, by whoever runs the job)."""
    if source is not None and target.resolve() == source.resolve():
        raise VidganError(f"output {target} is the input itself: choose another name")
    if not folder_made and not target.parent.is_dir():
        raise VidganError(f"output folder does not exist: {target.parent}")
    if target.exists() and not overwrite:
        raise VidganError(f"output exists: {target} (use --overwrite to replace it)")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target` (same folder, same extension, so muxers pick the right
    format); rename it onto `target` when the block ends normally, delete it on any exception,
    KeyboardInterrupt included."""
    target = Path(target)
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp{target.suffix}")
    try:
        yield tmp
        if target.exists() and not overwrite:
            raise VidganError(f"output exists: {target} (use --overwrite to replace it)")
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text(target: str | os.PathLike, text: str) -> Path:
    """Replace `target` with `text`, atomically: reports, cards, indexes."""
    with atomic_path(target, overwrite=True) as tmp:
        tmp.write_text(text)
    return Path(target)


def leftover_temporaries(target: str | os.PathLike) -> list[Path]:
    """Temporary files of `target` that a killed process could not delete (`atomic_path`'s names)."""
    target = Path(target)
    return sorted(target.parent.glob(f".{target.stem}.{'[0-9a-f]' * 8}.tmp{target.suffix}"))
