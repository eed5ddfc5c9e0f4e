"""`vidgan progress`: where a training run (its log.jsonl) or a compact state (its progress.json) stands."""

from __future__ import annotations

import json
from pathlib import Path

from vidgan.errors import VidganError

BOOKKEEPING = ("step", "images", "schedule_images", "lr", "images_per_s", "seconds")  # log fields that are not losses


def read_log(run_dir: str | Path) -> list[dict]:
    """A run's log.jsonl as records (a line being written is skipped)."""
    log = Path(run_dir) / "log.jsonl"
    if not log.is_file():
        raise VidganError(f"no training run at {run_dir} (no log.jsonl)")
    records = []
    for line in log.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def losses(record: dict) -> dict[str, float]:
    return {k: v for k, v in record.items() if k not in BOOKKEEPING}


def _share(done: int, total: int | None) -> str:
    return f"{done:,} of {total:,} images ({100 * done / total:.1f}%)" if total else f"{done:,} images"


def describe_run(run_dir: Path) -> str:
    records = read_log(run_dir)
    if not records:
        return f"run {run_dir}: started, nothing logged yet"
    last = records[-1]
    recent = [r["images_per_s"] for r in records[-5:] if r.get("images_per_s")]
    speed = f", {sum(recent) / len(recent):.2f} images/s lately" if recent else ""
    figures = ", ".join(f"{k} {v:.3f}" for k, v in losses(last).items())
    return (f"run {run_dir}: {_share(last['images'], last.get('schedule_images'))}{speed}, lr {last['lr']:.2e}; "
            f"at step {last['step']}: {figures}")  # fmt: skip


def describe_state(folder: Path) -> str:
    try:
        progress = json.loads((folder / "progress.json").read_text())
    except (OSError, ValueError) as e:
        raise VidganError(f"{folder} is not a compact training state (progress.json: {e})") from None
    runs = progress.get("runs", [])
    last = runs[-1].get("ended", runs[-1].get("started", "")) if runs else ""
    return (
        f"state {folder}: {_share(progress['images_seen'], progress.get('schedule_images'))} in {len(runs)} "
        f"run(s), {progress['train_seconds'] / 3600:.2f} h of training" + (f", the last ended {last}" if last else "")
    )


def describe(path: str | Path) -> str:
    """One line on a run folder, a folder holding one run (a runs folder of one), or a compact state."""
    path = Path(path)
    if (path / "progress.json").is_file():
        return describe_state(path)
    if (path / "log.jsonl").is_file():
        return describe_run(path)
    runs = [p for p in path.iterdir() if (p / "log.jsonl").is_file()] if path.is_dir() else []
    if len(runs) == 1:
        return describe_run(runs[0])
    raise VidganError(f"{path} is not a training run or a compact state")
