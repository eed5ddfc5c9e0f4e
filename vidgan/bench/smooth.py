"""`vidgan bench-smooth`: does smoothing remove flicker, what does it cost, how far does it move the result?

For each (clip, model) it translates the clip three times in one run (per-frame, ema, flow at the default
strength), then reports the warping error under DIS and Farneback flow, the PSNR and SSIM of the smoothed
results to the per-frame one, and the smoother's own cost in ms per frame at 360p and 720p.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidgan.eval.temporal import frames_of, temporal_report
from vidgan.models.registry import load_model
from vidgan.ops.smoothing import DEFAULT_STRENGTH, MotionEstimator, Smoother, SmoothingConfig
from vidgan.pipeline.executors import run_job
from vidgan.pipeline.options import TranslateOptions
from vidgan.video.formats import EncodeSettings

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)


@dataclass
class SmoothRow:
    clip: str
    mode: str
    dis: float
    farneback: float
    psnr: float | None
    ssim: float | None


def smoother_cost(frames: list[np.ndarray], mode: str, size: tuple[int, int], strength: float,
                  repeats: int = 5) -> float:  # fmt: skip
    """Milliseconds per frame of the smoother alone on frames resized to `size`: the median frame over
    `repeats` passes, each with a fresh smoother (robust to a busy moment, and to the buffers a smoother
    allocates on its first frames; the mean over one pass of 30 frames reads about 0.5 ms more at 720p)."""
    resized = [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames]
    times = []
    for _ in range(repeats):
        motion, smoother = MotionEstimator(mode), Smoother(SmoothingConfig(mode, strength))
        smoother(resized[0], motion(resized[0]))
        for frame in resized[1:]:
            start = time.perf_counter()
            smoother(frame, motion(frame))  # both halves: the inputs' motion and the outputs' smoothing
            times.append(1000 * (time.perf_counter() - start))
    return float(np.median(times))


def run_smoothing_benchmark(jobs: list[tuple[Path, str]], duration: float | None, strength: float = DEFAULT_STRENGTH,
                            ) -> tuple[list[SmoothRow], dict[str, dict[str, float]]]:  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for clip, model in jobs:
            outputs = {}
            for mode in ("none", "ema", "flow"):
                options = TranslateOptions(quiet=True, duration=duration, encode=EncodeSettings(crf=12),
                                           smooth=SmoothingConfig(mode, strength))  # fmt: skip
                outputs[mode] = tmp / f"{clip.stem}_{mode}.mp4"
                run_job(clip, outputs[mode], load_model(model), options)
            for mode, path in outputs.items():
                report = temporal_report(clip, path, None if mode == "none" else outputs["none"], duration=duration)
                row = SmoothRow(clip.name, mode, report["warping_error"]["dis"], report["warping_error"]["farneback"],
                                report.get("psnr_to_reference"), report.get("ssim_to_reference"))  # fmt: skip
                say(f"{clip.name}, {mode}: warping error {row.dis:.5f} (DIS), {row.farneback:.5f} (Farneback)"
                    + (f", {row.psnr:.1f} dB to per-frame" if row.psnr is not None else ""))  # fmt: skip
                rows.append(row)
        sample = list(itertools.islice(frames_of(jobs[0][0]), 30))  # decode only what is timed
        costs = {mode: {f"{h}p": smoother_cost(sample, mode, (w, h), strength) for w, h in ((640, 360), (1280, 720))}
                 for mode in ("ema", "flow")}  # fmt: skip
    return rows, costs


def markdown_table(rows: list[SmoothRow], costs: dict[str, dict[str, float]], strength: float) -> str:
    lines = [f"Strength {strength}. Warping error: lower is steadier (pixels in [0, 1], squared).", "",
             "| clip | smoothing | warping error (DIS) | warping error (Farneback) | vs per-frame (Farneback) "
             "| PSNR to per-frame | SSIM to per-frame |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    base = {r.clip: r for r in rows if r.mode == "none"}
    for r in rows:
        ratio = r.farneback / base[r.clip].farneback
        psnr = f"{r.psnr:.1f} dB" if r.psnr is not None else "-"
        ssim = f"{r.ssim:.3f}" if r.ssim is not None else "-"
        lines.append(f"| {r.clip} | {r.mode} | {r.dis:.5f} | {r.farneback:.5f} | {ratio:.2f} | {psnr} | {ssim} |")
    lines += ["", "| smoothing | ms per frame at 360p | ms per frame at 720p |", "|---|---|---|"]
    for mode, cost in costs.items():
        lines.append(f"| {mode} | {cost['360p']:.1f} | {cost['720p']:.1f} |")
    return "\n".join(lines)
