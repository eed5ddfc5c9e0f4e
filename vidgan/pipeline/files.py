"""The files of a job: which are images or videos, what outputs are named, the files of a folder, an image's
translation, and the translator a job's options ask for (plan.py plans and runs the job itself)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from vidgan.atomic import atomic_path, check_output_path
from vidgan.engine.translator import FrameTranslator
from vidgan.errors import VidganError
from vidgan.ops.upsampling import Upsampler
from vidgan.pipeline.clip import upsampling_method, working_size
from vidgan.pipeline.composite import composite_at_output_size
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.record import Result
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
    if translator.masked:  # composited over the input at the output size, as a video's frames are
        background = np.asarray(image) if options.output_size == "input" else source
        raw = translator.run(source[None])[0].cpu().numpy()
        result_image = Image.fromarray(
            composite_at_output_size(Upsampler(options.upsample), source, raw, background)[0]
        )
    else:
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


def output_name(src: Path, model_name: str) -> str:
    """`clip.mp4` -> `clip_MODEL.mp4`: every output carries its model's name, alone or in a folder (so the
    outputs of two models can share one)."""
    return f"{src.stem}_{model_name}{output_suffix(src)}" if model_name else f"{src.stem}{output_suffix(src)}"


def default_output(src: Path, model_name: str) -> Path:
    """`clip.mp4` -> `clip_MODEL.mp4` in the current folder, as a relative path: messages name it as the user
    would (`wrote clip_MODEL.mp4`)."""
    return Path(output_name(src, model_name))


def folder_jobs(src_dir: Path, out_dir: Path, recursive: bool, model: str = "") -> list[tuple[Path, Path]]:
    """(input, output) for every video and image in `src_dir` (and its subfolders: `recursive`), mirrored
    under `out_dir`, each named as a single file's output would be (`output_name`)."""
    pattern = "**/*" if recursive else "*"
    jobs = []
    for path in sorted(src_dir.glob(pattern)):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS:
            jobs.append((path, out_dir / path.relative_to(src_dir).with_name(output_name(path, model))))
    return jobs
