"""Composite, the stage of a masked generator: its content brought to the output size (the upsampling
method's way) and its mask (bilinear), over the full-resolution input as the background. Only the masked
region carries the working size's resolution; elsewhere the output is the input's own pixels."""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vidgan.ops.composite import composite_frame
from vidgan.ops.upsampling import Upsampler
from vidgan.pipeline.record import FrameRecord


def composite_at_output_size(upsampler: Upsampler, source, output, background):
    """source (h, w, 3) uint8: the generator's input; output (h', w', 4) uint8: its content and mask (h' >= h
    where the output was padded to an even size); background (H, W, 3) uint8: the input at the output size.
    Returns (the translation (H, W, 3), the mask (H, W) 0-255), numpy or torch as `output` is."""
    content, mask = output[..., :3], output[..., 3]
    height, width = background.shape[:2]
    if content.shape[:2] != (height, width):
        content = upsampler(source, content, background)
        if isinstance(mask, np.ndarray):
            mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
        else:
            mask = F.interpolate(mask[None, None].float(), size=(height, width), mode="bilinear")[0, 0]
            mask = mask.round_().to(torch.uint8)
    if isinstance(content, torch.Tensor) and isinstance(background, np.ndarray):
        background = torch.as_tensor(np.require(background, requirements="W")).to(content.device)
    return composite_frame(background, content, mask), mask


class Composite:
    """Stage: each record's output composited at the size of its `full` input (which the decoder gives
    whenever the generator is masked); the mask stays on the record for smoothing and --compare."""

    def __init__(self, method: str, backend: str = "opencv") -> None:
        self.upsampler = Upsampler(method, backend)

    def feed(self, record: FrameRecord) -> list[FrameRecord]:
        with torch.inference_mode():
            record.output, record.mask = composite_at_output_size(self.upsampler, record.source, record.output,
                                                                  record.full)  # fmt: skip
        return [record]

    def flush(self) -> list[FrameRecord]:
        return []
