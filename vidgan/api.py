"""The public functions; `cli.py` only parses arguments and calls these."""

from __future__ import annotations

import os
from pathlib import Path

from torch import nn

from vidgan.checkpoints import LoadedModel
from vidgan.cluster import RayOptions, translate_on_ray
from vidgan.errors import VidganError
from vidgan.models import load_model
from vidgan.pipeline.clip import TranslateOptions
from vidgan.pipeline.jobs import (
    checked_folder_jobs,
    default_output,
    make_translator,
    output_folders,
    translate_folder,
    translate_path,
)
from vidgan.pipeline.record import Result
from vidgan.temporal import DEFAULT_STRENGTH, SmoothingConfig


def load_generator(model: str) -> LoadedModel:
    """A generator by `--model` spec: a shipped or user name, `official:NAME`, or a file path."""
    return load_model(model)


def _resolve(model: str | nn.Module) -> LoadedModel:
    if isinstance(model, nn.Module):
        return LoadedModel(type(model).__name__.lower(), model)
    return load_model(model)


def translate(
    src: str | os.PathLike,
    dst: str | os.PathLike | None = None,
    model: str | nn.Module = "horse2zebra",
    options: TranslateOptions | None = None,
    recursive: bool = False,
    ray: RayOptions | None = None,
) -> list[Result]:
    """Translate a clip, an image, or every clip and image in a folder; with `ray`, as tasks on a Ray
    cluster (vidgan/cluster.py).

    `model` is a `--model` spec or any module mapping (N, 3, H, W) in [-1, 1] to the same. For a file,
    `dst` defaults to `NAME_MODEL.EXT` in the current folder; for a folder, to `FOLDER_MODEL` beside it.
    """
    options = options or TranslateOptions()
    src = Path(src)
    if not src.exists():
        raise VidganError(f"input not found: {src}")
    loaded = _resolve(model)
    if src.is_dir():
        out_dir = Path(dst) if dst else src.with_name(f"{src.name}_{loaded.name}")
        if ray is not None:
            jobs = checked_folder_jobs(src, out_dir, recursive)
            with output_folders(out_dir, jobs):
                results = translate_on_ray(jobs, loaded, options, ray)
        else:
            translator = make_translator(loaded.generator, options)
            results = translate_folder(src, out_dir, translator, options, recursive, loaded.name)
    else:
        dst = Path(dst) if dst else default_output(src, loaded.name)
        if ray is not None:
            results = translate_on_ray([(src, dst)], loaded, options, ray)
            if results[0].error:
                raise VidganError(results[0].error)
        else:
            translator = make_translator(loaded.generator, options)
            results = [translate_path(src, dst, translator, options, model=loaded.name)]
    for result in results:
        result.notices[:0] = loaded.notices
    return results


def translate_video(
    src: str | os.PathLike,
    dst: str | os.PathLike | None = None,
    model: str | nn.Module = "horse2zebra",
    smooth: str = "none",
    smooth_strength: float = DEFAULT_STRENGTH,
    **options,
) -> Result:
    """Translate one clip (or image). `smooth` is none, ema or flow; other keyword arguments are
    `TranslateOptions` fields."""
    options = TranslateOptions(smooth=SmoothingConfig(smooth, smooth_strength), **options)
    return translate(src, dst, model, options)[0]
