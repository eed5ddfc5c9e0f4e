"""A clip in segments (`--segment 60s`): each stretch between keyframes translated on its own into a part
beside the output, then the parts joined by stream copy with the input's sound muxed once over the whole
(vidgan/video/segments.py). The parts are what make a long translation resumable (a rerun translates only
the parts that are missing) and what a cluster spreads over its workers (vidgan/pipeline/ray.py).

With smoothing, a segment's run starts WARMUP_FRAMES earlier and ends LOOKAHEAD_FRAMES later than its own
frames, and writes only its own: its smoother has settled by the first frame it keeps (the flow smoother
forgets a frame's influence geometrically), and its last frame has the look-ahead it would have had in one
piece, so the joins do not show.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from vidgan.atomic import atomic_path, check_output_path, write_text
from vidgan.engine.translator import FrameTranslator
from vidgan.errors import VidganError
from vidgan.pipeline.clip import Target, probe_input, run_clip
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.progress import Listener
from vidgan.pipeline.record import Result
from vidgan.video.decode import VideoInfo
from vidgan.video.formats import container_format, resolve_codec
from vidgan.video.segments import PART_FORMAT, Segment, join, keyframes, plan

WARMUP_FRAMES = 15  # smoothing: frames run before a segment's first (what is left of them: 0.475^15 < 1e-4)
LOOKAHEAD_FRAMES = 2  # smoothing: frames run after a segment's last (the flow smoother looks one ahead)


@dataclass(frozen=True)
class SegmentedClip:
    """One clip's plan: its segments and where their parts go (a hidden folder beside the output), with
    what the parts are made from (input, model, options, segments) so a rerun keeps only matching parts."""

    src: Path
    dst: Path
    fmt: str  # the output's container
    codec: str  # the output's video codec, which the parts are encoded with
    segments: tuple[Segment, ...]
    fingerprint: str  # plan.json's text in the parts folder

    @property
    def parts_dir(self) -> Path:
        return self.dst.with_name(f".{self.dst.name}.parts")

    def part(self, segment: Segment) -> Path:
        return self.parts_dir / f"{segment.index:05d}.{PART_FORMAT}"

    def reusable(self) -> bool:
        """Whether the parts folder holds parts of this very plan (an earlier run of the same job)."""
        record = self.parts_dir / "plan.json"
        return record.is_file() and record.read_text() == self.fingerprint

    def missing(self) -> list[Segment]:
        """The segments whose parts are not written yet (all of them on a first run)."""
        if not self.reusable():
            return list(self.segments)
        return [s for s in self.segments if not self.part(s).is_file()]

    def prepare(self) -> None:
        """Before the first part is written (by the executor, once): the parts folder, emptied of parts made
        for another input, model or options."""
        if self.parts_dir.is_dir() and not self.reusable():
            shutil.rmtree(self.parts_dir)
        self.parts_dir.mkdir(exist_ok=True)
        if not (self.parts_dir / "plan.json").is_file():
            write_text(self.parts_dir / "plan.json", self.fingerprint)


def plan_clip(src: Path, dst: Path, options: TranslateOptions, model: str = "", folder_made: bool = False,
              info: VideoInfo | None = None) -> SegmentedClip:  # fmt: skip
    """Check the job and cut the clip at keyframes into segments of about `options.segment` seconds; nothing
    is written (`SegmentedClip.prepare` does, when the work begins). `folder_made`: the output's folder is
    made later; `info`: the input, probed already."""
    src, dst = Path(src), Path(dst)
    if options.start is not None or options.duration is not None or options.keep_partial:
        raise VidganError("--segment translates whole clips: it cannot be combined with --start, --duration or "
                          "--keep-partial")  # fmt: skip
    check_output_path(dst, options.overwrite, src, folder_made)
    fmt, codec = container_format(dst), resolve_codec(dst, options.encode)
    info = info or probe_input(src, options)
    segments = tuple(plan(info, keyframes(src), options.segment))
    stat = src.stat()
    fingerprint = {
        "input": [str(src.resolve()), stat.st_size, stat.st_mtime_ns],
        "model": model,
        "options": {k: v for k, v in dataclasses.asdict(options).items() if k not in ("quiet", "overwrite")},
        "segments": [[s.start, s.end] for s in segments],
    }
    return SegmentedClip(src, dst, fmt, codec, segments, json.dumps(fingerprint, sort_keys=True, default=str))


def translate_segment(clip: SegmentedClip, segment: Segment, translator: FrameTranslator, options: TranslateOptions,
                      bar_position: int = 0, info: VideoInfo | None = None,
                      listener: Listener | None = None) -> Result:  # fmt: skip
    """One segment into its part (atomically; the clip prepared); a part that exists is kept (skipped)."""
    part = clip.part(segment)
    if part.is_file():
        return Result(clip.src, part, skipped=True)
    info = info or probe_input(clip.src, options)
    rate = float(info.rate) if info.rate else 25.0
    smoothing = options.smooth.active
    span = segment.span(info, WARMUP_FRAMES / rate if smoothing else 0.0, LOOKAHEAD_FRAMES / rate if smoothing else 0.0)
    target = Target(PART_FORMAT, clip.codec, span, segment)
    part_options = dataclasses.replace(options, overwrite=False)
    return run_clip(clip.src, part, info, target, translator, part_options, bar_position, listener=listener)


def join_clip(clip: SegmentedClip, options: TranslateOptions, seconds: float = 0.0) -> Result:
    """Join the parts into the output (atomically) and remove them; the clip's result."""
    missing = clip.missing()
    if missing:
        raise VidganError(f"{clip.src}: {len(missing)} of {len(clip.segments)} segments are not translated")
    info = probe_input(clip.src, options)
    result = Result(clip.src, clip.dst, seconds=seconds, notices=list(info.notices))
    with atomic_path(clip.dst, overwrite=options.overwrite) as tmp:
        parts = [(clip.part(s), s.start) for s in clip.segments]
        result.frames = join(parts, tmp, clip.fmt, info, result.notices)
    shutil.rmtree(clip.parts_dir)
    return result
