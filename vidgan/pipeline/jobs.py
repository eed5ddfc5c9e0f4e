"""What one call translates: a clip (the stages, connected and run), an image, or a folder of both.

A clip's stages, each group in its own thread (pipeline/runner.py):

    Decode ─▶ [Link] ─▶ Translate, [Smooth], Download ─▶ [Smooth] ─▶ Encode
    source    smoothing  the device's thread             smoothing    sink
              only       (Smooth here on a GPU)          on the CPU

The output is written to a temporary file beside the target and renamed only when the whole clip is done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from torch import nn

from vidgan.atomic import atomic_path, check_output_path
from vidgan.errors import VidganError
from vidgan.pipeline.decode import Decode
from vidgan.pipeline.encode import Encode
from vidgan.pipeline.progress import Progress
from vidgan.pipeline.record import Result
from vidgan.pipeline.runner import Stage, run_stages
from vidgan.pipeline.smooth import Link, Smooth
from vidgan.pipeline.translate import Download, FrameTranslator, Translate, default_batch_size
from vidgan.runtime import pick_device, pick_precision
from vidgan.temporal import SmoothingConfig
from vidgan.video.decode import Span, VideoInfo, probe
from vidgan.video.encode import VideoWriter
from vidgan.video.formats import (
    CONTAINERS,
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    EncodeSettings,
    container_format,
    resolve_codec,
)


@dataclass
class TranslateOptions:
    """Everything `vidgan translate` can be told; the CLI fills this, the Python API takes it."""

    size: int | None = 256  # working short side in px (the models' training scale); None: native size
    output_size: str = "input"  # "input": scale the result back to the input's size; "working": keep it
    batch_size: int | None = None  # frames per generator call; None: 8 on CUDA, 1 on the CPU
    device: str = "auto"  # auto | cpu | cuda | mps
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (auto: bf16 where the hardware has it)
    compile: bool = False  # torch.compile the generator per working size (pays off on long clips on a GPU)
    encode: EncodeSettings = field(default_factory=EncodeSettings)
    smooth: SmoothingConfig = field(default_factory=SmoothingConfig)  # temporal smoothing (videos only)
    compare: bool = False  # input and output side by side
    start: float | None = None  # seconds into the clip
    duration: float | None = None  # seconds to translate from `start`
    overwrite: bool = False  # replace an existing output
    keep_partial: bool = False  # an input that breaks off: keep the output up to the break (and say so)
    quiet: bool = False  # no progress bars or notices


def working_size(width: int, height: int, size: int | None) -> tuple[int, int]:
    """Scale so the short side is `size` (None: unchanged), keeping the aspect ratio."""
    if size is None:
        return width, height
    scale = size / min(width, height)
    return max(4, round(width * scale)), max(4, round(height * scale))


def _even(n: int) -> int:
    return n + n % 2


def _expected_frames(info: VideoInfo, span: Span) -> int | None:
    if span.whole and info.frames:
        return info.frames
    length = (span.end or (info.start_time + (info.duration or 0))) - span.offset
    if info.rate and length > 0:
        return max(1, round(length * float(info.rate)))
    return None


def translate_clip(src: Path, dst: Path, translator: FrameTranslator, options: TranslateOptions,
                   bar_position: int = 0, smooth_backend: str | None = None) -> Result:  # fmt: skip
    """Translate one clip from `src` into `dst` (atomically). Raises VidganError on bad input.

    `smooth_backend`: "opencv" smooths on the CPU in a thread of its own, "torch" where the generator's
    outputs are, before they are downloaded; by default torch on a GPU, else OpenCV."""
    src, dst = Path(src), Path(dst)
    check_output_path(dst, options.overwrite, src)
    fmt = container_format(dst)
    codec = resolve_codec(dst, options.encode)
    info = probe(src)
    if info.truncated and not options.keep_partial:
        raise VidganError(f"{info.truncated} (--keep-partial translates the frames that are there)")
    span = Span.of(info, options.start, options.duration)
    result = Result(src, dst, notices=list(info.notices))
    result.notices += [f"{s} dropped (only video and the first audio stream are kept)" for s in info.dropped_streams]

    work_w, work_h = working_size(info.width, info.height, options.size)
    content = (info.width, info.height) if options.output_size == "input" else (work_w, work_h)
    out_w, out_h = _even(content[0]), _even(content[1])  # yuv420p needs even dimensions
    # Where no scaling is needed, crop the generator's padded output to the even size instead.
    crop = (out_w, out_h) if (work_w, work_h) == content else (work_w, work_h)
    frame_size = (out_w * 2, out_h) if options.compare else (out_w, out_h)
    batch_size = options.batch_size or default_batch_size(translator.device)
    progress = Progress(_expected_frames(info, span), src.name, options.quiet, bar_position)
    started = time.perf_counter()

    with atomic_path(dst, overwrite=options.overwrite) as tmp:
        writer = VideoWriter(tmp, fmt, codec, options.encode, info, frame_size, span, result.notices)
        decode = Decode(info, (work_w, work_h), span, (out_w, out_h) if options.compare else None, result,
                        options.keep_partial)  # fmt: skip
        # The stages in the order a frame meets them, grouped by thread (the module docstring's picture).
        smooth = options.smooth if options.smooth.active else None
        backend = smooth_backend or ("torch" if translator.cuda else "opencv")
        groups: list[list[Stage]] = [[Link(smooth)]] if smooth else []
        groups.append([Translate(translator, batch_size, crop, progress),
                       *([Smooth(smooth, backend)] if smooth and backend == "torch" else []), Download()])  # fmt: skip
        if smooth and backend == "opencv":
            groups.append([Smooth(smooth, backend)])
        groups.append([Encode(writer, result, progress, options.compare)])
        try:
            run_stages(decode, groups, queue_size=2 * batch_size)
        except BaseException:
            writer.abort()
            progress.close()
            raise
    progress.close()
    result.frames = writer.frames
    result.seconds = time.perf_counter() - started
    result.notices += translator.notices
    translator.notices.clear()
    return result


def translate_image(src: Path, dst: Path, translator: FrameTranslator, options: TranslateOptions) -> Result:
    """Translate one image; the output has the input's size (or the working size) and format."""
    src, dst = Path(src), Path(dst)
    check_output_path(dst, options.overwrite, src)
    started = time.perf_counter()
    try:
        with Image.open(src) as im:
            image = ImageOps.exif_transpose(im).convert("RGB")  # upright, greyscale/alpha to RGB
    except (OSError, SyntaxError) as e:
        raise VidganError(f"cannot read image {src}: {e}") from None
    work = working_size(*image.size, options.size)
    out = translator(np.asarray(image.resize(work, Image.Resampling.BICUBIC))[None])[0]
    result_image = Image.fromarray(out)
    if options.output_size == "input" and result_image.size != image.size:
        result_image = result_image.resize(image.size, Image.Resampling.BICUBIC)
    with atomic_path(dst, overwrite=options.overwrite) as tmp:
        result_image.save(tmp, format=Image.registered_extensions().get(dst.suffix.lower()))
    return Result(src, dst, frames=1, seconds=time.perf_counter() - started)


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def output_suffix(src: Path) -> str:
    """Images and videos in a container we write keep their extension; other videos (.avi, ...) give .mp4."""
    suffix = src.suffix.lower()
    return suffix if is_image(src) or suffix in CONTAINERS else ".mp4"


