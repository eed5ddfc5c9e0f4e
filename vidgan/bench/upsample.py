"""`vidgan bench-upsample`: which upsampling method brings the working-size translation to full size best,
all methods against plain resizing in the same run (vidgan/eval/upsampling.py defines the figures).

- clips: frames spread over each clip, decoded at a short side of 1080 px (the translation at 256): the
  sharpness kept where the translation left the content alone, the fidelity to the generator's output;
- images (a folder such as testA, upscaled 4x): the judge score of the output scaled back down, beside the
  plain one's, and the fidelity;
- cost: milliseconds per frame of the upsampling alone at 720p and 1080p, on the CPU (OpenCV) and, where
  there is one, the GPU (torch);
- in the pipeline: each clip translated with `--smooth flow` and each method, its warping error (the
  flicker figure of `vidgan metrics temporal`) and its frames/s end to end.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from vidgan.engine.runtime import pick_device
from vidgan.engine.translator import FrameTranslator
from vidgan.eval.judge import image_files, load_judge
from vidgan.eval.temporal import temporal_report, timed_frames, warping_error
from vidgan.eval.upsampling import detail_sums, fidelity, sharpness
from vidgan.models.checkpoints import LoadedModel
from vidgan.models.registry import load_model
from vidgan.ops.smoothing import SmoothingConfig
from vidgan.ops.upsampling import METHODS, Upsampler
from vidgan.pipeline.clip import working_size
from vidgan.pipeline.executors import run_job
from vidgan.pipeline.options import TranslateOptions
from vidgan.video.decode import probe, read_frames
from vidgan.video.formats import EncodeSettings

say = logging.getLogger(__name__).info  # progress, shown by the CLI (cli/common.py)

WORK = 256  # the working short side (the models' training scale)
FULL = 1080  # clips are decoded at this short side: the 4x upscale the issue is about


@dataclass
class QualityRow:
    source: str  # a clip's name, or the image folder's
    method: str
    energy: float | None  # fine-detail energy where the content is unchanged, over the input's
    kept: float | None  # the input's own fine detail kept there (1.0: all of it)
    fidelity: float  # dB, the output scaled down to the working size against the generator's output
    judge: float | None = None  # images: the judge score of the output scaled down


@dataclass
class PipelineRow:
    clip: str
    method: str
    dis: float  # warping error under DIS flow (lower: steadier)
    farneback: float
    fps: float | None  # end to end, `vidgan translate --smooth flow`


def fmt(x: float | None, spec: str) -> str:
    """A figure, or a dash where there is none to give."""
    return "—" if x is None else format(x, spec)


def _spread(clip: Path, count: int, full_short: int):
    """`count` frames spread over the clip: (working-size input, full-size input) pairs."""
    info = probe(clip)
    work = working_size(info.width, info.height, WORK)
    full = working_size(info.width, info.height, full_short)
    length = info.frames or round((info.duration or 0) * float(info.rate or 25))
    step = max(1, length // count)
    picked = itertools.islice(read_frames(info, work, full_size=full), 0, None, step)
    return [(f.rgb, f.full) for f in itertools.islice(picked, count)]


def clip_quality(clips: list[Path], translator: FrameTranslator, frames: int) -> list[QualityRow]:
    rows = []
    for clip in clips:
        pairs = _spread(clip, frames, FULL)
        outputs = [translator([source])[0] for source, _ in pairs]
        for method in METHODS:
            upsample, sums, dbs = Upsampler(method), np.zeros(3), []
            for (source, full), output in zip(pairs, outputs):
                result = upsample(source, output, full)
                sums += detail_sums(full, result, source, output)
                dbs.append(fidelity(result, output))
            rows.append(QualityRow(clip.name, method, *sharpness(sums), float(np.mean(dbs))))
            say(f"{clip.name}, {method}: detail energy {fmt(rows[-1].energy, '.2f')}, input detail kept "
                f"{fmt(rows[-1].kept, '.2f')}, fidelity {rows[-1].fidelity:.1f} dB")  # fmt: skip
    return rows


def image_quality(folder: Path, translator: FrameTranslator, judge: str, count: int,
                  scale: int = 4) -> list[QualityRow]:  # fmt: skip
    """The images of `folder` upscaled `scale` times (bicubic) as the full-size inputs."""
    scorer = load_judge(judge)
    per_method: dict[str, tuple[list[np.ndarray], list[float]]] = {m: ([], []) for m in METHODS}
    for path in image_files(folder)[:count]:
        with Image.open(path) as im:
            image = im.convert("RGB")
        full = np.asarray(image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC))
        work = working_size(full.shape[1], full.shape[0], WORK)
        source = np.asarray(Image.fromarray(full).resize(work, Image.Resampling.BOX))
        output = translator([source])[0]
        for method in METHODS:
            result = Upsampler(method)(source, output, full)
            per_method[method][0].append(np.asarray(Image.fromarray(result).resize(work, Image.Resampling.BOX)))
            per_method[method][1].append(fidelity(result, output))
    rows = []
    for method, (small, dbs) in per_method.items():
        images = torch.from_numpy(np.stack(small)).permute(0, 3, 1, 2)
        rows.append(QualityRow(folder.name, method, None, None, float(np.mean(dbs)), scorer.share_b(images)))
        say(f"{folder.name} x{scale}, {method}: judge {rows[-1].judge:.3f}, fidelity {rows[-1].fidelity:.1f} dB")
    return rows


def upsampling_cost(clip: Path, translator: FrameTranslator, repeats: int = 7) -> dict[str, dict[str, float]]:
    """Milliseconds per frame of each method alone, median of `repeats`, at 720p and 1080p, per backend."""
    backends = ["opencv"] + (["torch"] if translator.cuda else [])
    costs: dict[str, dict[str, float]] = {}
    for short in (720, 1080):
        source, full = _spread(clip, 1, short)[0]
        output = translator([source])[0]
        for backend in backends:
            gpu = backend == "torch"
            out = torch.from_numpy(output).to(translator.device) if gpu else output
            for method in METHODS:
                upsample, times = Upsampler(method, backend), []
                for _ in range(repeats + 1):  # the first call warms up
                    start = time.perf_counter()
                    upsample(source, out, full)
                    if gpu:
                        torch.cuda.synchronize(translator.device)
                    times.append(1000 * (time.perf_counter() - start))
                costs.setdefault(f"{method} ({'GPU' if gpu else 'CPU'})", {})[f"{short}p"] = float(np.median(times[1:]))
    return costs


def in_pipeline(clip: Path, model: LoadedModel, duration: float | None) -> list[PipelineRow]:
    """Each method's flicker with smoothing, beside two references that no translation flickers in: the
    input itself, and the identity through the same pipeline (its `detail` row is the input at full
    sharpness, smoothed; its `resize` row the input blurred to the working size, smoothed). The warping
    error also counts sharpness: bilinear warps and the flow's own error do not carry fine detail exactly
    from frame to frame, so the identity's two rows show what keeping the input's detail costs there."""
    # The input's own flicker (sensor noise, compression) over the same seconds the translations cover.
    own = {method: warping_error(((f, f) for _, f in timed_frames(clip, duration=duration)), method)
           for method in ("dis", "farneback")}  # fmt: skip
    rows = [PipelineRow(clip.name, "(the input itself)", own["dis"], own["farneback"], None)]
    runs = [(method, model, method) for method in METHODS]
    runs += [(f"(identity) {method}", nn.Identity(), method) for method in ("detail", "resize")]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, generator, method) in enumerate(runs):
            out = Path(tmp) / f"{i}.mp4"
            options = TranslateOptions(upsample=method, smooth=SmoothingConfig("flow"), duration=duration,
                                       encode=EncodeSettings(crf=12), quiet=True)  # fmt: skip
            result = run_job(clip, out, generator, options)[0]
            report = temporal_report(clip, out, duration=duration)["warping_error"]
            rows.append(PipelineRow(clip.name, name, report["dis"], report["farneback"], result.fps))
            say(f"{clip.name}, --smooth flow --upsample {name}: warping error {rows[-1].dis:.6f} (DIS), "
                f"{rows[-1].farneback:.6f} (Farneback), {result.fps:.2f} frames/s")  # fmt: skip
    return rows


def run_upsampling_benchmark(clips: list[Path], model: str, images: Path | None, judge: str, frames: int,
                             image_count: int, duration: float | None) -> str:  # fmt: skip
    device = pick_device("auto")
    loaded = load_model(model)
    translator = FrameTranslator(loaded.generator, device)
    rows = clip_quality(clips, translator, frames)
    if images is not None:
        rows += image_quality(images, translator, judge, image_count)
    costs = upsampling_cost(clips[0], translator)
    pipeline = [row for clip in clips for row in in_pipeline(clip, loaded, duration)]
    return markdown(rows, costs, pipeline, model, frames)


def markdown(rows: list[QualityRow], costs: dict[str, dict[str, float]], pipeline: list[PipelineRow], model: str,
             frames: int) -> str:  # fmt: skip
    lines = [f"Model {model}; clips: {frames} frames each at a short side of {FULL} px from the translation at "
             f"{WORK}. Where the content is unchanged: the fine detail's energy over the input's, and the "
             "input's own fine detail kept (1.0: all). Fidelity: scaled back down, PSNR to the generator's "
             "output.", "",
             "| input | method | detail energy | input detail kept | fidelity (dB) | judge score |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {r.source} | {r.method} | {fmt(r.energy, '.2f')} | {fmt(r.kept, '.2f')} | {r.fidelity:.1f} | "
              f"{fmt(r.judge, '.3f')} |" for r in rows]  # fmt: skip
    lines += [
        "",
        "Cost of the upsampling alone (ms per frame, median):",
        "",
        "| method | 720p | 1080p |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {c['720p']:.1f} | {c['1080p']:.1f} |" for name, c in costs.items()]
    lines += ["", "In the pipeline (`vidgan translate --smooth flow --upsample M`, the clip at its own size):", "",
              "| clip | method | warping error (DIS) | warping error (Farneback) | frames/s |",
              "|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {r.clip} | {r.method} | {r.dis:.6f} | {r.farneback:.6f} | {fmt(r.fps, '.2f')} |" for r in pipeline]
    return "\n".join(lines)
