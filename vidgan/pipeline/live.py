"""Live translation: frames translated as they come from a camera or a stream, the newest first.

A live source does not wait. When the generator is slower than the source, a frame that arrives while the
generator works replaces the one waiting (`Latest`): frames are dropped, never queued, so the delay from
capture to output stays flat however long the run. One worker thread takes the newest frame, translates
it at the working size (a masked generator's output composited over the frame at its own size, as files
are), smooths it causally where asked (ema: nothing waits for a later frame), and hands it on with its
capture time. `LiveTranslator` serves `vidgan live` (video/live.py's sources and sinks) and the page's live
mode over WebRTC (web/live.py) alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from vidgan.engine.translator import FrameTranslator
from vidgan.errors import VidganError
from vidgan.ops.composite import composite_frame
from vidgan.ops.smoothing import MotionEstimator, Smoother, SmoothingConfig
from vidgan.ops.upsampling import Upsampler
from vidgan.pipeline.clip import working_size
from vidgan.pipeline.composite import composite_at_output_size

SIZES = (96, 128, 160, 192, 224, 256, 320, 384, 448, 512)  # working sizes `--size auto` chooses among
CALIBRATION_ROUNDS = 3  # timed translations of the first frame per candidate size (after one warm-up)


@dataclass
class LiveFrame:
    """A frame on its way: the input (H, W, 3) uint8 RGB, when it was captured (the source's clock,
    seconds), its presentation time in the source's units, and later its translation."""

    rgb: np.ndarray
    captured: float
    pts: int = 0
    output: np.ndarray | None = None


class Latest:
    """A slot for one frame: `put` replaces what waits there (counting it dropped), `take` waits for a frame
    and empties the slot; `close` wakes a waiting `take`, which then returns None."""

    def __init__(self) -> None:
        self._frame: LiveFrame | None = None
        self._closed = False
        self._ready = threading.Condition()
        self.dropped = 0

    def put(self, frame: LiveFrame) -> None:
        with self._ready:
            self.dropped += self._frame is not None
            self._frame = frame
            self._ready.notify()

    def take(self) -> LiveFrame | None:
        with self._ready:
            self._ready.wait_for(lambda: self._frame is not None or self._closed)
            frame, self._frame = self._frame, None
            return frame

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()


@dataclass
class LiveStats:
    """What a live run did: frames in and out, and the delay of each output from its capture (seconds)."""

    received: int = 0
    translated: int = 0
    started: float = field(default_factory=time.monotonic)
    delays: list[float] = field(default_factory=list)

    def add(self, delay: float) -> None:
        self.translated += 1
        self.delays.append(delay)

    def summary(self, dropped: int, since: float | None = None) -> dict:
        """Frames/s translated and received, dropped, delay median and 95th percentile (ms)."""
        seconds = max(1e-9, (since or time.monotonic()) - self.started)
        delays = np.array(self.delays[-300:] or [float("nan")]) * 1000  # the recent ones: the delay now
        return {"frames_per_s": self.translated / seconds, "source_frames_per_s": self.received / seconds,
                "dropped": dropped, "delay_ms_median": float(np.median(delays)),
                "delay_ms_p95": float(np.percentile(delays, 95)), "frames": self.translated}  # fmt: skip


def choose_size(translator: FrameTranslator, frame: np.ndarray, rate: float,
                clock: Callable[[], float] = time.perf_counter) -> tuple[int, float]:  # fmt: skip
    """`--size auto`: the largest working size in SIZES whose translation of `frame` (timed CALIBRATION_ROUNDS
    times after a warm-up, the median) keeps up with `rate` frames/s; the smallest where none does. Returns
    (the size, its seconds per frame)."""
    h, w = frame.shape[:2]
    chosen = None
    for size in (s for s in SIZES if s <= min(h, w)):
        work = working_size(w, h, size)
        source = np.asarray(Image.fromarray(frame).resize(work, Image.Resampling.BILINEAR))
        translator.run(source[None]).cpu()  # warm-up (a first call at a new size allocates)
        times = []
        for _ in range(CALIBRATION_ROUNDS):
            started = clock()
            translator.run(source[None]).cpu()
            times.append(clock() - started)
        seconds = float(np.median(times))
        if chosen is None or seconds <= 1 / rate:
            chosen = (size, seconds)
        if seconds > 1 / rate:
            break
    if chosen is None:
        raise VidganError(f"frames of {w}x{h} are too small to translate live")
    return chosen


