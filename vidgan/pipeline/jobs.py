"""What one call translates: a clip (whole, or in segments), an image, or a folder of both."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from torch import nn

from vidgan.atomic import atomic_path, check_output_path
from vidgan.errors import VidganError
from vidgan.pipeline.clip import TranslateOptions, translate_clip, upsampling_method, working_size
from vidgan.pipeline.progress import Progress
from vidgan.pipeline.record import Result
from vidgan.pipeline.segments import translate_segmented
from vidgan.pipeline.translate import FrameTranslator, default_batch_size
from vidgan.runtime import pick_device, pick_precision
from vidgan.upsample import Upsampler
from vidgan.video.formats import CONTAINERS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS


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
    source = np.asarray(image.resize(work, Image.Resampling.BICUBIC))
    result_image = Image.fromarray(translator(source[None])[0])
    if options.output_size == "input" and result_image.size != image.size:
        if upsample := upsampling_method(options, work, image.size):
            result_image = Image.fromarray(Upsampler(upsample)(source, np.asarray(result_image), np.asarray(image)))
        else:
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
                   bar_position: int = 0, model: str = "") -> Result:  # fmt: skip
    """One file, video or image, by its extension; a clip in segments with `options.segment`. `model`
    names the model (a rerun reuses a segmented clip's parts only when made by the same)."""
    if is_image(src):
        return translate_image(src, dst, translator, options)
    if options.segment:
        return translate_segmented(src, dst, translator, options, bar_position, model)
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


def checked_folder_jobs(src_dir: Path, out_dir: Path, recursive: bool) -> list[tuple[Path, Path]]:
    """`folder_jobs`, refused where there is nothing to do or nowhere to write."""
    if out_dir.resolve() == src_dir.resolve():
        raise VidganError("the output folder is the input folder: choose another")
    jobs = folder_jobs(src_dir, out_dir, recursive)
    if not jobs:
        raise VidganError(f"no videos or images in {src_dir}" + ("" if recursive else " (use -r for subfolders)"))
    if not out_dir.parent.is_dir():
        raise VidganError(f"output folder's parent does not exist: {out_dir.parent}")
    return jobs


@contextlib.contextmanager
def output_folders(out_dir: Path, jobs: list[tuple[Path, Path]]) -> Iterator[None]:
    """Make the folders the jobs' outputs go to; at the end (Ctrl-C included) remove those made here that
    are still empty."""
    folders = {out_dir / sub for _, dst in jobs for sub in dst.relative_to(out_dir).parents}  # out_dir too
    made = sorted(folder for folder in folders if not folder.exists())  # a parent before its subfolders
    try:
        for folder in made:
            folder.mkdir(exist_ok=True)
        yield
    finally:
        for folder in reversed(made):  # deepest first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def translate_folder(src_dir: Path, out_dir: Path, translator: FrameTranslator, options: TranslateOptions,
                     recursive: bool = False, model: str = "") -> list[Result]:  # fmt: skip
    """Every clip and image of a folder into `out_dir` (made if needed): skips outputs that exist (a rerun
    resumes), carries on past a broken file and records its error. Interrupted, it leaves no folder it made
    empty behind."""
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    jobs = checked_folder_jobs(src_dir, out_dir, recursive)
    results = []
    overall = Progress(len(jobs), "all files", options.quiet, unit="file")
    try:
        with output_folders(out_dir, jobs):
            for src, dst in jobs:
                if dst.exists() and not options.overwrite:
                    results.append(Result(src, dst, skipped=True))
                else:
                    try:
                        results.append(translate_path(src, dst, translator, options, 1, model))
                    except VidganError as e:
                        results.append(Result(src, dst, error=str(e)))
                    for notice in results[-1].notices:
                        overall.note(f"{src.name}: {notice}")
                overall.update()
    finally:
        overall.close()
    return results


def make_translator(model: nn.Module, options: TranslateOptions) -> FrameTranslator:
    device = pick_device(options.device)
    batch = options.batch_size or default_batch_size(device)
    return FrameTranslator(model, device, pick_precision(device, options.precision), options.compile, batch)
