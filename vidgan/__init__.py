"""vidgan: translate videos between visual domains with CycleGAN.

The Python API under the `vidgan` command:

    import vidgan
    vidgan.translate_video("horse.mp4", "zebra.mp4", model="official:horse2zebra")
"""

from __future__ import annotations

from vidgan.api import load_generator, translate, translate_video
from vidgan.errors import VidganError
from vidgan.nets import GeneratorConfig, ResnetGenerator
from vidgan.translate import Result, TranslateOptions
from vidgan.video.encode import EncodeSettings

__all__ = [
    "EncodeSettings",
    "GeneratorConfig",
    "ResnetGenerator",
    "Result",
    "TranslateOptions",
    "VidganError",
    "load_generator",
    "translate",
    "translate_video",
]
__version__ = "0.1.0"
