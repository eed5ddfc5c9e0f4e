"""Long clips in segments: where a clip can be cut (its keyframes), and the translated parts joined back by
stream copy, with the input's sound muxed once over the whole.

Each part is an MP4 holding only video, encoded with the output's codec and settings, its frames at their
input times less the segment's start: MP4 keeps the input's time base and every packet's pts and dts
exactly, and the join adds the start back and copies the packets in order. Timestamp notes:
- A part starts at 0 because MP4 would say a late start with an empty edit measured in the movie's
  timescale (milliseconds): 6.006006 s came back as 6.006 s.
- A part starts at a keyframe of the input, so decoding it needs nothing before it; it holds the frames
  with start <= pts < end, in presentation order.
- Encoders with B-frames give each part's first packets a dts before its first pts; across a join that
  can meet the previous part's last dts (variable frame rate), so a dts that does not increase is moved
  one tick past the last, which keeps dts <= pts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from vidgan.errors import VidganError
from vidgan.video.decode import Span, VideoInfo
from vidgan.video.encode import AudioTrack

PART_FORMAT = "mp4"  # the parts' container: exact pts and dts in the input's time base, every codec we write


@dataclass(frozen=True)
class Segment:
    """A stretch of a clip: the frames with start <= pts < end (input time base)."""

    index: int
    start: int  # pts of the keyframe it starts at
    end: int | None  # where the next segment starts; None: the end of the clip

    def span(self, info: VideoInfo, before: float = 0.0, after: float = 0.0) -> Span:
        """The seconds to decode: the segment, widened by `before` and `after` seconds (a smoother's
        warm-up and look-ahead)."""
        begin = float(self.start * info.time_base) - before
        end = float(self.end * info.time_base) + after if self.end is not None else None
        return Span(max(begin, info.start_time) if self.index else None, end)

    def holds(self, pts: int) -> bool:
        return pts >= self.start and (self.end is None or pts < self.end)


def keyframes(path: Path) -> list[int]:
    """The pts of the video stream's keyframes, in order (read from the packets: nothing is decoded)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        found = {p.pts for p in container.demux(stream) if p.is_keyframe and p.pts is not None}
    return sorted(found)


def plan(info: VideoInfo, keys: list[int], length: float) -> list[Segment]:
    """Segments of about `length` seconds: each starts at the first keyframe at or after a multiple of
    `length` from the clip's start (so a clip with few keyframes gives fewer, longer segments)."""
    if length <= 0:
        raise VidganError("the segment length must be more than 0")
    starts: list[int] = []
    mark = info.start_time
    for key in keys:
        if not starts or float(key * info.time_base) >= mark:
            starts.append(key)
            mark = float(key * info.time_base) + length
    starts = starts or [0]
    ends: list[int | None] = [*starts[1:], None]
    return [Segment(i, s, e) for i, (s, e) in enumerate(zip(starts, ends))]


def join(parts: list[tuple[Path, int]], dst: Path, fmt: str, info: VideoInfo, notices: list[str]) -> int:
    """Copy the packets of the parts, (path, the pts its times count from) in order, into `dst` (container
    `fmt`) at their input times, with the input's audio over the whole clip (copied or re-encoded as for a
    clip in one piece); returns the number of video packets."""
    with av.open(str(parts[0][0])) as first:
        container = av.open(str(dst), "w", format=fmt)
        video = container.add_stream_from_template(first.streams.video[0])
    video.time_base = info.time_base
    audio: AudioTrack | None = None
    count, last_dts = 0, None
    try:
        if info.audio_codec:
            audio = AudioTrack(container, fmt, info, Span(), notices)
        for part, start in parts:
            with av.open(str(part)) as source:
                stream = source.streams.video[0]
                shift = round(start * info.time_base / stream.time_base)
                for packet in source.demux(stream):
                    if packet.size == 0:  # the demuxer's end-of-stream marker
                        continue
                    packet.pts += shift
                    packet.dts = packet.dts + shift if packet.dts is not None else None
                    if last_dts is not None and packet.dts is not None and packet.dts <= last_dts:
                        packet.dts = last_dts + 1
                    last_dts = packet.dts
                    if audio is not None:
                        audio.until(float(packet.pts * packet.time_base))
                    packet.stream = video
                    container.mux(packet)
                    count += 1
        if audio is not None:
            audio.finish()
    finally:
        if audio is not None:
            audio.close()
        container.close()
    return count
