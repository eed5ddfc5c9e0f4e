"""`vidgan bench-live`: live translation of a camera-like source on this machine, with its baselines in the
same run. A real clip, scaled to the camera's size (640x480), is played at the camera's rate (30 frames/s)
for `seconds`, looped, through `vidgan live`'s path (pipeline/live.py, `--size auto`); printed: the size
chosen, frames/s translated against the camera's, the delay from capture to output (median, 95th
percentile), and the generator alone at that size."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vidgan.engine.translator import make_translator
from vidgan.models.registry import load_model
from vidgan.pipeline.live import LiveTranslator, choose_size, run_live
from vidgan.pipeline.options import TranslateOptions
from vidgan.video.decode import probe, read_frames

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)
CAMERA = (640, 480)


class PlayedCamera:
    """Frames of a clip (the first `keep` of them, scaled to `size`) played as a camera would, at `rate`,
    looped, for `seconds`: each frame's capture time is when it was due."""

    def __init__(self, clip: Path, size: tuple[int, int], rate: float, seconds: float, keep: int = 300) -> None:
        info = probe(clip)
        self.frames = [f.rgb for _, f in zip(range(keep), read_frames(info, size))]
        self.rate, self.seconds = rate, seconds

    def __iter__(self) -> Iterator[tuple[np.ndarray, float, int]]:
        started = time.monotonic()
        for i in range(int(self.seconds * self.rate)):
            due = started + i / self.rate
            time.sleep(max(0.0, due - time.monotonic()))
            yield self.frames[i % len(self.frames)], due, round(1000 * i / self.rate)

    def close(self) -> None:
        pass


def run_live_benchmark(clip: Path, model: str, seconds: float = 30.0, rate: float = 30.0,
                       device: str = "auto") -> dict:  # fmt: skip
    camera = PlayedCamera(clip, CAMERA, rate, seconds)
    translator = make_translator(load_model(model).generator, TranslateOptions(device=device))
    chosen, alone = choose_size(translator, camera.frames[0], rate)
    say(f"size {chosen} px: the generator alone {1000 * alone:.0f} ms a frame; playing {seconds:g} s at {rate:g}/s")
    live = LiveTranslator(translator, chosen, lambda frame: None)
    summary = run_live(camera, live, [])
    return summary | {"model": model, "camera": f"{CAMERA[0]}x{CAMERA[1]} at {rate:g} frames/s, {seconds:g} s",
                      "generator_alone_frames_per_s": 1 / alone, "clip": clip.name}  # fmt: skip


def markdown(r: dict, device: str) -> str:
    return "\n".join([
        f"Device: {device}. {r['model']}, a camera of {r['camera']} (frames of {r['clip']}); `--size auto` chose "
        f"{r['size']} px.", "",
        "| figure | value |", "|---|---|",
        f"| frames/s translated (the camera's) | {r['frames_per_s']:.1f} ({r['source_frames_per_s']:.1f}) |",
        f"| the generator alone at {r['size']} px, frames/s | {r['generator_alone_frames_per_s']:.1f} |",
        f"| delay from capture to output: median, 95th percentile | {r['delay_ms_median']:.0f} ms, "
        f"{r['delay_ms_p95']:.0f} ms |",
        f"| frames dropped (never queued) | {r['dropped']} |",
    ])  # fmt: skip
