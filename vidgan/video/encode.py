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

from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from vidgan.video.decode import SCALER_THREADS, AudioSource, Span, VideoInfo
from vidgan.video.formats import AUDIO_TRANSCODE, ENCODERS, NO_AUDIO_COPY, EncodeSettings, encoder_options


class AudioTrack:
    """The input's first audio stream into an output container, copied packet for packet where the container
    takes its codec, else re-encoded; `until(t)` muxes it up to output second t, so it interleaves with the
    video being written."""

    def __init__(self, container: av.container.OutputContainer, fmt: str, info: VideoInfo, span: Span,
                 notices: list[str]) -> None:  # fmt: skip
        self.container, self.span = container, span
        self.source = AudioSource(info.path, span)
        name = info.audio_codec
        if name in container.supported_codecs and name not in NO_AUDIO_COPY.get(fmt, ()):
            self.stream = container.add_stream_from_template(self.source.stream)
            self.transcode = False
        else:
            target = AUDIO_TRANSCODE[fmt]
            rate = 48000 if target == "libopus" else self.source.stream.rate
            self.stream = container.add_stream(target, rate=rate)
            self.stream.layout = self.source.stream.layout
            self.transcode = True
            notices.append(f"audio {name} cannot be copied into {fmt}: re-encoded as {target.removeprefix('lib')}")

    def until(self, t: float | None) -> None:
        """Mux the packets before output second `t` (None: all that are left in the span)."""
        for packet in self.source.take_until(t):
            shift = round(self.span.offset / packet.time_base)
            if self.transcode:
                for frame in self.source.stream.codec_context.decode(packet):
                    frame.pts -= shift
                    self.container.mux(self.stream.encode(frame))
            else:
                packet.pts -= shift
                packet.dts = packet.dts - shift if packet.dts is not None else None
                packet.stream = self.stream
                self.container.mux(packet)

    def finish(self, until: float | None = None) -> None:
        """The rest of the audio (up to output second `until`, where the video ended early), encoders flushed."""
        self.until(until)
        if self.transcode:
            for frame in self.source.stream.codec_context.decode(None):
                self.container.mux(self.stream.encode(frame))
            self.container.mux(self.stream.encode(None))

    def close(self) -> None:
        self.source.close()


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
        audio: bool = True,
    ) -> None:
        self.info, self.size, self.span = info, size, span
        self.shift = round(span.offset / info.time_base)  # pts units subtracted from every video frame
        self.frames = 0
        self.converter = VideoReformatter()  # one swscale context for the whole clip
        self.container = av.open(str(path), "w", format=fmt)
        self.audio: AudioTrack | None = None
        try:
            self._add_video(codec, settings)
            if audio and info.audio_codec:
                self.audio = AudioTrack(self.container, fmt, info, span, notices if notices is not None else [])
        except BaseException:
            self.abort()
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
        # Frame threads: whole frames in parallel, which x264 scales far better than slices (medium preset at
        # 720p on 2 cores: 17.5 frames/s against 15.3); the encoder picks their number.
        stream.codec_context.thread_type = "FRAME"
        stream.thread_count = 0
        self.video = stream

    def write(self, rgb: np.ndarray, pts: int) -> None:
        """Encode one upright RGB frame (H, W, 3) uint8 with its input pts; it is scaled to the output size."""
        pts -= self.shift
        if self.audio is not None:
            self.audio.until(float(pts * self.info.time_base))
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        w, h = self.size
        frame = self.converter.reformat(
            frame,
            width=w,
            height=h,
            format="yuv420p",
            dst_colorspace=self.info.colour.matrix,
            dst_color_range=self.info.colour.range,
            interpolation="BICUBIC" if w > rgb.shape[1] else "AREA",
            threads=SCALER_THREADS,
        )
        frame.pts = pts
        frame.time_base = self.info.time_base
        self.container.mux(self.video.encode(frame))
        self.frames += 1

    def frame_end(self, pts: int) -> float:
        """Output seconds where the frame at input `pts` ends (by the average frame rate)."""
        duration = 1 / float(self.info.rate) if self.info.rate else 0.0
        return float((pts - self.shift) * self.info.time_base) + duration

    def close(self, audio_until: float | None = None) -> None:
        """Flush the encoders and the rest of the audio (up to `audio_until` output seconds, where the
        video ended early), then write the trailer."""
        try:
            self.container.mux(self.video.encode(None))
            if self.audio is not None:
                self.audio.finish(audio_until)
        finally:
            self.abort()

    def abort(self) -> None:
        """Release the files (the caller deletes the temporary output)."""
        if self.audio is not None:
            self.audio.close()
        self.container.close()
