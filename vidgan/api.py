"""The public functions; `cli.py` only parses arguments and calls these."""

from __future__ import annotations

import os

from torch import nn

from vidgan.checkpoints import LoadedModel
from vidgan.cluster import LONG_CLIPS, RayOptions, translate_on_ray
from vidgan.errors import VidganError
from vidgan.models import faster_alternative, load_model
from vidgan.pipeline.jobs import make_translator
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.plan import plan_job, run_plan
from vidgan.pipeline.progress import Listener
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
    listener: Listener | None = None,
) -> list[Result]:
    """Translate a clip, an image, or every clip and image in a folder; with `ray`, as tasks on a Ray
    cluster (vidgan/cluster.py). The job is planned and checked once (pipeline/plan.py), then run.

    `model` is a `--model` spec or any module mapping (N, 3, H, W) in [-1, 1] to the same. For a file,
    `dst` defaults to `NAME_MODEL.EXT` in the current folder; for a folder, to `FOLDER_MODEL` beside it.
    `listener` is told the frames done as they are (and may raise `Cancelled` to stop).
    """
    options = options or TranslateOptions()
    loaded = _resolve(model)
    plan = plan_job(src, dst, loaded.name, options, recursive, LONG_CLIPS if ray is not None else None)
    if ray is not None:
        results = translate_on_ray(plan, loaded, options, ray, listener)
        if not plan.folder and results[0].error:
            raise VidganError(results[0].error)
    else:
        translator = make_translator(loaded.generator, options)
        if translator.device.type == "cpu":
            translator.advice = faster_alternative(loaded.name)
        results = run_plan(plan, translator, options, listener)
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
