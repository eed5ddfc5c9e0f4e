"""The public functions; `cli.py` only parses arguments and calls these."""

from __future__ import annotations

import os
from pathlib import Path

from torch import nn

from vidgan.checkpoints import LoadedModel, load_model
from vidgan.errors import VidganError
from vidgan.temporal import DEFAULT_STRENGTH, SmoothingConfig
from vidgan.translate import (
    Result,
    TranslateOptions,
    default_output,
    make_translator,
    translate_folder,
    translate_path,
)


def load_generator(model: str) -> LoadedModel:
    """A generator by `--model` spec: a shipped or user name, `official:NAME`, or a file path."""
    return load_model(model)


def _resolve(model: str | nn.Module) -> tuple[str, nn.Module]:
    if isinstance(model, nn.Module):
        return type(model).__name__.lower(), model
    loaded = load_model(model)
    return loaded.name, loaded.generator


def translate(
    src: str | os.PathLike,
    dst: str | os.PathLike | None = None,
    model: str | nn.Module = "horse2zebra",
    options: TranslateOptions | None = None,
    recursive: bool = False,
) -> list[Result]:
    """Translate a clip, an image, or every clip and image in a folder.

    `model` is a `--model` spec or any module mapping (N, 3, H, W) in [-1, 1] to the same. For a file,
    `dst` defaults to `NAME_MODEL.EXT` in the current folder; for a folder, to `FOLDER_MODEL` beside it.
    """
    options = options or TranslateOptions()
    src = Path(src)
    if not src.exists():
        raise VidganError(f"input not found: {src}")
    name, module = _resolve(model)
    translator = make_translator(module, options)
    if src.is_dir():
        out_dir = Path(dst) if dst else src.with_name(f"{src.name}_{name}")
        if not out_dir.parent.is_dir():
            raise VidganError(f"output folder's parent does not exist: {out_dir.parent}")
        out_dir.mkdir(exist_ok=True)
        return translate_folder(src, out_dir, translator, options, recursive)
    return [translate_path(src, Path(dst) if dst else default_output(src, name), translator, options)]


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
