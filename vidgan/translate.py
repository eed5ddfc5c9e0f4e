"""The streaming pipeline: decode -> batch -> translate -> encode (+ audio), for a clip, an image or a folder.

    decode thread ──q_in──▶ main thread: batches through the generator ──q_out──▶ encode thread
                  (bounded)                                           (bounded)

The queues are bounded, so memory stays flat for a clip of any length and the slowest stage sets the pace;
PyAV and PyTorch release the GIL while they work, so the three stages overlap. The output is written to a
temporary file beside the target and renamed only when the whole clip is done.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps
from torch import nn

from vidgan.atomic import atomic_path, check_output_path
from vidgan.errors import VidganError
from vidgan.inference import FrameTranslator, Pending, default_batch_size, pick_device, pick_precision
from vidgan.temporal import Smoother, SmoothingConfig
from vidgan.video.decode import Frame, Span, probe, read_frames
from vidgan.video.encode import VideoWriter
from vidgan.video.formats import (
    CONTAINERS,
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    EncodeSettings,
    container_format,
    resolve_codec,
)


@dataclass
class TranslateOptions:
    """Everything `vidgan translate` can be told; the CLI fills this, the Python API takes it."""

    size: int | None = 256  # working short side in px (the models' training scale); None: native size
    output_size: str = "input"  # "input": scale the result back to the input's size; "working": keep it
    batch_size: int | None = None  # frames per generator call; None: 8 on CUDA, 1 on the CPU
    device: str = "auto"  # auto | cpu | cuda | mps
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (auto: bf16 where the hardware has it)
    compile: bool = False  # torch.compile the generator per working size (pays off on long clips on a GPU)
    encode: EncodeSettings = field(default_factory=EncodeSettings)
    smooth: SmoothingConfig = field(default_factory=SmoothingConfig)  # temporal smoothing (videos only)
    compare: bool = False  # input and output side by side
    start: float | None = None  # seconds into the clip
    duration: float | None = None  # seconds to translate from `start`
    overwrite: bool = False  # replace an existing output
    quiet: bool = False  # no progress bars or notices


@dataclass
class Result:
    """What one translation did."""

    src: Path
    dst: Path
    frames: int = 0
    seconds: float = 0.0
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: bool = False

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def working_size(width: int, height: int, size: int | None) -> tuple[int, int]:
    """Scale so the short side is `size` (None: unchanged), keeping the aspect ratio."""
    if size is None:
        return width, height
    scale = size / min(width, height)
    return max(4, round(width * scale)), max(4, round(height * scale))


def _even(n: int) -> int:
    return n + n % 2


class _Stop(Exception):
    """Raised inside a worker when the pipeline is being torn down."""


_END = object()


class _Worker(threading.Thread):
    """A pipeline thread that keeps its exception for the main thread to raise."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._target_fn = target
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._target_fn()
        except _Stop:
            pass
        except BaseException as e:  # handed to the main thread
            self.error = e


def _put(q: queue.Queue, item: object, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            pass
    raise _Stop


def _get(q: queue.Queue, stop: threading.Event, worker: _Worker | None = None) -> object:
    while not stop.is_set():
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            if worker is not None and worker.error is not None:
                raise worker.error from None
    raise _Stop


def _progress(total: int | None, desc: str, disable: bool, position: int = 0):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="frame", disable=disable, position=position, leave=position == 0,
                dynamic_ncols=True)  # fmt: skip


def _expected_frames(info, span: Span) -> int | None:
    if span.whole and info.frames:
        return info.frames
    length = (span.end or (info.start_time + (info.duration or 0))) - span.offset
    if info.rate and length > 0:
        return max(1, round(length * float(info.rate)))
    return None


