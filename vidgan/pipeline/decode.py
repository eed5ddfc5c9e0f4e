"""Decode, the source stage: a clip's frames as records, upright RGB at the working size, input timestamps."""

from __future__ import annotations

from collections.abc import Iterator

from vidgan.pipeline.record import FrameRecord, Result
from vidgan.video.decode import Span, TruncatedError, VideoInfo, read_frames


class Decode:
    """Iterate over it for the records. Where the input breaks off after some frames, it raises, or with
    `keep_partial` ends there and says so in the clip's `result` (the frames before the break are kept)."""

    def __init__(self, info: VideoInfo, size: tuple[int, int], span: Span, full_size: tuple[int, int] | None,
                 result: Result, keep_partial: bool = False) -> None:  # fmt: skip
        self.info, self.size, self.span, self.full_size = info, size, span, full_size
        self.result, self.keep_partial = result, keep_partial

    def __iter__(self) -> Iterator[FrameRecord]:
        try:
            for frame in read_frames(self.info, self.size, self.span, self.full_size):
                yield FrameRecord(frame.pts, frame.rgb, frame.full)
        except TruncatedError as e:
            if not self.keep_partial:
                raise TruncatedError(f"{e} (--keep-partial keeps the frames before the break)") from None
            self.result.partial = str(e)
