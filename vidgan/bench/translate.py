"""`vidgan bench`: end-to-end translation speed against its baselines, all measured in the same run.

For each frame size and precision it times, on synthetic clips it writes itself:
- pipeline: `vidgan translate` (threaded decode, batched generator, threaded encode);
- sequential: decode a frame, generator in fp32 at batch 1, encode, one after the other (the way the
  reference implementation is usually wrapped in a script);
- generator alone: the same generator and precision on frames already in memory on the device;
- decode+encode alone: the pipeline with no generator, the ceiling of the video plumbing.
The paper's generator (9 blocks, ngf 64) is used with random weights: speed does not depend on them.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np
import torch
from torch import nn

from vidgan.nets import ResnetGenerator
from vidgan.pipeline.jobs import TranslateOptions, translate_clip, working_size
from vidgan.pipeline.translate import FrameTranslator, default_batch_size
from vidgan.runtime import pick_device
from vidgan.video.decode import probe, read_frames
from vidgan.video.encode import VideoWriter
from vidgan.video.formats import EncodeSettings


@dataclass
class BenchRow:
    size: str  # input frame size, WxH
    work: str  # working size the generator sees
    precision: str
    batch: int
    pipeline: float  # frames/s of vidgan translate
    sequential: float | None  # frames/s of the sequential fp32 batch-1 baseline (once per size)
    generator: float  # frames/s of the generator alone at this precision and batch
    plumbing: float  # frames/s of decode + encode with no generator

    @property
    def efficiency(self) -> float:
        """The pipeline as a share of what its slowest stage allows."""
        return self.pipeline / min(self.generator, self.plumbing)


def _synthetic_clip(path: Path, width: int, height: int, frames: int) -> Path:
    """A moving colour pattern: cheap to make, not trivially compressible."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (height + frames * 4, width + frames * 4, 3), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "18"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            crop = np.ascontiguousarray(base[i * 2 : i * 2 + height, i * 3 : i * 3 + width])
            frame = av.VideoFrame.from_ndarray(crop, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


class _Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _time(fn, frames: int) -> float:
    start = time.perf_counter()
    fn()
    return frames / (time.perf_counter() - start)


def generator_alone(translator: FrameTranslator, work: tuple[int, int], batch: int, frames: int) -> float:
    """Frames/s of the generator on uint8 batches already in memory (one warm-up batch first)."""
    x = np.random.default_rng(0).integers(0, 255, (batch, work[1], work[0], 3), dtype=np.uint8)
    translator(x)
    if translator.device.type == "cuda":
        torch.cuda.synchronize()
    steps = max(1, frames // batch)

    def loop() -> None:
        for _ in range(steps):
            translator(x)
        if translator.device.type == "cuda":
            torch.cuda.synchronize()

    return _time(loop, steps * batch)


def sequential(src: Path, dst: Path, model: nn.Module, device: torch.device, size: int | None) -> float:
    """Decode one frame, generator fp32 batch 1, encode it; no overlap."""
    info = probe(src)
    work = working_size(info.width, info.height, size)
    translator = FrameTranslator(model, device, "fp32")
    out_size = (info.width + info.width % 2, info.height + info.height % 2)
    writer = VideoWriter(dst, "mp4", "h264", EncodeSettings(), info, out_size)

    def loop() -> None:
        for frame in read_frames(info, work):
            writer.write(translator(frame.rgb[None])[0], frame.pts)
        writer.close()

    return _time(loop, info.frames)


def run_benchmark(
    sizes: list[tuple[int, int]],
    precisions: list[str],
    frames: int = 16,
    batch: int | None = None,
    device_name: str = "auto",
    working: int | None = 256,
    compile: bool = False,
    log=print,
) -> list[BenchRow]:
    device = pick_device(device_name)
    batch = batch or default_batch_size(device)
    model = ResnetGenerator().eval()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for width, height in sizes:
            src = _synthetic_clip(tmp / f"in_{width}x{height}.mp4", width, height, frames)
            work = working_size(width, height, working)
            plumbing_opts = TranslateOptions(size=working, batch_size=batch, device=device.type, quiet=True,
                                             overwrite=True)  # fmt: skip
            identity = FrameTranslator(_Identity(), device, "fp32")
            plumbing = translate_clip(src, tmp / "plumbing.mp4", identity, plumbing_opts).fps
            seq = sequential(src, tmp / "seq.mp4", model, device, working)
            log(f"{width}x{height}: sequential fp32 batch 1 {seq:.2f} frames/s, decode+encode {plumbing:.1f} frames/s")
            for precision in precisions:
                translator = FrameTranslator(model, device, precision, compile, batch)
                alone = generator_alone(translator, work, batch, frames)
                opts = TranslateOptions(size=working, batch_size=batch, device=device.type, precision=precision,
                                        compile=compile, quiet=True, overwrite=True)  # fmt: skip
                translate_clip(src, tmp / "warm.mp4", translator, replace(opts, duration=0.2))  # warm-up
                e2e = translate_clip(src, tmp / "out.mp4", translator, opts).fps
                row = BenchRow(f"{width}x{height}", f"{work[0]}x{work[1]}", precision, batch, e2e, seq, alone, plumbing)
                log(f"  {precision}: pipeline {e2e:.2f}, generator alone {alone:.2f} frames/s "
                    f"({100 * row.efficiency:.0f}% of the slowest stage)")  # fmt: skip
                rows.append(row)
    return rows


def markdown_table(rows: list[BenchRow], device: str) -> str:
    lines = [
        f"Device: {device}. Frames/s, higher is better; 'vs generator' is the pipeline over the generator alone.",
        "",
        "| input | working size | precision | batch | vidgan translate | sequential fp32 b1 | generator alone "
        "| decode+encode alone | vs generator | speed-up vs sequential |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.size} | {r.work} | {r.precision} | {r.batch} | {r.pipeline:.2f} | {r.sequential:.2f} "
            f"| {r.generator:.2f} | {r.plumbing:.1f} | {100 * r.pipeline / r.generator:.0f}% "
            f"| {r.pipeline / r.sequential:.1f}x |"
        )
    return "\n".join(lines)
