"""The records the pipeline passes along: one per frame (its time, its input, later its output), and one per
clip (what the translation did)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from vidgan.ops.smoothing import Motion


@dataclass
class FrameRecord:
    """One frame on its way from the decoder to the encoder. Each stage fills in what it makes; nothing is
    paired up again later, so a stage that holds frames back (batching, smoothing's look-ahead) holds
    their records, and order and timestamps take care of themselves."""

    pts: int  # the input frame's timestamp, in the input stream's time base; the encoder keeps it
    source: np.ndarray  # (h, w, 3) uint8 upright RGB at the working size: the generator's input
    full: np.ndarray | None = None  # the input at the output size: for upsampling and --compare
    motion: Motion | None = None  # how the input relates to the previous one (smoothing only)
    # The translated frame, (h', w', 3) uint8: a tensor where the generator left it (on a GPU) until the
    # Download stage, then a numpy array or an `OnTheWay` download.
    output: np.ndarray | torch.Tensor | OnTheWay | None = None
    # A masked generator's mask at the output size, (H, W) uint8 0-255 (Composite): smoothing keeps the
    # input's own pixels where it is 0.
    mask: np.ndarray | torch.Tensor | None = None


class OnTheWay:
    """An output being copied from the GPU into pinned host memory; reading it waits for the copy (the
    waiting thread sleeps rather than spins)."""

    def __init__(self, host: torch.Tensor, done: torch.cuda.Event) -> None:
        self.host, self.done = host, done

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        self.done.synchronize()
        return self.host.numpy()


@dataclass
class Result:
    """What one translation did: the clip's record, filled in by the stages and the job that runs them."""

    src: Path
    dst: Path
    frames: int = 0
    seconds: float = 0.0
    notices: list[str] = field(default_factory=list)
    error: str | None = None  # the file failed (folder mode records it and carries on)
    skipped: bool = False  # the output existed (folder mode: a rerun resumes)
    partial: str | None = None  # the input broke off and the frames before the break were kept (--keep-partial)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0
