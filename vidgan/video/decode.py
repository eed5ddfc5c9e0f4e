"""Decoding: a video file to upright RGB frames with their original timestamps, and its audio packets.

PyAV (FFmpeg in process) reads the file. Timestamp notes:
- A frame's `pts` is in its stream's `time_base`; we keep both and hand them to the encoder unchanged, so
  variable frame rate stays variable and nothing is recomputed from a nominal rate.
- Audio is read by a second demuxer on the same file (`AudioSource`), pulled by the encoder up to the time
  of each video frame it writes, so packets interleave correctly with constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from vidgan.errors import VidganError

# Threads per colour converter (swscale). One converter per clip and direction is made once and reused: a
# fresh one per frame, auto-threaded, cost 2.6 ms per 720p frame where a reused one takes 0.9 ms; two
# threads beat one and beat automatic on frames of 1080p and above (measured on 2 cores).
SCALER_THREADS = 2

# AVColorSpace tag -> the swscale matrix that converts it. Unspecified is what swscale assumes: BT.601.
_MATRIX = {1: Colorspace.ITU709, 4: Colorspace.FCC, 5: Colorspace.ITU601, 6: Colorspace.ITU601,
           7: Colorspace.SMPTE240M, 9: Colorspace.BT2020, 10: Colorspace.BT2020}  # fmt: skip
# The AVColorSpace tag written on the output for each matrix, so players convert back the same way.
_MATRIX_TAG = {Colorspace.ITU709: 1, Colorspace.FCC: 4, Colorspace.ITU601: 6, Colorspace.SMPTE240M: 7,
               Colorspace.BT2020: 9}  # fmt: skip
_HDR_TRC = {16: "PQ (SMPTE 2084)", 18: "HLG"}


@dataclass(frozen=True)
class Colour:
    """How the input's YUV maps to RGB; the encoder converts back with the same and tags it."""

    matrix: int  # swscale Colorspace constant used for YUV<->RGB
    range: int  # ColorRange.MPEG (limited, 16-235) or ColorRange.JPEG (full)
    primaries: int  # AVColorPrimaries tag, copied to the output (2 = unspecified)
    trc: int  # AVColorTransferCharacteristic tag, copied to the output

    @property
    def matrix_tag(self) -> int:
        return _MATRIX_TAG[self.matrix]


@dataclass(frozen=True)
class VideoInfo:
    """What the pipeline needs to know about an input, read from its header and first frame."""

    path: Path
    width: int  # upright, as displayed (rotation applied)
    height: int
    rotation: int  # 0, 90, 180 or 270: counter-clockwise turn that displays the stored frame upright
    time_base: Fraction  # of the video stream; frame pts are in this unit
    rate: Fraction | None  # average frame rate (a hint for the encoder; VFR keeps its own times)
    frames: int  # frame count from the container's index, 0 where unknown
    duration: float | None  # seconds
    start_time: float  # seconds of the first frame
    pix_fmt: str
    colour: Colour
    audio_codec: str | None  # canonical codec name of the first audio stream
    dropped_streams: list[str] = field(default_factory=list)  # subtitle/data streams we do not carry
    notices: list[str] = field(default_factory=list)
    truncated: str | None = None  # what the container's own structure says is missing, if anything
    present_frames: int | None = None  # of a truncated file: the video packets wholly inside it (for estimates)

    def stored(self, width: int, height: int) -> tuple[int, int]:
        """An upright size as the stored (pre-rotation) frame size."""
        return (height, width) if self.rotation in (90, 270) else (width, height)


@dataclass(frozen=True)
class Span:
    """The part of the input to translate, in absolute input seconds (--start/--duration).

    The whole clip keeps its timestamps exactly (offset 0); a part is shifted to start at 0, the audio by
    the same amount, so the two stay in sync."""

    begin: float | None = None  # None: from the first frame
    end: float | None = None  # None: to the last frame

    @classmethod
    def of(cls, info: VideoInfo, start: float | None, duration: float | None) -> Span:
        if start is None and duration is None:
            return cls()
        begin = info.start_time + (start or 0.0)
        return cls(begin, begin + duration if duration is not None else None)

    @property
    def offset(self) -> float:
        return self.begin or 0.0

    @property
    def whole(self) -> bool:
        return self.begin is None and self.end is None

    def before(self, t: float) -> bool:
        return self.begin is not None and t < self.begin - 1e-6

    def after(self, t: float) -> bool:
        return self.end is not None and t >= self.end - 1e-6


@dataclass
class Frame:
    """One decoded frame: upright RGB (H, W, 3) uint8 at the working size, and its timestamp."""

    rgb: np.ndarray
    pts: int  # in VideoInfo.time_base
    full: np.ndarray | None = None  # the frame at the output size (for upsampling and --compare)


class TruncatedError(VidganError):
    """The file ends (or breaks) before the frames its index lists: what decoded up to there is usable."""


