"""One clip through the pipeline: its checks and target, and its stages connected and run.

A clip's stages, each group in its own thread (pipeline/runner.py):

    Decode ─▶ [Link] ─▶ Translate, [Upsample, Smooth], Download ─▶ [Upsample, Smooth] ─▶ Encode
    source    smoothing  the device's thread                       on the CPU              sink
              only       (Upsample and Smooth here on a GPU)

Upsample runs where the output is larger than the working size and the method is not plain resizing
(which the encoder's scaler does for free on its way to YUV). For a masked generator, Composite takes its
place, always: the content and the mask at the output size over the full-resolution input.

The output is written to a temporary file beside the target and renamed only when the whole clip is done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from vidgan.atomic import atomic_path, check_output_path
from vidgan.engine.translator import FrameTranslator, default_batch_size
from vidgan.errors import VidganError
from vidgan.pipeline.composite import Composite
from vidgan.pipeline.decode import Decode
from vidgan.pipeline.encode import Encode
from vidgan.pipeline.options import TranslateOptions
from vidgan.pipeline.progress import Listener, Progress
from vidgan.pipeline.record import Result
from vidgan.pipeline.runner import Stage, run_stages
from vidgan.pipeline.smooth import Link, Smooth
from vidgan.pipeline.translate import Download, Translate
from vidgan.pipeline.upsample import Upsample
from vidgan.video.decode import Span, VideoInfo, probe
from vidgan.video.encode import VideoWriter
from vidgan.video.formats import container_format, resolve_codec
from vidgan.video.segments import Segment


def working_size(width: int, height: int, size: int | None) -> tuple[int, int]:
    """Scale so the short side is `size` (None: unchanged), keeping the aspect ratio."""
    if size is None:
        return width, height
    scale = size / min(width, height)
    return max(4, round(width * scale)), max(4, round(height * scale))


def _even(n: int) -> int:
    return n + n % 2


def expected_frames(info: VideoInfo, span: Span) -> int | None:
    """About how many frames `span` of the clip holds (None: unknown); of a truncated file, at most those
    that are there, not those its index lists."""
    present = info.present_frames if info.present_frames is not None else None
    if span.whole and info.frames:
        return min(info.frames, present) if present is not None else info.frames
    clip_end = info.start_time + (info.duration or 0) if info.duration else None
    end = min(span.end, clip_end) if span.end is not None and clip_end is not None else span.end or clip_end or 0.0
    length = end - span.offset
    if info.rate and length > 0:
        frames = max(1, round(length * float(info.rate)))
        return min(frames, present) if present is not None else frames
    return present


def upsampling_method(options: TranslateOptions, work: tuple[int, int], out: tuple[int, int]) -> str | None:
    """The upsampling method where it has work to do: an output larger than the working size."""
    larger = out[0] > work[0] and out[1] > work[1]
    return options.upsample if larger and options.upsample != "resize" else None


@dataclass(frozen=True)
class Target:
    """What one run over a clip writes: the container and codec, the seconds decoded and, for a part of a
    clip in segments, the segment (its frames only, at their input times, without sound)."""

    fmt: str
    codec: str
    span: Span
    segment: Segment | None = None


def probe_input(src: Path, options: TranslateOptions) -> VideoInfo:
    """The input described, refused up front where its container says it is cut short, or where the part
    asked for starts after its end."""
    info = probe(src)
    if info.truncated and not options.keep_partial:
        raise VidganError(f"{info.truncated} (--keep-partial translates the frames that are there)")
    if options.start is not None and info.duration is not None and options.start >= info.duration:
        raise VidganError(f"{src}: start {options.start:g} s is at or past the end of the clip (it is "
                          f"{info.duration:.1f} s long)")  # fmt: skip
    return info


def plan_clip_target(src: Path, dst: Path, options: TranslateOptions, folder_made: bool = False,
                     info: VideoInfo | None = None) -> tuple[VideoInfo, Target]:  # fmt: skip
    """Check a whole clip's job before any work (the output path, the input, a cut container) and say what
    its run writes. `folder_made`: the output's folder is made later, by the executor; `info`: probed already."""
    check_output_path(dst, options.overwrite, src, folder_made)
    fmt, codec = container_format(dst), resolve_codec(dst, options.encode)
    info = info or probe_input(src, options)
    return info, Target(fmt, codec, Span.of(info, options.start, options.duration))


