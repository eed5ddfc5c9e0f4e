"""Upsample, the stage that brings each output from the working size to the output size with the input's
detail (vidgan/upsample.py has the methods): with OpenCV on the host, or with torch where the outputs are."""

from __future__ import annotations

import torch

from vidgan.ops.upsampling import Upsampler
from vidgan.pipeline.record import FrameRecord


class Upsample:
    """Stage: each record's output at the size of its `full` input."""

    def __init__(self, method: str, backend: str = "opencv") -> None:
        self.upsampler = Upsampler(method, backend)

    def feed(self, record: FrameRecord) -> list[FrameRecord]:
        with torch.inference_mode():
            record.output = self.upsampler(record.source, record.output, record.full)
        return [record]

    def flush(self) -> list[FrameRecord]:
        return []
