"""A loss plot from a run's log.jsonl, drawn with PIL (no plotting library needed)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from vidgan.atomic import atomic_path
from vidgan.errors import VidganError
from vidgan.train.progress import losses, read_log

COLOURS = [
    (214, 39, 40),
    (255, 127, 14),
    (31, 119, 180),
    (148, 103, 189),
    (44, 160, 44),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
]  # one per loss, in the order the log names them


def plot_losses(run_dir: str | Path, out: str | Path | None = None, size: tuple[int, int] = (900, 500)) -> Path:
    """One line per loss against the iteration, each scaled to its own maximum (the legend gives it)."""
    run_dir = Path(run_dir)
    records = read_log(run_dir)
    if len(records) < 2:
        raise VidganError(f"{run_dir / 'log.jsonl'} has fewer than two log lines: nothing to plot yet")
    w, h = size
    left, right, top, bottom = 60, 20, 20, 40
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([left, top, w - right, h - bottom], outline=(0, 0, 0))
    steps = [r["step"] for r in records]
    x0, x1 = steps[0], steps[-1]
    legend_y = top + 5
    for name, colour in zip(losses(records[-1]), COLOURS):  # the CycleGAN's six, or a distillation's
        values = [r.get(name, 0.0) for r in records]
        peak = max(values) or 1.0
        points = [(left + (s - x0) / max(x1 - x0, 1) * (w - left - right), h - bottom - v / peak * (h - top - bottom))
                  for s, v in zip(steps, values)]  # fmt: skip
        draw.line(points, fill=colour, width=2)
        draw.text((w - right - 170, legend_y), f"{name} (max {max(values):.3g})", fill=colour)
        legend_y += 14
    draw.text((left, h - bottom + 10), f"iteration {x0}", fill=(0, 0, 0))
    draw.text((w - right - 110, h - bottom + 10), f"iteration {x1}", fill=(0, 0, 0))
    out = Path(out) if out else run_dir / "losses.png"
    with atomic_path(out, overwrite=True) as tmp:
        image.save(tmp)
    return out
