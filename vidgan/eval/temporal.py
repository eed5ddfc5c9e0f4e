"""`vidgan metrics temporal`: how much a translated video flickers, and how far smoothing moved it.

Warping error (Lai et al., "Learning Blind Video Temporal Consistency", ECCV 2018): for each pair of
consecutive frames, the optical flow of the *input* frames (t -> t-1) warps output frame t-1 onto frame t;
the error is the mean squared difference (pixels in [0, 1], averaged over the channels) between output t
and that warped frame, over the pixels the forward-backward test finds unoccluded; the clip's value is
the mean over pairs. A stable translation scores near 0, a flickering one high. Two flow methods (DIS and
Farneback) are offered so smoothing, which uses DIS itself, is not graded only by its own flow.

Input and output are paired by their times, not by position: an output of part of a clip (`--start`,
`--duration`, which it starts at 0) is measured against that part of the input, given the same options;
frames that do not line up (another part, another length, dropped frames) are refused in one line, never
scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from vidgan.errors import VidganError
from vidgan.ops.fidelity import psnr
from vidgan.ops.smoothing import FLOW_METHODS, FlowEstimator, consistent, warp
from vidgan.video.decode import Span, probe, read_frames

MAX_WIDTH = 640  # measured at most this wide: the figure is about flicker, not detail


def timed_frames(path: str | Path, size: tuple[int, int] | None = None, start: float | None = None,
                 duration: float | None = None) -> Iterator[tuple[float, np.ndarray]]:  # fmt: skip
    """(seconds from the first frame taken, upright RGB) of a video, at `size` or its own size capped to
    MAX_WIDTH; with `start`/`duration`, that part only (as translate takes them)."""
    info = probe(path)
    if size is None:
        w, h = info.width, info.height
        if w > MAX_WIDTH:
            w, h = MAX_WIDTH, max(2, round(h * MAX_WIDTH / w))
        size = (w, h)
    first = None
    for frame in read_frames(info, size, Span.of(info, start, duration)):
        t = float(frame.pts * info.time_base)
        first = t if first is None else first
        yield t - first, frame.rgb


def frames_of(path: str | Path, size: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """Upright RGB frames of a video, at `size` or its own size capped to MAX_WIDTH."""
    for _, rgb in timed_frames(path, size):
        yield rgb


def aligned(a: Iterable[tuple[float, np.ndarray]], b: Iterable[tuple[float, np.ndarray]], names: tuple[str, str],
            tolerance: float = 0.02) -> Iterator[tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Pairs of frames of two timed streams that must show the same moments: refused (VidganError, one line)
    where a time differs by more than `tolerance` seconds or one stream runs out before the other."""
    a, b = iter(a), iter(b)
    count = 0
    while True:
        x, y = next(a, None), next(b, None)
        if x is None and y is None:
            return
        if x is None or y is None:
            longer, shorter = (names[0], names[1]) if y is None else (names[1], names[0])
            raise VidganError(f"{longer} has more frames than {shorter} ({count} matched): they do not line up; "
                              f"give --start/--duration as the translation had them")  # fmt: skip
        if abs(x[0] - y[0]) > tolerance:
            raise VidganError(f"frame {count + 1} is at {x[0]:.3f} s in {names[0]} but {y[0]:.3f} s in {names[1]}: "
                              f"they do not line up; give --start/--duration as the translation had them")  # fmt: skip
        count += 1
        yield x[1], y[1]


def warping_error(pairs: Iterable[tuple[np.ndarray, np.ndarray]], method: str = "dis") -> float:
    """Mean warping error over consecutive frames; `pairs` are (input, output), same-sized RGB uint8 frames."""
    flow = FlowEstimator(method)
    errors = []
    prev_grey = prev_out = None
    for inp, out in pairs:
        cur_grey = cv2.cvtColor(inp, cv2.COLOR_RGB2GRAY)
        cur_out = out.astype(np.float32) / 255.0
        if prev_grey is not None:
            backward = flow(cur_grey, prev_grey)
            mask = consistent(backward, flow(prev_grey, cur_grey))
            diff = ((cur_out - warp(prev_out, backward)) ** 2).mean(-1)
            if mask.any():
                errors.append(float(diff[mask].mean()))
        prev_grey, prev_out = cur_grey, cur_out
    if not errors:
        raise ValueError("need at least two frames to measure temporal stability")
    return float(np.mean(errors))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5) of two uint8 images, mean over channels."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b, cov = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2, blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())


def temporal_report(
    inp: str | Path, out: str | Path, reference: str | Path | None = None, methods: Iterable[str] = FLOW_METHODS,
    start: float | None = None, duration: float | None = None,
) -> dict:  # fmt: skip
    """Warping error of `out` (translated from `inp`, or from its part `start`/`duration`) under each flow
    method; with `reference` (the per-frame output), the mean PSNR and SSIM of `out` to it. Frames are paired
    by time and refused where they do not line up (VidganError)."""
    size = next(frames_of(out)).shape[1::-1]
    report: dict = {"input": str(inp), "output": str(out), "size": list(size), "warping_error": {}}
    if start is not None or duration is not None:
        report["span"] = {"start": start, "duration": duration}
    names = (Path(inp).name, Path(out).name)
    for method in methods:  # each pass streams both files again: any length fits in memory
        pairs = aligned(timed_frames(inp, size, start, duration), timed_frames(out, size), names)
        report["warping_error"][method] = warping_error(pairs, method)
    if reference is not None:
        mses, ssims = [], []
        pairs = aligned(timed_frames(out, size), timed_frames(reference, size), (names[1], Path(reference).name))
        for a, b in pairs:  # streamed: any length fits
            mses.append(((a.astype(np.float64) - b) ** 2).mean())
            ssims.append(ssim(a, b))
        # PSNR of the mean squared error over all frames: one identical frame does not make it infinite.
        report["psnr_to_reference"] = psnr(float(np.mean(mses)))
        report["ssim_to_reference"] = float(np.mean(ssims))
    return report
