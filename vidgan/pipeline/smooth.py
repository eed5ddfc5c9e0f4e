"""Smoothing as two stages: Link reads the inputs (how each frame relates to the one before: flow, scene
cuts; on the CPU, ahead of the generator), Smooth applies that to the outputs, with OpenCV on the host or
with torch where the outputs are (a GPU)."""

from __future__ import annotations

from collections import deque

import torch

from vidgan.ops.composite import composite_frame
from vidgan.ops.smoothing import MotionEstimator, Smoother, SmoothingConfig
from vidgan.pipeline.record import FrameRecord


class Link:
    """Stage: each record's `motion`, from its input and the previous one's."""

    def __init__(self, config: SmoothingConfig) -> None:
        self.estimate = MotionEstimator(config.mode)

    def feed(self, record: FrameRecord) -> list[FrameRecord]:
        record.motion = self.estimate(record.source)
        return [record]

    def flush(self) -> list[FrameRecord]:
        return []


class Smooth:
    """Stage: smoothed outputs (a masked generator's inside its mask only). `flow` holds each record back
    until the next has arrived (its look-ahead), so a record may leave a call later, in order, and `flush`
    lets the last one go."""

    def __init__(self, config: SmoothingConfig, backend: str = "opencv") -> None:
        self.smoother = Smoother(config, backend)
        self.waiting: deque[FrameRecord] = deque()  # records whose smoothed output is not ready yet

    def feed(self, record: FrameRecord) -> list[FrameRecord]:
        self.waiting.append(record)
        with torch.inference_mode():
            return self._pair(self.smoother(record.output, record.motion))

    def flush(self) -> list[FrameRecord]:
        with torch.inference_mode():
            return self._pair(self.smoother.flush())

    def _pair(self, outputs: list) -> list[FrameRecord]:
        ready = []
        for output in outputs:
            record = self.waiting.popleft()
            if record.mask is not None:  # a masked generator's: smoothed inside the mask, the input outside
                output = composite_frame(record.full if record.full is not None else record.source, output,
                                         record.mask)  # fmt: skip
            record.output = output
            ready.append(record)
        return ready
