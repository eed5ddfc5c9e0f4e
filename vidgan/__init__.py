"""vidgan: translate videos between visual domains with CycleGAN.

The Python API under the `vidgan` command:

    import vidgan
    vidgan.translate_video("horse.mp4", "zebra.mp4", model="horse2zebra")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidgan.api import load_generator, translate_video
    from vidgan.errors import VidganError
    from vidgan.models.nets import GeneratorConfig, ResnetGenerator
    from vidgan.pipeline.options import TranslateOptions
    from vidgan.pipeline.record import Result
    from vidgan.video.formats import EncodeSettings

# Loaded on first use, so `import vidgan` (and the command line, and the trainer) start without PyAV
# and FFmpeg: a training machine whose data are images needs no video stack. `vidgan.api.translate`
# (clips, images, folders) is not lifted here, beside translate_video, to keep one obvious entry point.
_HOMES = {
    "EncodeSettings": "vidgan.video.formats",
    "GeneratorConfig": "vidgan.models.nets",
    "ResnetGenerator": "vidgan.models.nets",
    "Result": "vidgan.pipeline.record",
    "TranslateOptions": "vidgan.pipeline.options",
    "VidganError": "vidgan.errors",
    "load_generator": "vidgan.api",
    "translate_video": "vidgan.api",
}
__all__ = [
    "EncodeSettings",
    "GeneratorConfig",
    "ResnetGenerator",
    "Result",
    "TranslateOptions",
    "VidganError",
    "load_generator",
    "translate_video",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'vidgan' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
