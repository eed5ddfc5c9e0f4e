"""`vidgan bench`: end-to-end translation speed against its baselines, all measured in the same run.

For each clip, frame size and precision it times, on clips it writes itself (moving noise, and with
`--clip` a real clip scaled to each size: noise decodes and encodes 2-3x slower than real footage):
- pipeline: `vidgan translate` (threaded decode, batched generator, threaded encode);
- sequential: decode a frame, generator in fp32 at batch 1, encode, one after the other (the way the
  reference implementation is usually wrapped in a script);
- generator alone: the same generator and precision on frames already in memory on the device, timed
  before and after the pipeline (the mean: a shared machine drifts);
- decode+encode alone: the pipeline with no generator, the ceiling of the video plumbing.
The paper's generator (9 blocks, ngf 64) is used with random weights: speed does not depend on them.

`--presets` adds what a faster x264 preset costs: for each, the crf that keeps the default's PSNR on the
natural clip, its encoding speed and its file size.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import av
import cv2
import numpy as np
import torch
from torch import nn

from vidgan.engine.runtime import pick_device
from vidgan.engine.translator import FrameTranslator, default_batch_size
from vidgan.models.nets import ResnetGenerator
from vidgan.ops.fidelity import psnr
from vidgan.pipeline.clip import translate_clip, working_size
from vidgan.pipeline.options import TranslateOptions
from vidgan.video.decode import Frame, VideoInfo, probe, read_frames
from vidgan.video.encode import VideoWriter
from vidgan.video.formats import DEFAULT_CRF, DEFAULT_PRESET, EncodeSettings

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)


@dataclass
class BenchRow:
    clip: str  # noise, or the natural clip's name
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


def _write_clip(path: Path, frames: list[np.ndarray]) -> Path:
    """RGB frames as a 25 fps h264 clip (crf 18: the input's own artefacts stay small)."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "18"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def noise_clip(path: Path, width: int, height: int, frames: int) -> Path:
    """A moving colour noise: cheap to make, hard to compress (harder than any footage)."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (height + frames * 4, width + frames * 4, 3), dtype=np.uint8)
    return _write_clip(path, [np.ascontiguousarray(base[i * 2 : i * 2 + height, i * 3 : i * 3 + width])
                              for i in range(frames)])  # fmt: skip


def natural_clip(source: Path, path: Path, width: int, height: int, frames: int) -> Path:
    """A real clip's frames scaled to width x height (bicubic), looped to `frames`."""
    info = probe(source)
    scaled = [cv2.resize(f.rgb, (width, height), interpolation=cv2.INTER_CUBIC)
              for f in itertools.islice(read_frames(info, (info.width, info.height)), frames)]  # fmt: skip
    return _write_clip(path, [scaled[i % len(scaled)] for i in range(frames)])


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


def sequential(src: Path, dst: Path, model: nn.Module, device: torch.device, size: int | None,
               encode: EncodeSettings) -> float:  # fmt: skip
    """Decode one frame, generator fp32 batch 1, encode it; no overlap."""
    info = probe(src)
    work = working_size(info.width, info.height, size)
    translator = FrameTranslator(model, device, "fp32")
    out_size = (info.width + info.width % 2, info.height + info.height % 2)
    writer = VideoWriter(dst, "mp4", "h264", encode, info, out_size)

    def loop() -> None:
        for frame in read_frames(info, work):
            writer.write(translator(frame.rgb[None])[0], frame.pts)
        writer.close()

    return _time(loop, info.frames)


def bench_clips(folder: Path, sizes: list[tuple[int, int]], frames: int, natural: Path | None) -> list[Path]:
    """The benchmark's input clips: at each size, noise and (given a real clip) that clip scaled."""
    clips = []
    for width, height in sizes:
        clips.append(noise_clip(folder / f"noise_{width}x{height}.mp4", width, height, frames))
        if natural is not None:
            clips.append(natural_clip(natural, folder / f"{natural.stem}_{width}x{height}.mp4", width, height, frames))
    return clips


def run_benchmark(
    sizes: list[tuple[int, int]],
    precisions: list[str],
    frames: int = 16,
    batch: int | None = None,
    device_name: str = "auto",
    working: int | None = 256,
    compile: bool = False,
    natural: Path | None = None,
    encode: EncodeSettings = EncodeSettings(),
) -> list[BenchRow]:
    device = pick_device(device_name)
    batch = batch or default_batch_size(device)
    model = ResnetGenerator().eval()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for src in bench_clips(tmp, sizes, frames, natural):
            info = probe(src)
            kind, width, height = src.stem.rsplit("_", 1)[0], info.width, info.height
            work = working_size(width, height, working)
            base = TranslateOptions(size=working, batch_size=batch, device=device.type, quiet=True, overwrite=True,
                                    encode=encode)  # fmt: skip
            plumbing = translate_clip(src, tmp / "plumbing.mp4", FrameTranslator(nn.Identity(), device), base).fps
            seq = sequential(src, tmp / "seq.mp4", model, device, working, encode)
            say(f"{kind} {width}x{height}: sequential fp32 batch 1 {seq:.2f} frames/s, decode+encode {plumbing:.1f}")
            for precision in precisions:
                translator = FrameTranslator(model, device, precision, compile, batch)
                before = generator_alone(translator, work, batch, frames)
                opts = replace(base, precision=precision, compile=compile)
                translate_clip(src, tmp / "warm.mp4", translator, replace(opts, duration=0.2))  # warm-up
                e2e = translate_clip(src, tmp / "out.mp4", translator, opts).fps
                # Timed again after: a shared machine's speed drifts by up to 20% within a run (measured
                # on the development machine), so the pipeline is set against the mean of both sides.
                alone = (before + generator_alone(translator, work, batch, frames)) / 2
                row = BenchRow(kind, f"{width}x{height}", f"{work[0]}x{work[1]}", precision, batch, e2e, seq, alone,
                               plumbing)  # fmt: skip
                say(f"  {precision}: pipeline {e2e:.2f}, generator alone {alone:.2f} frames/s "
                    f"({100 * row.efficiency:.0f}% of the slowest stage)")  # fmt: skip
                rows.append(row)
    return rows


def markdown_table(rows: list[BenchRow], device: str, encode: EncodeSettings = EncodeSettings()) -> str:
    preset = encode.preset or DEFAULT_PRESET["h264"]
    lines = [
        f"Device: {device}; h264 preset {preset}. Frames/s, higher is better; 'vs generator' is the pipeline "
        f"over the generator alone.",
        "",
        "| clip | input | working size | precision | batch | vidgan translate | sequential fp32 b1 | generator alone "
        "| decode+encode alone | vs generator | speed-up vs sequential |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.clip} | {r.size} | {r.work} | {r.precision} | {r.batch} | {r.pipeline:.2f} | {r.sequential:.2f} "
            f"| {r.generator:.2f} | {r.plumbing:.1f} | {100 * r.pipeline / r.generator:.0f}% "
            f"| {r.pipeline / r.sequential:.1f}x |"
        )
    return "\n".join(lines)


@dataclass
class PresetRow:
    preset: str
    crf: float  # the crf that keeps the reference's PSNR
    psnr: float  # dB of the decoded output to the frames encoded
    frames_per_s: float  # encoding alone (RGB -> yuv420p -> x264 -> mux)
    kib: float  # file size


def _encode_trial(info: VideoInfo, frames: list[Frame], path: Path, preset: str, crf: float) -> PresetRow:
    started = time.perf_counter()
    writer = VideoWriter(path, "mp4", "h264", EncodeSettings("h264", crf, preset), info, (info.width, info.height))
    for frame in frames:
        writer.write(frame.rgb, frame.pts)
    writer.close()
    fps = len(frames) / (time.perf_counter() - started)
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    mse = float(np.mean([((a.astype(np.float32) - b.rgb) ** 2).mean() for a, b in zip(decoded, frames)]))
    return PresetRow(preset, crf, psnr(mse), fps, path.stat().st_size / 1024)


def run_preset_benchmark(natural: Path, size: tuple[int, int], presets: list[str], frames: int,
                         reference: str = DEFAULT_PRESET["h264"]) -> list[PresetRow]:  # fmt: skip
    """Each preset at the crf (searched downwards from the default) that keeps the reference preset's PSNR
    at the default crf, on the natural clip scaled to `size`: speed and file size at equal quality."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        info = probe(natural_clip(natural, tmp / "source.mp4", *size, frames))
        decoded = list(read_frames(info, (info.width, info.height)))
        target = _encode_trial(info, decoded, tmp / "ref.mp4", reference, DEFAULT_CRF["h264"])
        rows = [target]
        for preset in (p for p in presets if p != reference):
            crf = DEFAULT_CRF["h264"]
            row = _encode_trial(info, decoded, tmp / "trial.mp4", preset, crf)
            while row.psnr < target.psnr - 0.02 and crf > 10:
                crf -= 0.25  # x264 takes fractional crf: integer steps of ~7% in size would blur the comparison
                row = _encode_trial(info, decoded, tmp / "trial.mp4", preset, crf)
            rows.append(row)
            say(f"{preset}: crf {row.crf:g}, {row.psnr:.2f} dB, {row.frames_per_s:.1f} frames/s, {row.kib:.0f} KiB")
    return rows


def preset_table(rows: list[PresetRow], clip: str, size: tuple[int, int]) -> str:
    ref = rows[0]
    lines = [f"Encoder presets at equal quality: {clip} scaled to {size[0]}x{size[1]}, h264, PSNR of the decoded "
             f"output to the frames encoded; each preset at the crf that keeps {ref.preset}'s PSNR.", "",
             "| preset | crf | PSNR | encoding frames/s | size | size vs " + ref.preset + " |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r.preset} | {r.crf:g} | {r.psnr:.2f} dB | {r.frames_per_s:.1f} | {r.kib:.0f} KiB "
                     f"| {100 * (r.kib / ref.kib - 1):+.0f}% |")  # fmt: skip
    return "\n".join(lines)
