"""The frame translator, below the pipeline and the trainer alike: a generator applied to uint8 frames on the
chosen device and precision (torch, or onnxruntime on the CPU), with padding to a multiple of 4, compile,
and halving the batch on out-of-memory. `make_translator` builds the one translate's options ask for.

Frames of any size work: they are padded (reflect) to a multiple of 4, which the generator's two stride-2
downsamplings need, and the result is cropped back.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidgan.engine.runtime import autocast, pick_device, pick_precision, tune_for, use_compile_cache
from vidgan.errors import VidganError
from vidgan.models.nets import to_signed, to_uint8
from vidgan.ops.composite import composite_frame, is_masked


def default_batch_size(device: torch.device) -> int:
    """Frames per generator call: batches keep a GPU busy; on a CPU they only add latency (measured:
    batch 4 ran 3-10% slower per frame than batch 1 on 2 cores)."""
    return 8 if device.type == "cuda" else 1


class FrameTranslator:
    """Applies a generator (any module mapping (N, 3, H, W) in [-1, 1] to the same, or a masked one's to
    (N, 4, H, W): content and mask) to uint8 frames.

    On CUDA, a batch goes up from pinned memory without blocking, is converted to float on the GPU and runs
    in bf16 (or fp16/fp32) channels_last; `run` returns as soon as the work is queued, so the host prepares
    the next batch meanwhile. With `compile`, the model is compiled once per working size with static shapes
    (short batches are padded to full; on CUDA it is captured as a CUDA graph, no launch overhead), and
    the compile time is reported in `notices`. An out-of-memory error halves the batch and retries.
    """

    def __init__(self, model: nn.Module, device: torch.device, precision: str = "fp32", compile: bool = False,
                 batch_size: int | None = None) -> None:  # fmt: skip
        self.device = device
        self.precision = precision
        # A masked generator's outputs carry their mask: the pipeline composites them at the output size.
        self.masked = bool(getattr(getattr(model, "config", None), "mask", False))
        self.model = model.to(device).eval()
        self.cuda = device.type == "cuda"
        tune_for(device)
        if self.cuda:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.compiled = compile
        if compile:
            use_compile_cache()
            self.model = torch.compile(self.model, dynamic=False, mode="reduce-overhead" if self.cuda else None)
        self.static_batch = batch_size if compile else None
        self.max_batch: int | None = None  # lowered after an out-of-memory error
        self.notices: list[str] = []
        self.advice: str | None = None  # a faster way (another model), for the note on a long run's estimate
        self._shapes: set[tuple[int, ...]] = set()

    def take_notices(self) -> list[str]:
        """What the user should know of the runs so far (a compile, a smaller batch), handed over once."""
        notices, self.notices = self.notices, []
        return notices

    def _upload(self, frames: Sequence[np.ndarray]) -> torch.Tensor:
        """N frames (H, W, 3) as one uint8 (N, H, W, 3) tensor on the device: stacked straight into pinned
        memory on CUDA and copied up without blocking."""
        if not self.cuda:
            return torch.from_numpy(np.stack(frames))
        host = torch.empty((len(frames), *frames[0].shape), dtype=torch.uint8, pin_memory=True)
        np.stack(frames, out=host.numpy())
        return host.to(self.device, non_blocking=True)

    def _forward(self, x: torch.Tensor, crop: tuple[int, int]) -> torch.Tensor:
        """uint8 (N, H, W, 3) on the device -> uint8 (N, h, w, 3) on the device; (N, h, w, 4) from a masked
        generator, its mask 0-255 in the last channel."""
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
        if self.compiled and self.cuda:
            torch.compiler.cudagraph_mark_step_begin()  # the last batch's graph outputs are used up
        with autocast(self.device, self.precision):
            y = self.model(x)
        if first:
            if self.cuda:
                torch.cuda.synchronize(self.device)
            self.notices.append(f"compiled the generator for {key[0]}x{key[3]}x{key[2]} frames in "
                                f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        self._shapes.add(key)
        cw, ch = crop
        if is_masked(y, 1):
            y = torch.cat([y[:, :3], y[:, 3:] * 2 - 1], dim=1)  # the mask's [0, 1] as the pixels' [-1, 1]
        return to_uint8(y[:, :, :ch, :cw]).permute(0, 2, 3, 1).contiguous()

    @torch.inference_mode()
    def run(self, frames: np.ndarray | Sequence[np.ndarray], crop: tuple[int, int] | None = None) -> torch.Tensor:
        """Translate N uint8 frames (an (N, H, W, 3) array or N (H, W, 3) arrays): (N, h, w, 3) uint8 on the
        device, perhaps still being computed there. `crop` (w, h) may exceed the input by the padding to a
        multiple of 4, which gives an even-sized result without resampling."""
        frames = list(frames)
        n, (h, w) = len(frames), frames[0].shape[:2]
        crop = crop or (w, h)
        if self.static_batch and n < self.static_batch:  # one shape for the compiled model
            frames += [frames[-1]] * (self.static_batch - n)
        limit = self.max_batch or len(frames)
        try:
            if len(frames) <= limit:
                return self._forward(self._upload(frames), crop)[:n]
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
        # The real frames only, in parts that fit: padding added for a static shape is not translated.
        return torch.cat([self.run(frames[i : min(i + limit, n)], crop) for i in range(0, n, limit)])

    def __call__(self, frames: np.ndarray | Sequence[np.ndarray], crop: tuple[int, int] | None = None) -> np.ndarray:
        """Translate uint8 frames and wait for the result, (N, h, w, 3) uint8 on the host: a masked
        generator's composited at the working size (the pipeline composites at the output size instead)."""
        out = self.run(frames, crop).cpu().numpy()
        if not is_masked(out, 3):
            return out
        return np.stack([composite_frame(_fit(f, o.shape[:2]), o[..., :3], o[..., 3]) for f, o in zip(frames, out)])


def _fit(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The frame cropped or edge-padded to (h, w): an output cropped from the padded generator output."""
    h, w = size
    frame = frame[:h, :w]
    return np.pad(frame, ((0, h - frame.shape[0]), (0, w - frame.shape[1]), (0, 0)), mode="edge")


class RunSettings(Protocol):
    """What a translator is made from (the pipeline's TranslateOptions has these)."""

    device: str  # auto | cpu | cuda | mps
    precision: str  # auto | fp32 | bf16 | fp16
    backend: str  # torch | onnxruntime
    compile: bool
    batch_size: int | None  # None: the device's default


def make_translator(model: nn.Module, options: RunSettings) -> FrameTranslator:
    """The translator `options` ask for: the device, its precision, the backend that runs the generator."""
    device = pick_device(options.device)
    batch = options.batch_size or default_batch_size(device)
    precision = pick_precision(device, options.precision)
    if options.backend == "onnxruntime":
        from vidgan.models.onnx import OnnxGenerator  # onnxruntime is an extra: loaded only when asked for

        precision = "fp32" if options.precision == "auto" else precision  # the graph is fp32
        if device.type != "cpu" or options.compile or precision != "fp32":
            raise VidganError(
                "--backend onnxruntime runs fp32 on the CPU: use --device cpu, and no --compile or --precision"
            )
        model = OnnxGenerator(model)
    return FrameTranslator(model, device, precision, options.compile, batch)
