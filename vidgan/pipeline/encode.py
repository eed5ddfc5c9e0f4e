"""Encode, the sink stage: each record's output into the file at the record's time, with the input's sound."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch

from vidgan.pipeline.progress import Progress
from vidgan.pipeline.record import FrameRecord, Result
from vidgan.video.encode import VideoWriter


class Encode:
    """Writes records as they come (`writer` scales each output to the file's size); `flush` finishes the
    file. With `compare`, the input is written beside the output (and a masked model's mask beside them,
    white where the output is the generator's, black where it is the input's own). Where the input broke off
    (`result.partial`), the sound stops with the last frame. With `keep`, only the records whose pts it
    accepts are written (a segment's own frames: its smoother's warm-up and look-ahead are not)."""

    def __init__(self, writer: VideoWriter, result: Result, progress: Progress, compare: bool = False,
                 keep: Callable[[int], bool] | None = None) -> None:  # fmt: skip
        self.writer, self.result, self.progress, self.compare, self.keep = writer, result, progress, compare, keep
        self.end: float | None = None  # output seconds where the last frame written ends

    def feed(self, record: FrameRecord) -> list[FrameRecord]:
        if self.keep is not None and not self.keep(record.pts):
            self.progress.update()
            return []
        rgb = np.asarray(record.output)  # waits here for an output still on its way from a GPU
        if self.compare:
            h, w = record.full.shape[:2]
            if rgb.shape[:2] != (h, w):
                rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_CUBIC)
            panels = [record.full, rgb]
            if record.mask is not None:
                mask = record.mask.cpu().numpy() if isinstance(record.mask, torch.Tensor) else record.mask
                panels.append(np.repeat(mask[..., None], 3, axis=2))
            rgb = np.hstack(panels)
        self.writer.write(rgb, record.pts)
        self.end = self.writer.frame_end(record.pts)
        self.progress.update()
        return []

    def flush(self) -> list[FrameRecord]:
        self.writer.close(audio_until=self.end if self.result.partial else None)
        return []
