"""The translate stage: batches of uint8 RGB frames through a generator on the chosen device.

Frames of any size work: they are padded (reflect) to a multiple of 4, which the generator's two
stride-2 downsamplings need, and the result is cropped back.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidgan.errors import VidganError
from vidgan.nets import to_signed, to_uint8

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


@dataclass
class Pending:
    """A batch on its way through the generator; `result()` waits for it and returns (N, h, w, 3) uint8."""

    out: torch.Tensor  # host tensor being filled (pinned on CUDA, so the download is asynchronous)
    count: int  # real frames; the rest pads a compiled model's static batch
    done: torch.cuda.Event | None = None

    def result(self) -> np.ndarray:
        if self.done is not None:
            self.done.synchronize()
        return self.out[: self.count].numpy().copy()  # a copy: the pinned buffer is reused


class FrameTranslator:
    """Applies a generator (any module mapping (N, 3, H, W) in [-1, 1] to the same) to uint8 frames.

    On CUDA, frames go up from pinned memory on a copy stream, are converted to float on the GPU, run in
    bf16 (or fp16/fp32) channels_last, come back as uint8 on a third stream into pinned memory; so with one
    batch in flight (`submit`, then `result` later) copies overlap compute. With `compile`, the model is
    compiled once per working size with static shapes (short batches are padded to full), and the compile
    time is reported in `notices`. An out-of-memory error halves the batch and retries, with a notice.
    """

    def __init__(self, model: nn.Module, device: torch.device, precision: str = "fp32", compile: bool = False,
                 batch_size: int | None = None) -> None:  # fmt: skip
        self.device = device
        self.precision = precision
        self.model = model.to(device).eval()
        self.cuda = device.type == "cuda"
        if self.cuda:
            self.model = self.model.to(memory_format=torch.channels_last)
            self.copy_stream, self.download_stream = torch.cuda.Stream(device), torch.cuda.Stream(device)
        self.compiled = compile
        if compile:
            os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(_compile_cache()))
            self.model = torch.compile(self.model, dynamic=False)
        self.static_batch = batch_size if compile else None
        self.max_batch: int | None = None  # lowered after an out-of-memory error
        self.notices: list[str] = []
        # Applied on the device to each batch's uint8 results before download: (inputs, outputs) -> outputs
        # (temporal smoothing, where the frames already are). It may return fewer frames than it was given
        # (smoothing holds the last frame back until it sees the next): results stay in order.
        self.post: Callable[[np.ndarray, torch.Tensor], torch.Tensor] | None = None
        self._shapes: set[tuple[int, ...]] = set()
        self._buffers: dict[tuple, list] = {}  # pinned host buffers, two per shape, reused in turn

    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = _DTYPES[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)

    def _pinned(self, kind: str, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.cuda.Event]:
        """One of two pinned buffers for `shape`, once the copy that last used it has finished."""
        ring = self._buffers.setdefault((kind, shape), [])
        if len(ring) < 2:
            ring.append((torch.empty(shape, dtype=torch.uint8, pin_memory=True), torch.cuda.Event()))
        buffer, event = ring.pop(0)
        ring.append((buffer, event))
        event.synchronize()
        return buffer, event

    def _forward(self, x: torch.Tensor, crop: tuple[int, int]) -> torch.Tensor:
        """uint8 (N, H, W, 3) on the device -> uint8 (N, h, w, 3) on the device."""
        _, h, w, _ = x.shape
        x = to_signed(x.permute(0, 3, 1, 2))  # (N, 3, H, W) in [-1, 1]
        pad_h, pad_w = -h % 4, -w % 4
        if pad_h or pad_w:
            mode = "reflect" if pad_h < h and pad_w < w else "replicate"
            x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        if self.cuda:
            x = x.contiguous(memory_format=torch.channels_last)
        key = tuple(x.shape)
        first = self.compiled and key not in self._shapes
        started = time.perf_counter()
        with self._autocast():
            y = self.model(x)
        if first:
            if self.cuda:
                torch.cuda.synchronize(self.device)
            self.notices.append(f"compiled the generator for {key[0]}x{key[3]}x{key[2]} frames in "
                                f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        self._shapes.add(key)
        cw, ch = crop
        return to_uint8(y[:, :, :ch, :cw]).permute(0, 2, 3, 1).contiguous()

    def _run(self, frames: np.ndarray, crop: tuple[int, int], count: int) -> Pending:
        """Upload, translate and start the download of one batch that fits in memory (`count` real frames,
        the rest padding)."""
        if not self.cuda:
            y = self._forward(torch.from_numpy(np.require(frames, requirements="W")), crop)
            if self.post is not None:
                y = self.post(frames[:count], y[:count])
                count = len(y)
            return Pending(y, count)
        host, uploaded = self._pinned("in", frames.shape)
        host.numpy()[...] = frames
        with torch.cuda.stream(self.copy_stream):
            x = host.to(self.device, non_blocking=True)
            uploaded.record(self.copy_stream)
        compute = torch.cuda.current_stream(self.device)
        compute.wait_stream(self.copy_stream)
        x.record_stream(compute)
        y = self._forward(x, crop)
        if self.post is not None:
            y = self.post(frames[:count], y[:count])
            count = len(y)
        out, downloaded = self._pinned("out", tuple(y.shape))
        self.download_stream.wait_stream(compute)
        with torch.cuda.stream(self.download_stream):
            out.copy_(y, non_blocking=True)
            y.record_stream(self.download_stream)
            downloaded.record(self.download_stream)
        return Pending(out, count, downloaded)

    @torch.inference_mode()
    def submit(self, frames: np.ndarray, crop: tuple[int, int] | None = None) -> Pending:
        """Start translating (N, H, W, 3) uint8 frames; `crop` (w, h) may exceed the input by the padding
        to a multiple of 4, which gives an even-sized result without resampling."""
        n, h, w, _ = frames.shape
        crop = crop or (w, h)
        if self.static_batch and n < self.static_batch:  # one shape for the compiled model
            frames = np.concatenate([frames, np.repeat(frames[-1:], self.static_batch - n, axis=0)])
        limit = self.max_batch or len(frames)
        try:
            if len(frames) <= limit:
                return self._run(frames, crop, min(n, len(frames)))
        except torch.OutOfMemoryError:
            if len(frames) == 1:
                raise VidganError(
                    f"out of memory on {self.device} for a single {w}x{h} frame: use a smaller --size"
                ) from None
            limit = self.max_batch = max(1, len(frames) // 2)
            self.static_batch = None  # a compiled model meets a new batch size once more
            self.notices.append(f"out of memory at batch {len(frames)}: continuing with batch {limit}")
            if self.cuda:
                torch.cuda.empty_cache()
        parts = [self.submit(frames[i : i + limit], crop).result() for i in range(0, len(frames), limit)]
        out = torch.from_numpy(np.concatenate(parts))
        return Pending(out, len(out))

    def __call__(self, frames: np.ndarray, crop: tuple[int, int] | None = None) -> np.ndarray:
        """Translate (N, H, W, 3) uint8 frames and wait for the result."""
        return self.submit(frames, crop).result()


def _compile_cache():
    from vidgan.checkpoints import user_dir

    return user_dir() / "inductor-cache"
