"""The translate stage: batches of uint8 RGB frames through a generator on the chosen device.

Frames of any size work: they are padded (reflect) to a multiple of 4, which the generator's two
stride-2 downsamplings need, and the result is cropped back.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidgan.errors import VidganError

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def pick_device(name: str = "auto") -> torch.device:
    """`auto`: CUDA, then Apple's MPS, then the CPU. A named device that is absent is an error."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if name not in DEVICES:
        raise VidganError(f"unknown device {name!r}: use one of {', '.join(DEVICES)}")
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise VidganError(f"--device {name} asked for, but this machine has no {name.upper()} device")
    return torch.device(name)


@functools.cache
def cpu_has_fast_bf16() -> bool:
    """True where the CPU multiplies bf16 in hardware (AMX-BF16 or AVX512-BF16): there bf16 autocast
    runs the generator about 3x faster than fp32 for a mean difference under 1/255."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def pick_precision(device: torch.device, precision: str = "auto") -> str:
    """`auto`: bf16 on CUDA and on CPUs with bf16 hardware, else fp32."""
    if precision not in PRECISIONS:
        raise VidganError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    if device.type == "cuda" or (device.type == "cpu" and cpu_has_fast_bf16()):
        return "bf16"
    return "fp32"


def default_batch_size(device: torch.device) -> int:
    """Frames per generator call: batches keep a GPU busy; on a CPU they only add latency (measured:
    batch 4 ran 3-10% slower per frame than batch 1 on 2 cores)."""
    return 8 if device.type == "cuda" else 1


class FrameTranslator:
    """Applies a generator (any module mapping (N, 3, H, W) in [-1, 1] to the same) to uint8 frames."""

    def __init__(self, model: nn.Module, device: torch.device, precision: str = "fp32") -> None:
        self.device = device
        self.precision = precision
        self.model = model.to(device).eval()
        if device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)

    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = _DTYPES[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)

    @torch.inference_mode()
    def __call__(self, frames: np.ndarray, crop: tuple[int, int] | None = None) -> np.ndarray:
        """(N, H, W, 3) uint8 -> (N, h, w, 3) uint8, (w, h) = `crop` or the input's size.

        `crop` may exceed the input by the padding (up to the next multiple of 4): the caller uses that
        to get an even-sized frame without resampling."""
        n, h, w, _ = frames.shape
        x = torch.from_numpy(frames).to(self.device, non_blocking=True)
        x = x.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)  # (N, 3, H, W) in [-1, 1]
        pad_h, pad_w = -h % 4, -w % 4
        if pad_h or pad_w:
            mode = "reflect" if pad_h < h and pad_w < w else "replicate"
            x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        if self.device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            y = self.model(x)
        cw, ch = crop or (w, h)
        y = y[:, :, :ch, :cw].float().clamp_(-1.0, 1.0).add_(1.0).mul_(127.5).round_()
        return y.to(torch.uint8).permute(0, 2, 3, 1).contiguous().cpu().numpy()
