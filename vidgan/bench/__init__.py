"""The benchmarks: each measures its baseline in the same run and returns its table (Markdown).
`bench` is `vidgan bench`'s choice among them: models against each other, the plumbing against another
checkout, or translation speed against its baselines (and x264 presets)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from vidgan.bench.compare import against_table, model_table, plumbing_against, run_model_benchmark
from vidgan.bench.translate import (
    bench_clips,
    markdown_table,
    preset_table,
    run_benchmark,
    run_preset_benchmark,
)
from vidgan.engine.runtime import describe_device, pick_device, pick_precision
from vidgan.errors import UsageError
from vidgan.video.formats import EncodeSettings


def bench(sizes: list[tuple[int, int]], precisions: str = "auto", frames: int = 16, batch_size: int | None = None,
          device: str = "auto", working: int | None = 256, compile: bool = False, clip: Path | None = None,
          preset: str | None = None, presets: str | None = None, against: Path | None = None,
          models: str | None = None, backends: str = "torch") -> str:  # fmt: skip
    """`vidgan bench`'s table: models against each other (`models`), the plumbing against another checkout
    (`against`), or translation speed against its baselines (and with `presets`, x264 presets)."""

    if (presets or models) and clip is None:
        raise UsageError(f"{'--presets' if presets else '--models'} compares on a real clip: give --clip")
    if models:
        if "," in precisions:
            raise UsageError("--models compares at one precision: give --precision auto, fp32 or bf16")
        rows = run_model_benchmark(models.split(","), clip, frames, backends.split(","), device, precision=precisions)
        return model_table(rows, clip, describe_device(pick_device(device)))
    if precisions == "auto":
        precisions = ",".join(dict.fromkeys(["fp32", pick_precision(pick_device(device))]))
    if against is not None:
        with tempfile.TemporaryDirectory() as tmp:
            return against_table(plumbing_against(against, bench_clips(Path(tmp), sizes, frames, clip)), against)
    encode = EncodeSettings(preset=preset)
    rows = run_benchmark(sizes, precisions.split(","), frames, batch_size, device, working, compile, clip, encode)
    table = markdown_table(rows, describe_device(pick_device(device)), encode)
    if presets:
        table += "\n\n" + preset_table(run_preset_benchmark(clip, sizes[-1], presets.split(","), frames), clip.name,
                                        sizes[-1])  # fmt: skip
    return table
