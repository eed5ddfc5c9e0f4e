"""File formats: which extensions are images or videos, and which codec each container may hold.

Plain tables and rules with no FFmpeg behind them, so the command line and the trainer load without PyAV
(a training machine needs no video stack unless its data are videos).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from vidgan.errors import VidganError

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
ENCODERS = {"h264": "libx264", "hevc": "libx265", "vp9": "libvpx-vp9", "av1": "libsvtav1"}
DEFAULT_CODEC = {"mp4": "h264", "mov": "h264", "matroska": "h264", "webm": "vp9"}
# What each codec gets without --crf / --preset: the encoders' usual defaults, except h264. The encoder is the
# slowest stage of the pipeline (the GPU waits for it; on a CPU it takes two thirds of the time beside an
# identity model): x264's `veryfast` at crf 21.5 keeps the PSNR of its `medium` at 23 within 0.1-0.3 dB and
# encodes 2.3-2.6x as fast, for 9-22% more bytes (720p, `vidgan bench --presets`, docs/benchmarks.md).
# `--preset medium --crf 23` gives x264's own default back.
DEFAULT_CRF = {"h264": 21.5, "hevc": 28, "vp9": 32, "av1": 35}
DEFAULT_PRESET = {"h264": "veryfast", "hevc": "medium", "vp9": "4", "av1": "8"}
# Audio that cannot be copied is re-encoded to the container's usual codec.
AUDIO_TRANSCODE = {"mp4": "aac", "mov": "aac", "matroska": "libopus", "webm": "libopus"}
# FFmpeg lists Vorbis as MP4/MOV-capable but writes it only in experimental mode: players reject it.
NO_AUDIO_COPY = {"mp4": {"vorbis"}, "mov": {"vorbis"}}
VIDEO_EXTENSIONS = set(CONTAINERS) | {".avi", ".mpg", ".mpeg", ".ts", ".m2ts", ".flv", ".wmv", ".3gp", ".ogv"}


@dataclass
class EncodeSettings:
    """How the output video is compressed."""

    codec: str | None = None  # h264, hevc, vp9 or av1; None: h264 (vp9 for .webm)
    crf: float | None = None  # constant quality, lower is better (x264, x265: fractions too); None: the default
    preset: str | None = None  # speed vs size: x264/x265 names (veryfast...), numbers for vp9 and av1

    def validate(self) -> None:
        if self.codec is not None and self.codec not in ENCODERS:
            raise VidganError(f"unknown codec {self.codec!r}: use one of {', '.join(ENCODERS)}")
        if self.crf is not None and not (math.isfinite(self.crf) and 0 <= self.crf <= 63):
            raise VidganError(f"crf {self.crf!r} is outside 0-63")


def container_format(path: Path) -> str:
    """The muxer for an output path, from its extension."""
    try:
        return CONTAINERS[path.suffix.lower()]
    except KeyError:
        raise VidganError(f"unsupported output extension {path.suffix!r}: use one of {', '.join(CONTAINERS)}") from None


def resolve_codec(path: Path, settings: EncodeSettings) -> str:
    """The codec for `path`, checked against its container before any work is done."""
    fmt = container_format(path)
    codec = settings.codec or DEFAULT_CODEC[fmt]
    if codec not in ENCODERS:
        raise VidganError(f"unknown codec {codec!r}: use one of {', '.join(ENCODERS)}")
    if fmt == "webm" and codec not in ("vp9", "av1"):
        raise VidganError(f"a .webm file cannot hold {codec}: use --codec vp9 or av1, or a .mp4/.mkv output")
    if fmt == "mov" and codec not in ("h264", "hevc"):
        raise VidganError(f"a .mov file cannot hold {codec} for most players: use h264 or hevc, or .mkv")
    return codec


def encoder_options(codec: str, settings: EncodeSettings) -> dict[str, str]:
    crf = str(settings.crf if settings.crf is not None else DEFAULT_CRF[codec])
    preset = settings.preset or DEFAULT_PRESET[codec]
    if codec == "vp9":  # constant quality needs b=0; row-mt spreads one frame over the cores
        return {"crf": crf, "b": "0", "deadline": "good", "cpu-used": preset, "row-mt": "1"}
    options = {"crf": crf, "preset": preset}
    if codec == "hevc":
        options["x265-params"] = "log-level=error"
    return options