def default_output(src: Path, model_name: str) -> Path:
    """`clip.mp4` -> `clip_MODEL.mp4` in the current folder."""
    return Path.cwd() / f"{src.stem}_{model_name}{output_suffix(src)}"


def translate_path(src: Path, dst: Path, translator: FrameTranslator, options: TranslateOptions,
                   bar_position: int = 0) -> Result:  # fmt: skip
    """One file, video or image, by its extension."""
    if is_image(src):
        return translate_image(src, dst, translator, options)
    return translate_clip(src, dst, translator, options, bar_position)


def folder_jobs(src_dir: Path, out_dir: Path, recursive: bool) -> list[tuple[Path, Path]]:
    """(input, output) for every video and image in `src_dir`, mirrored under `out_dir`."""
    pattern = "**/*" if recursive else "*"
    jobs = []
    for path in sorted(src_dir.glob(pattern)):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS:
            jobs.append((path, out_dir / path.relative_to(src_dir).with_suffix(output_suffix(path))))
    return jobs


def translate_folder(src_dir: Path, out_dir: Path, translator: FrameTranslator, options: TranslateOptions,
                     recursive: bool = False) -> list[Result]:  # fmt: skip
    """Every clip and image of a folder into `out_dir` (made if needed): skips outputs that exist (a rerun
    resumes), carries on past a broken file and records its error. Interrupted, it leaves no folder it made
    empty behind."""
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    if out_dir.resolve() == src_dir.resolve():
        raise VidganError("the output folder is the input folder: choose another")
    jobs = folder_jobs(src_dir, out_dir, recursive)
    if not jobs:
        raise VidganError(f"no videos or images in {src_dir}" + ("" if recursive else " (use -r for subfolders)"))
    if not out_dir.parent.is_dir():
        raise VidganError(f"output folder's parent does not exist: {out_dir.parent}")
    folders = {out_dir / sub for _, dst in jobs for sub in dst.relative_to(out_dir).parents}  # out_dir too
    made = sorted(folder for folder in folders if not folder.exists())  # a parent before its subfolders
    results = []
    overall = Progress(len(jobs), "all files", options.quiet, unit="file")
    try:
        for src, dst in jobs:
            if dst.exists() and not options.overwrite:
                results.append(Result(src, dst, skipped=True))
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    results.append(translate_path(src, dst, translator, options, bar_position=1))
                except VidganError as e:
                    results.append(Result(src, dst, error=str(e)))
                for notice in results[-1].notices:
                    overall.note(f"{src.name}: {notice}")
            overall.update()
    finally:
        overall.close()
        for folder in reversed(made):  # deepest first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    return results


def make_translator(model: nn.Module, options: TranslateOptions) -> FrameTranslator:
    device = pick_device(options.device)
    batch = options.batch_size or default_batch_size(device)
    return FrameTranslator(model, device, pick_precision(device, options.precision), options.compile, batch)