def missing_bytes(path: Path) -> int:
    """How many bytes past the end of the file the container's own structure reaches: a cut download whose
    index survived (an MP4 with its index in front, a Matroska/WebM segment). 0 where nothing is missing or
    the format is not one we can check this way."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"):  # ISO BMFF, QuickTime
            return max(0, _boxes_end(f, size) - size)
        if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska, WebM
            return max(0, _segment_end(f, size) - size)
    return 0


def _boxes_end(f, size: int) -> int:
    """Where the last top-level box of an ISO BMFF file ends, by the boxes' declared sizes."""
    pos = 0
    while pos < size:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            return pos + 8  # a box header cut in half
        box = int.from_bytes(header[:4], "big")
        if box == 0:  # "to the end of the file"
            return size
        if box == 1:  # a 64-bit size follows the type
            if len(header) < 16:
                return pos + 16
            box = int.from_bytes(header[8:16], "big")
        if box < 8:
            return size  # not a box structure we understand: no claim
        pos += box
    return pos


def _segment_end(f, size: int) -> int:
    """Where the Matroska Segment ends by its declared size (EBML header, then the Segment element)."""
    f.seek(0)
    data = f.read(64)
    pos = 4
    header_size, pos = _vint(data, pos)
    pos += header_size
    f.seek(pos)
    data = f.read(12)
    if data[:4] != b"\x18\x53\x80\x67" or len(data) < 5:
        return size
    length, used = _vint(data, 4)
    if length == (1 << (7 * (used - 4))) - 1:  # all ones: size unknown (a live stream)
        return size
    return pos + used + length


def _vint(data: bytes, pos: int) -> tuple[int, int]:
    """An EBML variable-length integer at `pos`: (value, position after it)."""
    first = data[pos]
    width = 1
    while width <= 8 and not first & (0x80 >> (width - 1)):
        width += 1
    value = first & (0xFF >> width)
    for byte in data[pos + 1 : pos + width]:
        value = value << 8 | byte
    return value, pos + width


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise VidganError(f"input not found: {path}")
    if path.is_dir():
        raise VidganError(f"input is a folder, not a video: {path}")
    try:
        return av.open(str(path), "r")
    except av.FFmpegError as e:
        missing = missing_bytes(path)
        if missing:  # e.g. an MP4 whose index comes last, cut off with it: nothing in it can be found
            raise VidganError(f"cannot read {path}: it is cut short ({missing:,} bytes missing at the end, where "
                              f"its index would be): download or copy it again") from None  # fmt: skip
        raise VidganError(f"cannot read {path}: not a video or corrupt ({e.strerror or e})") from None


def probe(path: str | Path) -> VideoInfo:
    """Open `path`, check it has a decodable video stream, and describe it (decodes the first frame)."""
    path = Path(path)
    with _open(path) as container:
        if not container.streams.video:
            kinds = ", ".join(sorted({s.type for s in container.streams})) or "nothing"
            raise VidganError(f"{path} has no video stream (it holds {kinds})")
        stream = container.streams.video[0]
        try:
            first = next(container.decode(stream), None)
        except av.FFmpegError as e:
            raise VidganError(f"cannot decode {path}: {e.strerror or e}") from None
        if first is None:
            raise VidganError(f"{path} has a video stream with no frames")
        audio = container.streams.audio[0] if container.streams.audio else None
        dropped = [f"{s.type} #{s.index}" for s in container.streams if s.type not in ("video", "audio")]
        dropped += [f"audio #{s.index}" for s in container.streams.audio[1:]]
        dropped += [f"video #{s.index}" for s in container.streams.video[1:]]
        rotation, notices = _rotation_and_notices(first)
        width, height = first.width, first.height
        if rotation in (90, 270):
            width, height = height, width
        missing = missing_bytes(path)
        truncated = (f"{path} is truncated: its container reaches {missing:,} bytes past the end of the file"
                     if missing else None)  # fmt: skip
        present = _packets_inside(container, stream, path.stat().st_size) if missing else None
        duration = (
            float(stream.duration * stream.time_base)
            if stream.duration
            else (container.duration / av.time_base if container.duration else None)
        )
        return VideoInfo(
            path=path,
            width=width,
            height=height,
            rotation=rotation,
            time_base=stream.time_base,
            rate=stream.average_rate,
            frames=stream.frames,
            duration=duration,
            start_time=float(first.pts * stream.time_base) if first.pts is not None else 0.0,
            pix_fmt=first.format.name,
            colour=Colour(
                matrix=_MATRIX.get(first.colorspace, Colorspace.ITU601),
                range=ColorRange.JPEG if first.color_range == ColorRange.JPEG else ColorRange.MPEG,
                primaries=first.color_primaries,
                trc=first.color_trc,
            ),  # fmt: skip
            audio_codec=audio.codec_context.codec.canonical_name if audio else None,
            dropped_streams=dropped,
            notices=notices,
            truncated=truncated,
            present_frames=present,
        )