class LiveTranslator:
    """Frames in (`put`, from the source's thread), translations out (`on_output(frame)`, from the worker's
    thread), the newest frame first. `size`: the working short side; `smooth`: none or ema."""

    def __init__(self, translator: FrameTranslator, size: int, on_output: Callable[[LiveFrame], None],
                 smooth: SmoothingConfig | None = None, upsample: str = "detail",
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        if smooth is not None and smooth.active and smooth.mode != "ema":
            raise VidganError("live translation smooths with ema only (flow waits for the next frame)")
        self.translator, self.size, self.on_output, self.clock = translator, size, on_output, clock
        self.smooth = smooth if smooth is not None and smooth.active else None
        self.motion = MotionEstimator("ema") if self.smooth else None
        self.smoother = Smoother(self.smooth) if self.smooth else None
        self.upsampler = Upsampler(upsample)
        self.slot = Latest()
        self.stats = LiveStats(started=clock())
        self.error: BaseException | None = None
        self.worker = threading.Thread(target=self._work, name="vidgan-live", daemon=True)
        self.worker.start()

    def put(self, frame: LiveFrame) -> None:
        if self.error is not None:
            raise self.error
        self.stats.received += 1
        self.slot.put(frame)

    def close(self) -> None:
        """Stop: the frame being translated is finished and handed on; a waiting one is dropped."""
        self.slot.close()
        self.worker.join()

    def summary(self) -> dict:
        return self.stats.summary(self.slot.dropped, self.clock()) | {"size": self.size}

    def translate(self, rgb: np.ndarray) -> np.ndarray:
        """One frame at the working size, back at the frame's size (composited over it for a masked model)."""
        h, w = rgb.shape[:2]
        work = working_size(w, h, self.size)
        source = np.asarray(Image.fromarray(rgb).resize(work, Image.Resampling.BILINEAR))
        raw = self.translator.run(source[None])[0].cpu().numpy()
        mask = None
        if raw.shape[-1] == 4:
            out, mask = composite_at_output_size(self.upsampler, source, raw, rgb)
        else:
            out = self.upsampler(source, raw[: work[1], : work[0]], rgb) if work != (w, h) else raw[:h, :w]
        if self.smoother is not None:
            out = self.smoother(out, self.motion(source))[0]
            if mask is not None:  # smoothed inside the mask only: outside, the frame's own pixels
                out = composite_frame(rgb, np.asarray(out), mask)
        return np.asarray(out)

    def _work(self) -> None:
        try:
            while (frame := self.slot.take()) is not None:
                frame.output = self.translate(frame.rgb)
                self.stats.add(self.clock() - frame.captured)
                self.on_output(frame)
        except BaseException as e:  # the source's thread hears of it at its next `put`
            self.error = e


class Window:
    """`--show`: the translations in a window (OpenCV's highgui; the headless OpenCV vidgan installs has
    none: `pip install opencv-python` brings it)."""

    def __init__(self, title: str = "vidgan live") -> None:
        import cv2

        if "GUI: NONE" in cv2.getBuildInformation().replace("  ", " ") or not hasattr(cv2, "imshow"):
            raise VidganError("--show needs an OpenCV with windows: pip install opencv-python (this one is headless)")
        self.cv2, self.title = cv2, title

    def write(self, rgb: np.ndarray, pts_ms: int) -> None:
        self.cv2.imshow(self.title, rgb[..., ::-1])
        self.cv2.waitKey(1)

    def close(self) -> None:
        self.cv2.destroyWindow(self.title)


def run_live(source, live: LiveTranslator, sinks: list, stop_after: float | None = None,
             status: Callable[[dict], None] | None = None, every: float = 1.0) -> dict:  # fmt: skip
    """Frames from `source` (an iterable of (rgb, capture time, pts in ms): video/live.py's LiveSource, which
    `close()`s) through `live` into each sink (`write(rgb, pts_ms)`,
    `close()`), until the source ends, `stop_after` seconds pass or Ctrl-C; every sink is closed however it
    stopped (a file is complete). `status` hears the summary each `every` seconds; returns the last, with
    `stopped` (what ended it)."""
    stopped, last = "the source ended", time.monotonic()
    try:
        for rgb, captured, pts in source:
            live.put(LiveFrame(rgb, captured, pts))
            now = time.monotonic()
            if status is not None and now - last >= every:
                status(live.summary())
                last = now
            if stop_after is not None and now - live.stats.started >= stop_after:
                stopped = f"after {stop_after:g} s"
                break
    except KeyboardInterrupt:
        stopped = "Ctrl-C"
    finally:
        live.close()
        source.close()
        for sink in sinks:
            sink.close()
    if live.error is not None:
        raise live.error
    return live.summary() | {"stopped": stopped}