def _resize_rgb(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    return frame.reformat(width=width, height=height, interpolation="BICUBIC").to_ndarray()


def translate_video(
    src: Path,
    dst: Path,
    translator: FrameTranslator,
    options: TranslateOptions,
    bar_position: int = 0,
) -> Result:
    """Translate one clip from `src` into `dst` (atomically). Raises VidganError on bad input."""
    src, dst = Path(src), Path(dst)
    check_output_path(dst, options.overwrite, src)
    fmt = container_format(dst)
    codec = resolve_codec(dst, options.encode)
    info = probe(src)
    span = Span.of(info, options.start, options.duration)
    result = Result(src, dst, notices=list(info.notices))
    result.notices += [f"{s} dropped (only video and the first audio stream are kept)" for s in info.dropped_streams]

    work_w, work_h = working_size(info.width, info.height, options.size)
    content = (info.width, info.height) if options.output_size == "input" else (work_w, work_h)
    out_w, out_h = _even(content[0]), _even(content[1])  # yuv420p needs even dimensions
    # Where no scaling is needed, crop the generator's padded output to the even size instead.
    crop = (out_w, out_h) if (work_w, work_h) == content else (work_w, work_h)
    frame_size = (out_w * 2, out_h) if options.compare else (out_w, out_h)

    batch_size = options.batch_size or default_batch_size(translator.device)
    q_in: queue.Queue = queue.Queue(maxsize=2 * batch_size)
    q_out: queue.Queue = queue.Queue(maxsize=2 * batch_size)
    stop = threading.Event()
    total = _expected_frames(info, span)
    bar = _progress(total, src.name, options.quiet, bar_position)
    started = time.perf_counter()

    with atomic_path(dst, overwrite=options.overwrite) as tmp:
        writer = VideoWriter(tmp, fmt, codec, options.encode, info, frame_size, span, result.notices)

        def decode() -> None:
            display = (out_w, out_h) if options.compare else None
            for frame in read_frames(info, (work_w, work_h), span, display):
                _put(q_in, frame, stop)
            _put(q_in, _END, stop)

        smoother = Smoother(options.smooth)
        # On a GPU the smoother warps and blends where the frames are; on the CPU it runs in the encode
        # thread, beside inference rather than in its way. Either way it may hold a frame back until it has
        # seen the next, so its results are paired in order with the frames (timestamps) waiting for them.
        on_device = smoother.active and translator.device.type == "cuda"
        translator.post = smoother.smooth_batch if on_device else None

        def encode() -> None:
            held: deque[Frame] = deque()  # frames whose output the CPU smoother still holds back
            while (item := _get(q_out, stop)) is not _END:
                rgb, frame = item
                held.append(frame)
                for smoothed in [rgb] if on_device else smoother(frame.rgb, rgb):
                    write(smoothed, held.popleft())
            for smoothed in [] if on_device else smoother.flush():
                write(smoothed, held.popleft())

        def write(rgb: np.ndarray, frame: Frame) -> None:
            if options.compare:
                rgb = np.hstack([frame.display, _resize_rgb(rgb, out_w, out_h)])
            writer.write(rgb, frame.pts)
            bar.update(1)

        decoder, encoder = _Worker(decode, "vidgan-decode"), _Worker(encode, "vidgan-encode")
        decoder.start()
        encoder.start()

        waiting: deque[Frame] = deque()  # translated, not yet handed over (on a GPU, smoothing holds one back)

        def hand_over(results: Iterable[np.ndarray], frames: list[Frame]) -> None:
            waiting.extend(frames)
            for rgb in results:
                if encoder.error is not None:
                    raise encoder.error
                _put(q_out, (rgb, waiting.popleft()), stop)

        try:
            done = False
            in_flight: tuple[Pending, list[Frame]] | None = None  # one batch on the device while the next loads
            while not done:
                batch: list[Frame] = []
                while len(batch) < batch_size:
                    item = _get(q_in, stop, decoder)
                    if item is _END:
                        done = True
                        break
                    batch.append(item)
                if batch:
                    t0 = time.perf_counter()
                    submitted = (translator.submit(np.stack([f.rgb for f in batch]), crop), batch)
                    if in_flight is None and total:
                        submitted[0].result()  # time the first batch alone, for the estimate
                        _announce_duration(translator, total, (time.perf_counter() - t0) / len(batch), bar)
                    if in_flight is not None:
                        hand_over(in_flight[0].result(), in_flight[1])
                    in_flight = submitted
            if in_flight is not None:
                hand_over(in_flight[0].result(), in_flight[1])
            if on_device:
                hand_over(smoother.flush(), [])  # the last frame, held back for a successor that never came
            _put(q_out, _END, stop)
            encoder.join()
            decoder.join()
            for worker in (decoder, encoder):
                if worker.error is not None:
                    raise worker.error
            writer.close()
        except BaseException:
            translator.post = None
            stop.set()
            for worker in (decoder, encoder):
                worker.join()
            writer.abort()
            bar.close()
            raise
    bar.close()
    result.frames = writer.frames
    result.seconds = time.perf_counter() - started
    translator.post = None
    result.notices += translator.notices
    translator.notices.clear()
    return result


def _announce_duration(translator: FrameTranslator, total: int, per_frame: float, bar) -> None:
    """Say up front when a run will take long (measured on the first batch, warm-up included)."""
    estimate = total * per_frame
    if estimate > 120:
        bar.write(
            f"note: this will take about {estimate / 60:.0f} min on {translator.device.type} "
            f"({total} frames x {per_frame:.2f} s/frame); a GPU is much faster"
        )


def translate_image(src: Path, dst: Path, translator: FrameTranslator, options: TranslateOptions) -> Result:
    """Translate one image; the output has the input's size (or the working size) and format."""
    src, dst = Path(src), Path(dst)
    check_output_path(dst, options.overwrite, src)
    started = time.perf_counter()
    try:
        with Image.open(src) as im:
            image = ImageOps.exif_transpose(im).convert("RGB")  # upright, greyscale/alpha to RGB
    except (OSError, SyntaxError) as e:
        raise VidganError(f"cannot read image {src}: {e}") from None
    work = working_size(*image.size, options.size)
    out = translator(np.asarray(image.resize(work, Image.Resampling.BICUBIC))[None])[0]
    result_image = Image.fromarray(out)
    if options.output_size == "input" and result_image.size != image.size:
        result_image = result_image.resize(image.size, Image.Resampling.BICUBIC)
    with atomic_path(dst, overwrite=options.overwrite) as tmp:
        result_image.save(tmp, format=Image.registered_extensions().get(dst.suffix.lower()))
    return Result(src, dst, frames=1, seconds=time.perf_counter() - started)


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def output_suffix(src: Path) -> str:
    """Images and videos in a container we write keep their extension; other videos (.avi, ...) give .mp4."""
    suffix = src.suffix.lower()
    return suffix if is_image(src) or suffix in CONTAINERS else ".mp4"


def default_output(src: Path, model_name: str) -> Path:
    """`clip.mp4` -> `clip_MODEL.mp4` in the current folder."""
    return Path.cwd() / f"{src.stem}_{model_name}{output_suffix(src)}"


def translate_path(src: Path, dst: Path, translator: FrameTranslator, options: TranslateOptions, bar_position=0):
    """One file, video or image, by its extension."""
    if is_image(src):
        return translate_image(src, dst, translator, options)
    return translate_video(src, dst, translator, options, bar_position)


def folder_jobs(src_dir: Path, out_dir: Path, recursive: bool) -> list[tuple[Path, Path]]:
    """(input, output) for every video and image in `src_dir`, mirrored under `out_dir`."""
    pattern = "**/*" if recursive else "*"
    jobs = []
    for path in sorted(src_dir.glob(pattern)):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS:
            jobs.append((path, out_dir / path.relative_to(src_dir).with_suffix(output_suffix(path))))
    return jobs


def translate_folder(
    src_dir: Path, out_dir: Path, translator: FrameTranslator, options: TranslateOptions, recursive: bool = False
) -> list[Result]:
    """Every clip and image of a folder: skips outputs that exist (a rerun resumes), carries on past a
    broken file and records its error."""
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    if out_dir.resolve() == src_dir.resolve():
        raise VidganError("the output folder is the input folder: choose another")
    jobs = folder_jobs(src_dir, out_dir, recursive)
    if not jobs:
        raise VidganError(f"no videos or images in {src_dir}" + ("" if recursive else " (use -r for subfolders)"))
    results = []
    overall = _progress(len(jobs), "all clips", options.quiet)
    overall.unit = "clip"
    for src, dst in jobs:
        if dst.exists() and not options.overwrite:
            results.append(Result(src, dst, skipped=True))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                results.append(translate_path(src, dst, translator, options, bar_position=1))
            except VidganError as e:
                results.append(Result(src, dst, error=str(e)))
        overall.update(1)
    overall.close()
    return results


def make_translator(model: nn.Module, options: TranslateOptions) -> FrameTranslator:
    device = pick_device(options.device)
    batch = options.batch_size or default_batch_size(device)
    return FrameTranslator(model, device, pick_precision(device, options.precision), options.compile, batch)