def _rotation_and_notices(first: av.VideoFrame) -> tuple[int, list[str]]:
    """A clip's rotation (a right angle, else ignored) and what the user should know of its first frame's
    format: depth, pixel format, HDR."""
    rotation = int(round(first.rotation)) % 360 if first.rotation else 0
    fmt, notices = first.format, []
    depth = max(c.bits for c in fmt.components) if fmt.components else 8
    if depth > 8:
        notices.append(f"input is {depth}-bit ({fmt.name}): the output is 8-bit")
    elif fmt.name not in ("yuv420p", "yuvj420p", "nv12"):
        notices.append(f"input pixel format {fmt.name}: the output is yuv420p")
    if first.color_trc in _HDR_TRC:
        notices.append(f"input is HDR ({_HDR_TRC[first.color_trc]}): translated as code values, not tone-mapped")
    if rotation not in (0, 90, 180, 270):
        notices.append(f"rotation {rotation} degrees is not a right angle: ignored")
        rotation = 0
    return rotation, notices


def _packets_inside(container: av.container.InputContainer, stream, size: int) -> int:
    """The video packets whose data lie wholly inside a truncated file (demuxed, not decoded: fast)."""
    container.seek(0, stream=stream)
    count = 0
    try:
        for packet in container.demux(stream):
            if packet.size and (packet.pos is None or packet.pos < 0 or packet.pos + packet.size <= size):
                count += 1
    except av.FFmpegError:
        pass  # the break: what came before it is counted
    return count


def to_rgb(frame: av.VideoFrame, info: VideoInfo, width: int, height: int,
           converter: VideoReformatter | None = None) -> np.ndarray:  # fmt: skip
    """Scale and convert one decoded frame to upright RGB of (upright) size width x height; pass the same
    `converter` for every frame of a clip (it keeps its swscale context)."""
    w, h = info.stored(width, height)
    rgb = (
        (converter or VideoReformatter())
        .reformat(
            frame,
            width=w,
            height=h,
            format="rgb24",
            src_colorspace=info.colour.matrix,
            src_color_range=info.colour.range,
            interpolation="AREA" if w < frame.width else "BICUBIC",
            threads=SCALER_THREADS,
        )
        .to_ndarray()
    )
    if info.rotation:
        rgb = np.ascontiguousarray(np.rot90(rgb, k=info.rotation // 90))
    return rgb


def read_frames(
    info: VideoInfo,
    size: tuple[int, int],
    span: Span = Span(),
    full_size: tuple[int, int] | None = None,
) -> Iterator[Frame]:
    """Yield the frames of `info.path` within `span` as upright RGB at `size` (width, height); with
    `full_size`, also at that size (for upsampling and --compare). Timestamps are the input's, unchanged.

    Raises TruncatedError where decoding breaks, or the file ends before the frames its index lists (a
    truncated download), once the frames before the break are out; VidganError if none are."""
    tb = info.time_base
    count = 0
    converter, full_converter = VideoReformatter(), VideoReformatter()
    with _open(info.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame + slice threads: decoding keeps up with the generator
        try:
            if span.begin:
                container.seek(int(span.begin / tb), stream=stream, backward=True)
            last_pts = -1
            for frame in container.decode(stream):
                # A missing or repeated pts would stall the encoder: fall back to the next tick.
                pts = frame.pts if frame.pts is not None and frame.pts > last_pts else last_pts + 1
                t = float(pts * tb)
                if span.before(t):
                    continue
                if span.after(t):
                    break
                last_pts = pts
                count += 1
                full = to_rgb(frame, info, *full_size, full_converter) if full_size else None
                yield Frame(to_rgb(frame, info, *size, converter), pts, full)
        except av.FFmpegError as e:
            if count == 0:
                raise VidganError(f"cannot decode {info.path}: {e.strerror or e}") from None
            raise TruncatedError(f"{info.path} is corrupt after {count} frames: {e.strerror or e}") from None
    if count == 0:
        raise VidganError(f"{info.path}: no frames in the requested range")
    if span.whole and info.frames and count < info.frames - 1:
        raise TruncatedError(f"{info.path} is truncated or corrupt: decoded {count} of {info.frames} frames")


class AudioSource:
    """The input's first audio stream, read by its own demuxer and handed out in time order.

    `take_until(t)` returns the packets that start before `t` (output seconds: input time minus the span's
    offset), so the encoder can interleave them with the video it is writing; packets outside the span
    are left out."""

    def __init__(self, path: Path, span: Span = Span()) -> None:
        self.container = av.open(str(path), "r")
        self.stream = self.container.streams.audio[0]
        self.span = span
        if span.begin:
            self.container.seek(int(span.begin / self.stream.time_base), stream=self.stream, backward=True)
        self._packets = (p for p in self.container.demux(self.stream) if p.pts is not None)
        self._pending: av.Packet | None = None

    def take_until(self, t: float | None) -> list[av.Packet]:
        """Packets with (pts - offset) < t seconds; t=None drains the rest (up to the end of the range)."""
        out = []
        while True:
            packet = self._pending or next(self._packets, None)
            self._pending = None
            if packet is None:
                return out
            time = float(packet.pts * packet.time_base)
            if self.span.before(time):
                continue
            if self.span.after(time):
                return out
            if t is not None and time - self.span.offset >= t:
                self._pending = packet
                return out
            out.append(packet)

    def close(self) -> None:
        self.container.close()
