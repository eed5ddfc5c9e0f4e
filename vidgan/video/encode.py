"""Encoding: translated RGB frames back into a video with the input's timestamps, colour and sound.

The PyAV order is visible in `VideoWriter`: open -> add_stream (video, audio) -> encode -> mux -> flush.
Timestamp notes:
- The video encoder's time base is the input stream's, and each frame keeps its input pts (less the
  span's offset), so times match the input exactly and VFR stays VFR. The muxer may round to its own
  stream time base (Matroska/WebM: milliseconds).
- Copied audio packets keep their pts/dts; `mux` rescales them to the output stream's time base.
- Video and audio are muxed as they come; the muxer interleaves by dts, and the audio is pulled up to
  each video frame's time so neither side runs far ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from vidgan.errors import VidganError
from vidgan.video.decode import AudioSource, Span, VideoInfo

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
ENCODERS = {"h264": "libx264", "hevc": "libx265", "vp9": "libvpx-vp9", "av1": "libsvtav1"}
DEFAULT_CODEC = {"mp4": "h264", "mov": "h264", "matroska": "h264", "webm": "vp9"}
# What each codec gets without --crf / --preset: the encoders' usual defaults.
DEFAULT_CRF = {"h264": 23, "hevc": 28, "vp9": 32, "av1": 35}
DEFAULT_PRESET = {"h264": "medium", "hevc": "medium", "vp9": "4", "av1": "8"}
# Audio that cannot be copied is re-encoded to the container's usual codec.
AUDIO_TRANSCODE = {"mp4": "aac", "mov": "aac", "matroska": "libopus", "webm": "libopus"}
# FFmpeg lists Vorbis as MP4/MOV-capable but writes it only in experimental mode: players reject it.
NO_AUDIO_COPY = {"mp4": {"vorbis"}, "mov": {"vorbis"}}


@dataclass
class EncodeSettings:
    """How the output video is compressed."""

    codec: str | None = None  # h264, hevc, vp9 or av1; None: h264 (vp9 for .webm)
    crf: int | None = None  # constant quality, lower is better; None: the codec's usual default
    preset: str | None = None  # speed vs size: x264/x265 names (veryfast...), numbers for vp9 and av1


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


class VideoWriter:
    """Writes one output file: the translated video plus the input's audio (copied or re-encoded)."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        codec: str,
        settings: EncodeSettings,
        info: VideoInfo,
        size: tuple[int, int],
        span: Span = Span(),
        notices: list[str] | None = None,
    ) -> None:
        self.info, self.size, self.span = info, size, span
        self.shift = round(span.offset / info.time_base)  # pts units subtracted from every video frame
        self.frames = 0
        self.container = av.open(str(path), "w", format=fmt)
        try:
            self._add_video(codec, settings)
            self.audio: AudioSource | None = None
            if info.audio_codec:
                self._add_audio(fmt, notices if notices is not None else [])
        except BaseException:
            self.container.close()
            raise

    def _add_video(self, codec: str, settings: EncodeSettings) -> None:
        info = self.info
        stream = self.container.add_stream(ENCODERS[codec], rate=info.rate, options=encoder_options(codec, settings))
        stream.width, stream.height = self.size
        stream.pix_fmt = "yuv420p"
        stream.time_base = info.time_base
        stream.codec_context.time_base = info.time_base
        # Tag the output as the input was converted, so players turn it back into the same RGB.
        stream.codec_context.colorspace = info.colour.matrix_tag
        stream.codec_context.color_range = info.colour.range
        stream.codec_context.color_primaries = info.colour.primaries
        stream.codec_context.color_trc = info.colour.trc
        stream.thread_count = 0  # the encoder picks; it runs beside decoding and inference
        self.video = stream

    def _add_audio(self, fmt: str, notices: list[str]) -> None:
        source = AudioSource(self.info.path, self.span)
        self.audio = source
        name = self.info.audio_codec
        if name in self.container.supported_codecs and name not in NO_AUDIO_COPY.get(fmt, ()):
            self.audio_out = self.container.add_stream_from_template(source.stream)
            self.transcode = False
        else:
            target = AUDIO_TRANSCODE[fmt]
            rate = 48000 if target == "libopus" else source.stream.rate
            self.audio_out = self.container.add_stream(target, rate=rate)
            self.audio_out.layout = source.stream.layout
            self.transcode = True
            notices.append(f"audio {name} cannot be copied into {fmt}: re-encoded as {target.removeprefix('lib')}")

    def _mux_audio_until(self, t: float | None) -> None:
        if self.audio is None:
            return
        for packet in self.audio.take_until(t):
            shift = round(self.span.offset / packet.time_base)
            if self.transcode:
                for frame in self.audio.stream.codec_context.decode(packet):
                    frame.pts -= shift
                    self.container.mux(self.audio_out.encode(frame))
            else:
                packet.pts -= shift
                packet.dts = packet.dts - shift if packet.dts is not None else None
                packet.stream = self.audio_out
                self.container.mux(packet)

    def write(self, rgb: np.ndarray, pts: int) -> None:
        """Encode one upright RGB frame (H, W, 3) uint8 with its input pts; it is scaled to the output size."""
        pts -= self.shift
        self._mux_audio_until(float(pts * self.info.time_base))
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        w, h = self.size
        frame = frame.reformat(
            width=w,
            height=h,
            format="yuv420p",
            dst_colorspace=self.info.colour.matrix,
            dst_color_range=self.info.colour.range,
            interpolation="BICUBIC" if w > rgb.shape[1] else "AREA",
        )
        frame.pts = pts
        frame.time_base = self.info.time_base
        self.container.mux(self.video.encode(frame))
        self.frames += 1

    def close(self) -> None:
        """Flush the encoders and the rest of the audio, then write the trailer."""
        try:
            self.container.mux(self.video.encode(None))
            self._mux_audio_until(None)
            if self.audio is not None and self.transcode:
                for frame in self.audio.stream.codec_context.decode(None):
                    self.container.mux(self.audio_out.encode(frame))
                self.container.mux(self.audio_out.encode(None))
        finally:
            self.abort()

    def abort(self) -> None:
        """Release the files (the caller deletes the temporary output)."""
        if self.audio is not None:
            self.audio.close()
        self.container.close()
