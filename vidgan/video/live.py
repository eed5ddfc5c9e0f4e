"""PyAV for live video: a source that delivers frames as they happen (a camera through v4l2, an rtsp:// or
http:// stream, or a file played at its own pace), and a sink that writes frames as they come, to a file
(written to a temporary name and completed on any stop, Ctrl-C included: a playable file of what was seen)
or to a stream (`--to`, any URL and format FFmpeg can mux to, e.g. mpegts over udp://)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vidgan.atomic import atomic_path
from vidgan.errors import VidganError

MILLISECONDS = Fraction(1, 1000)  # the sink's time base: frames keep their capture times to the millisecond


class LiveSource:
    """The frames of `source` as (rgb (H, W, 3) uint8, capture time on time.monotonic's clock, pts in ms since
    the first frame). `realtime`: a file is played at its own pace (a camera or a stream is anyway)."""

    def __init__(self, source: str, realtime: bool = False, fmt: str | None = None) -> None:
        self.source, self.realtime = source, realtime
        fmt = fmt or ("v4l2" if source.startswith("/dev/video") else None)
        try:
            self.container = av.open(source, format=fmt, options={"fflags": "nobuffer"} if fmt else {})
        except (av.FFmpegError, OSError) as e:
            raise VidganError(f"cannot open {source} as a live source: {e}".splitlines()[0]) from None
        if not self.container.streams.video:
            self.container.close()
            raise VidganError(f"{source} has no video stream")
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        rate = self.stream.average_rate or self.stream.guessed_rate
        self.rate = float(rate) if rate else 30.0
        self._frames = self._decode()

    def __iter__(self) -> Iterator[tuple[np.ndarray, float, int]]:
        """One pass, as a live source has: a frame taken is gone (a second loop goes on after it)."""
        return self._frames

    def _decode(self) -> Iterator[tuple[np.ndarray, float, int]]:
        first_pts, started = None, time.monotonic()
        try:
            for frame in self.container.decode(self.stream):
                seconds = float((frame.pts or 0) * frame.time_base) if frame.time_base else 0.0
                first_pts = seconds if first_pts is None else first_pts
                if self.realtime:  # a file: each frame when its time comes
                    time.sleep(max(0.0, started + seconds - first_pts - time.monotonic()))
                yield frame.to_ndarray(format="rgb24"), time.monotonic(), round(1000 * (seconds - first_pts))
        except av.FFmpegError as e:
            raise VidganError(f"{self.source} broke off: {e}".splitlines()[0]) from None

    def close(self) -> None:
        self.container.close()


class LiveSink:
    """Writes frames as they come at their capture times (ms): h264, tuned for latency. To a file, through
    a temporary name completed by `close` however the run stopped; to a URL (`fmt` names the muxer)."""

    def __init__(self, target: str | Path, size: tuple[int, int], fmt: str | None = None, rate: float = 30.0) -> None:
        self.target = target
        self._atomic = None
        path = target
        if fmt is None:  # a file
            self._atomic = atomic_path(Path(target), overwrite=True)
            path = self._atomic.__enter__()
        try:
            self.container = av.open(str(path), "w", format=fmt or _muxer(Path(target)))
        except (av.FFmpegError, OSError) as e:
            raise VidganError(f"cannot write to {target}: {e}".splitlines()[0]) from None
        self.stream = self.container.add_stream("libx264", rate=round(rate))
        self.stream.width, self.stream.height = size[0] - size[0] % 2, size[1] - size[1] % 2
        self.stream.pix_fmt = "yuv420p"
        self.stream.time_base = MILLISECONDS
        self.stream.options = {"preset": "ultrafast", "tune": "zerolatency"}
        self.frames, self._last = 0, -1

    def write(self, rgb: np.ndarray, pts_ms: int) -> None:
        if pts_ms <= self._last:  # a frame time must rise
            return
        h, w = self.stream.height, self.stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), format="rgb24")
        frame.pts, frame.time_base, self._last = pts_ms, MILLISECONDS, pts_ms
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and complete the file (or end the stream): what was seen is playable."""
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
        finally:
            self.container.close()
            if self._atomic is not None:
                self._atomic.__exit__(None, None, None)


def _muxer(path: Path) -> str:
    from vidgan.video.formats import container_format

    return container_format(path)