def translate_clip(src: Path, dst: Path, translator: FrameTranslator, options: TranslateOptions,
                   bar_position: int = 0, backend: str | None = None) -> Result:  # fmt: skip
    """Translate one clip from `src` into `dst` (atomically). Raises VidganError on bad input.

    `backend`: "opencv" smooths and upsamples on the CPU in a thread of its own, "torch" where the
    generator's outputs are, before they are downloaded; by default torch on a GPU, else OpenCV."""
    src, dst = Path(src), Path(dst)
    info, target = plan_clip_target(src, dst, options)
    return run_clip(src, dst, info, target, translator, options, bar_position, backend)


def run_clip(src: Path, dst: Path, info: VideoInfo, target: Target, translator: FrameTranslator,
             options: TranslateOptions, bar_position: int = 0, backend: str | None = None,
             listener: Listener | None = None) -> Result:  # fmt: skip
    """Connect and run a clip's stages into `dst` (atomically), as `target` says; `listener` is told the
    frames as they are written."""
    span, part = target.span, target.segment
    result = Result(src, dst, notices=list(info.notices))
    result.notices += [f"{s} dropped (only video and the first audio stream are kept)" for s in info.dropped_streams]

    work_w, work_h = working_size(info.width, info.height, options.size)
    content = (info.width, info.height) if options.output_size == "input" else (work_w, work_h)
    out_w, out_h = _even(content[0]), _even(content[1])  # yuv420p needs even dimensions
    # Where no scaling is needed, crop the generator's padded output to the even size instead.
    crop = (out_w, out_h) if (work_w, work_h) == content else (work_w, work_h)
    upsample = upsampling_method(options, (work_w, work_h), content)
    backend = backend or ("torch" if translator.cuda else "opencv")
    # A masked generator's output is composited over the input at the output size: the decoder gives it.
    composite = Composite(options.upsample, backend) if translator.masked else None
    panels = 1 + options.compare * (2 if composite else 1)  # --compare: the input, the output, a mask
    frame_size = (out_w * panels, out_h)
    batch_size = options.batch_size or default_batch_size(translator.device)
    progress = Progress(expected_frames(info, span), src.name, options.quiet, bar_position, listener=listener)
    started = time.perf_counter()

    with atomic_path(dst, overwrite=options.overwrite) as tmp:
        # A part's times count from its segment's start (the join adds it back); the sound waits for the join.
        shift = Span(float(part.start * info.time_base)) if part else span
        writer = VideoWriter(tmp, target.fmt, target.codec, options.encode, info, frame_size, shift,
                             result.notices, audio=part is None)  # fmt: skip
        full_size = (out_w, out_h) if options.compare or upsample or composite else None
        decode = Decode(info, (work_w, work_h), span, full_size, result, options.keep_partial)
        # The stages in the order a frame meets them, grouped by thread (the module docstring's picture).
        smooth = options.smooth if options.smooth.active else None
        # Upsample before Smooth: the detail added back is the input's own, with the input's flicker; smoothed at
        # full size it flickers less (warping error 0.00159 -> 0.00152 on a 720p clip; plain resizing 0.00149).
        resample = composite or (Upsample(upsample, backend) if upsample else None)
        after = [*([resample] if resample else []), *([Smooth(smooth, backend)] if smooth else [])]
        groups: list[list[Stage]] = [[Link(smooth)]] if smooth else []
        groups.append([Translate(translator, batch_size, crop, progress), *(after if backend == "torch" else []),
                       Download()])  # fmt: skip
        if after and backend == "opencv":
            groups.append(after)
        groups.append([Encode(writer, result, progress, options.compare, part.holds if part else None)])
        try:
            run_stages(decode, groups, queue_size=2 * batch_size)
        except BaseException:
            writer.abort()
            progress.close()
            raise
    progress.close()
    result.frames = writer.frames
    result.seconds = time.perf_counter() - started
    result.notices += translator.take_notices()
    return result
